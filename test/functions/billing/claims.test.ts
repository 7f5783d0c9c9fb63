import { CLAIM_SYSTEM_PROMPT, buildClaimUserPrompt } from '../../../functions/billing/prompts';
import { claimRequestSchema, claimResponseSchema } from '../../../functions/billing/schemas';

const coverage = { preventivePct: 100, basicPct: 80, majorPct: 50, orthoPct: 0, deductibleRemainingCents: 0, annualMaxRemainingCents: 100000 };

describe('billing claims', () => {
  it('the system prompt starts with its marker and names the narrative rule', () => {
    expect(CLAIM_SYSTEM_PROMPT.split('\n')[0]).toBe('[smartdental:billing.claim]');
    expect(CLAIM_SYSTEM_PROMPT).toMatch(/D27xx.*D4341, D4342.*D7xxx/s);
  });

  it('the user prompt numbers the procedures and leaves fees and coverage out', () => {
    const request = claimRequestSchema.parse({
      clinicalNotes: 'MOD fracture on #3',
      procedures: [{ description: 'crown', toothNumber: '3', feeCents: 123456 }, { cdtCode: 'D0120', description: 'exam', feeCents: 6000 }],
      coverage,
    });
    const prompt = buildClaimUserPrompt(request);
    expect(prompt).toContain('{"procedureIndex":0,"cdtCode":null,"toothNumber":"3","description":"crown"}');
    expect(prompt).toContain('"procedureIndex":1,"cdtCode":"D0120"');
    expect(prompt).not.toContain('123456');
    expect(prompt).not.toContain('annualMax');
  });

  it('rejects bad claim requests', () => {
    expect(claimRequestSchema.safeParse({ clinicalNotes: '', procedures: [{ description: 'x', feeCents: 1 }], coverage }).success).toBe(false);
    expect(claimRequestSchema.safeParse({ clinicalNotes: 'x', procedures: [], coverage }).success).toBe(false);
    expect(claimRequestSchema.safeParse({ clinicalNotes: 'x', procedures: [{ cdtCode: 'D27', description: 'x', feeCents: 1 }], coverage }).success).toBe(false);
    expect(claimRequestSchema.safeParse({ clinicalNotes: 'x'.repeat(8001), procedures: [{ description: 'x', feeCents: 1 }], coverage }).success).toBe(false);
  });

  it('the response allows a null estimate and narrative', () => {
    expect(claimResponseSchema.safeParse({ suggestedCodes: [], narrative: null, estimate: null, warnings: [] }).success).toBe(true);
  });
});
