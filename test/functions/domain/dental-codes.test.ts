import {
  checkDiagnoses,
  checkSuggestedCodes,
  checkTreatmentPlan,
  isCdtCode,
  isPermanentToothNumber,
  isPrimaryToothNumber,
  isToothNumber,
  normalizeCdtCode,
  normalizeToothNumber,
  repairInstructions,
  requiresClaimNarrative,
  warningsFor,
} from '../../../functions/domain/dental-codes';
import { diagnosesResponseSchema, treatmentPlanModelOutputSchema, treatmentPlanResponseSchema } from '../../../functions/clinical/schemas';

describe('code and tooth validation', () => {
  it('accepts CDT codes as D and four digits only', () => {
    expect(['D0120', 'D2740', 'D9999'].every(isCdtCode)).toBe(true);
    expect(['d2740', 'D274', 'D27400', '2740', 'DX740', ' D2740', 2740].some(isCdtCode)).toBe(false);
  });

  it('accepts Universal tooth numbers 1–32 and primary A–T', () => {
    expect(['1', '16', '32', 'A', 'T'].every(isToothNumber)).toBe(true);
    expect(['0', '33', '01', 'U', 'a', '#3', '', 3].some(isToothNumber)).toBe(false);
    expect(isPermanentToothNumber('32')).toBe(true);
    expect(isPermanentToothNumber('K')).toBe(false);
    expect(isPrimaryToothNumber('K')).toBe(true);
  });

  it('normalises what models write loosely, and never invents', () => {
    expect(normalizeCdtCode(' d2740 ')).toBe('D2740');
    expect(normalizeCdtCode('D274')).toBeUndefined();
    expect(normalizeToothNumber('#14')).toBe('14');
    expect(normalizeToothNumber(14)).toBe('14');
    expect(normalizeToothNumber('03')).toBe('3');
    expect(normalizeToothNumber('tooth 30')).toBe('30');
    expect(normalizeToothNumber('k')).toBe('K');
    expect(normalizeToothNumber('33')).toBeUndefined();
    expect(normalizeToothNumber('UL6')).toBeUndefined();
    expect(normalizeToothNumber(3.5)).toBeUndefined();
  });

  it('knows which codes usually need a claim narrative', () => {
    expect(['D2740', 'D2799', 'D4341', 'D4342', 'D7140', 'D7210'].every(requiresClaimNarrative)).toBe(true);
    expect(['D2391', 'D4910', 'D0120', 'D6010'].some(requiresClaimNarrative)).toBe(false);
  });
});

describe('checkTreatmentPlan', () => {
  const plan = treatmentPlanModelOutputSchema.parse({
    phases: [
      {
        phase: 1,
        title: 'Urgent care',
        procedures: [
          { cdtCode: 'D3330', toothNumber: '#19', description: 'Root canal', rationale: 'Pulpitis', urgency: 'urgent' },
          { cdtCode: 'D333', toothNumber: '19', description: 'Bad code', rationale: 'x', urgency: 'urgent' },
        ],
      },
      {
        phase: 2,
        title: 'Restorative',
        procedures: [{ cdtCode: 'D2740', toothNumber: '40', description: 'Crown', rationale: 'x', urgency: 'soon' }],
      },
      { phase: 3, title: 'Maintenance', procedures: [{ cdtCode: 'd1110', toothNumber: null, description: 'Prophy', rationale: 'x', urgency: 'routine' }] },
    ],
    alternatives: [
      { description: 'Extract and implant', cdtCodes: ['D7140', 'D6010'] },
      { description: 'Bogus', cdtCodes: ['X123'] },
    ],
  });

  it('keeps valid items (normalised), drops invalid ones with their reasons, and drops emptied phases', () => {
    const { valid, invalid } = checkTreatmentPlan(plan);
    expect(valid.phases.map((p) => p.phase)).toEqual([1, 3]);
    expect(valid.phases[0]!.procedures).toEqual([{ cdtCode: 'D3330', toothNumber: '19', description: 'Root canal', rationale: 'Pulpitis', urgency: 'urgent' }]);
    expect(valid.phases[1]!.procedures[0]).toMatchObject({ cdtCode: 'D1110', toothNumber: null });
    expect(valid.alternatives).toHaveLength(1);
    expect(invalid.map((i) => i.path)).toEqual(['phases[0].procedures[1]', 'phases[1].procedures[0]', 'alternatives[1]']);
    expect(invalid[0]!.reasons[0]).toMatch(/"D333" is not a CDT code/);
    expect(invalid[1]!.reasons[0]).toMatch(/"40" is not a Universal tooth number/);
    // The cleaned plan plus warnings is a valid response body.
    expect(treatmentPlanResponseSchema.safeParse({ ...valid, warnings: warningsFor(invalid) }).success).toBe(true);
  });

  it('words warnings and a repair instruction without patient data', () => {
    const { invalid } = checkTreatmentPlan(plan);
    expect(warningsFor(invalid)[0]).toBe('Dropped phases[0].procedures[1] from the model\'s answer: "D333" is not a CDT code (D and four digits)');
    const instruction = repairInstructions(invalid);
    expect(instruction).toContain('phases[1].procedures[0]');
    expect(instruction).toMatch(/Universal notation/);
  });
});

describe('checkDiagnoses and checkSuggestedCodes', () => {
  it('drops a differential with an invalid tooth and normalises the rest', () => {
    const { valid, invalid } = checkDiagnoses({
      differentialDiagnoses: [
        { condition: 'Pulpitis', confidence: 0.7, rationale: 'Cold test', toothNumbers: ['#19', 19] },
        { condition: 'Cracked tooth', confidence: 0.2, rationale: 'x', toothNumbers: ['LL6'] },
      ],
      recommendedTests: ['cold test'],
      urgency: 'soon' as const,
    });
    expect(valid.differentialDiagnoses).toEqual([{ condition: 'Pulpitis', confidence: 0.7, rationale: 'Cold test', toothNumbers: ['19'] }]);
    expect(invalid).toEqual([expect.objectContaining({ path: 'differentialDiagnoses[1]', reasons: [expect.stringMatching(/"LL6"/)] })]);
    expect(diagnosesResponseSchema.safeParse({ ...valid, warnings: warningsFor(invalid) }).success).toBe(true);
  });

  it('drops suggested codes that are not CDT codes', () => {
    const { valid, invalid } = checkSuggestedCodes({
      suggestedCodes: [
        { procedureIndex: 0, cdtCode: 'd2740', rationale: 'crown' },
        { procedureIndex: 1, cdtCode: '02740', rationale: 'bad' },
      ],
      narrative: null,
    });
    expect(valid.suggestedCodes).toEqual([{ procedureIndex: 0, cdtCode: 'D2740', rationale: 'crown' }]);
    expect(invalid[0]!.path).toBe('suggestedCodes[1]');
  });
});
