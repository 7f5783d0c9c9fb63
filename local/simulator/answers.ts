/**
 * What the provider simulator answers for each output kind (picked by the `[smartdental:<kind>]`
 * marker on the system prompt). Every answer fits the task's model output schema, says it is
 * simulated, and varies a little with the input (tooth numbers and codes found in the text) while
 * staying deterministic: the same prompt always gets the same answer, so cache tests can rely on it.
 */
export type SimulatedAnswer = (input: { outputKind: string; userText: string; imageCount: number }) => unknown;

/** Small deterministic hash of the prompt, for mild variation. */
function hashOf(text: string): number {
  let hash = 2166136261;
  for (let i = 0; i < text.length; i++) hash = Math.imul(hash ^ text.charCodeAt(i), 16777619);
  return hash >>> 0;
}

/** Tooth numbers named in the prompt: `"toothNumber":"19"`, `"toothNumbers":["3","14"]`, `tooth 30`, `#14`. */
function toothNumbersIn(text: string): string[] {
  const found: string[] = [];
  for (const match of text.matchAll(/"toothNumbers?"\s*:\s*\[?\s*((?:"[0-9A-Ta-t]{1,2}"\s*,?\s*)+)/g)) {
    for (const tooth of match[1]!.matchAll(/"([0-9A-Ta-t]{1,2})"/g)) found.push(tooth[1]!);
  }
  for (const match of text.matchAll(/(?:\btooth\s*#?|#)(\d{1,2})\b/gi)) found.push(match[1]!);
  const valid = found.map((t) => (/^\d+$/.test(t) ? String(Number(t)) : t.toUpperCase())).filter((t) => /^(?:[1-9]|[12]\d|3[0-2]|[A-T])$/.test(t));
  return [...new Set(valid)];
}

/**
 * Placeholders a scrubbing gateway put in the prompt (`[NAME_1]`, `[PHONE_2]`): a real model
 * repeats them in its answer, so the simulated answers do too, and a test can see them restored.
 */
function placeholdersIn(text: string): string[] {
  return [...new Set(text.match(/\[[A-Z][A-Z_]*_\d+\]/g) ?? [])];
}

function pick<T>(items: readonly T[], seed: number): T {
  return items[seed % items.length]!;
}

const confidence = (seed: number, base: number) => Math.round((base + (seed % 20) / 100) * 100) / 100;

const imagingFindings: SimulatedAnswer = ({ userText, imageCount }) => {
  const seed = hashOf(userText) + imageCount;
  const teeth = toothNumbersIn(userText);
  const first = teeth[0] ?? String((seed % 32) + 1);
  const second = teeth[1] ?? String(((seed >> 5) % 32) + 1);
  return {
    findings: [
      { type: pick(['caries', 'restoration', 'calculus'] as const, seed), toothNumber: first, confidence: confidence(seed, 0.6), note: 'Simulated finding for testing; not a reading of the image.' },
      { type: 'bone loss', toothNumber: second, confidence: confidence(seed >> 3, 0.4), note: 'Simulated finding: mild horizontal bone loss (not real).' },
      { type: 'other', toothNumber: null, confidence: 0.3, note: 'Simulated general note.' },
    ],
    summary: `Simulated analysis of ${imageCount} image(s) by the SmartDental provider simulator; no real model read this radiograph.`,
  };
};

const noted = (userText: string): string => {
  const placeholders = placeholdersIn(userText);
  return placeholders.length === 0 ? '' : ` Noted: ${placeholders.join(', ')}.`;
};

const clinicalDiagnoses: SimulatedAnswer = ({ userText }) => {
  const seed = hashOf(userText);
  const teeth = toothNumbersIn(userText).slice(0, 3);
  return {
    differentialDiagnoses: [
      { condition: 'Symptomatic irreversible pulpitis (simulated)', confidence: confidence(seed, 0.55), rationale: `Simulated rationale from the provider simulator.${noted(userText)}`, toothNumbers: teeth },
      { condition: 'Reversible pulpitis (simulated)', confidence: confidence(seed >> 4, 0.2), rationale: 'Simulated alternative.', toothNumbers: teeth.slice(0, 1) },
    ],
    recommendedTests: ['Cold test (simulated)', 'Periapical radiograph (simulated)'],
    urgency: pick(['routine', 'soon', 'urgent'] as const, seed),
  };
};

const clinicalTreatmentPlan: SimulatedAnswer = ({ userText }) => {
  const teeth = toothNumbersIn(userText);
  const tooth = teeth[0] ?? null;
  return {
    phases: [
      {
        phase: 1,
        title: 'Urgent care (simulated)',
        procedures: [{ cdtCode: 'D3330', toothNumber: tooth, description: 'Endodontic therapy, molar (simulated)', rationale: 'Simulated plan item.', urgency: 'urgent' }],
      },
      {
        phase: 2,
        title: 'Restorative (simulated)',
        procedures: [
          { cdtCode: 'D2740', toothNumber: tooth, description: 'Crown, porcelain/ceramic (simulated)', rationale: 'Simulated plan item.', urgency: 'soon' },
          ...teeth.slice(1, 3).map((t) => ({ cdtCode: 'D2391', toothNumber: t, description: 'Resin composite, one surface, posterior (simulated)', rationale: 'Simulated plan item.', urgency: 'routine' })),
        ],
      },
      {
        phase: 3,
        title: 'Maintenance (simulated)',
        procedures: [{ cdtCode: 'D1110', toothNumber: null, description: 'Prophylaxis, adult (simulated)', rationale: 'Simulated plan item.', urgency: 'routine' }],
      },
    ],
    alternatives: [{ description: 'Extraction and implant instead of endodontic therapy and crown (simulated)', cdtCodes: ['D7140', 'D6010'] }],
  };
};

const CODE_BY_KEYWORD: ReadonlyArray<readonly [RegExp, string]> = [
  [/crown/i, 'D2740'],
  [/root planing|scaling/i, 'D4341'],
  [/extract/i, 'D7140'],
  [/root canal|endodont/i, 'D3330'],
  [/filling|composite/i, 'D2391'],
  [/clean|prophy/i, 'D1110'],
  [/exam/i, 'D0120'],
];

const billingClaim: SimulatedAnswer = ({ userText }) => {
  const procedures = [...userText.matchAll(/^\{"procedureIndex".*\}$/gm)].flatMap((m) => {
    try {
      return [JSON.parse(m[0]) as { procedureIndex: number; cdtCode: string | null; description: string }];
    } catch {
      return [];
    }
  });
  const suggestedCodes = procedures
    .filter((p) => p.cdtCode === null)
    .map((p) => ({
      procedureIndex: p.procedureIndex,
      cdtCode: CODE_BY_KEYWORD.find(([pattern]) => pattern.test(p.description))?.[1] ?? 'D0140',
      rationale: 'Simulated code suggestion from the provider simulator.',
    }));
  const codes = [...procedures.map((p) => p.cdtCode).filter((c): c is string => c !== null), ...suggestedCodes.map((s) => s.cdtCode)];
  const needsNarrative = codes.some((c) => /^D27\d{2}$|^D434[12]$|^D7\d{3}$/.test(c));
  return {
    suggestedCodes,
    narrative: needsNarrative ? 'Simulated claim narrative: the clinical notes document the necessity of the procedure (generated by the provider simulator, not for submission).' : null,
  };
};

const schedulingReminder: SimulatedAnswer = ({ userText }) => {
  const channel = /Channel:\s*email/i.test(userText) ? 'email' : 'sms';
  const practice = /Practice:\s*(.+)/.exec(userText)?.[1]?.trim() ?? 'the practice';
  const when = /Appointment:\s*[^,\n]*,\s*(.+?)\s*\(practice local time\)/.exec(userText)?.[1] ?? 'soon';
  const greeting = userText.includes('{firstName}') ? 'Hi {firstName}, ' : '';
  const budget = Number(/at most (\d+) characters/.exec(userText)?.[1] ?? 160);
  let text = `${greeting}(simulated) reminder: your visit at ${practice} is ${when}. Call us to reschedule.`;
  if (channel === 'sms' && [...text].length > budget) text = `${greeting}(simulated) reminder: your dental visit is ${when}. Call us to reschedule.`;
  if (channel === 'sms' && [...text].length > budget) text = [...text].slice(0, budget).join('');
  return channel === 'email' ? { subject: `Appointment reminder (simulated): ${when}`, text } : { text };
};

const chatReply: SimulatedAnswer = ({ userText }) => {
  const opener = pick(['Thanks for your message.', 'Thank you for reaching out.', 'Happy to help.'], hashOf(userText));
  return `${opener} This is a simulated reply from the SmartDental provider simulator. I can't say what is causing any symptoms; a dentist needs to examine you for that. Would you like help booking a visit?${noted(userText)}`;
};

export const SIMULATED_ANSWERS: Record<string, SimulatedAnswer> = {
  'imaging.findings': imagingFindings,
  'clinical.diagnoses': clinicalDiagnoses,
  'clinical.treatment-plan': clinicalTreatmentPlan,
  'billing.claim': billingClaim,
  'scheduling.reminder': schedulingReminder,
  'chat.reply': chatReply,
};
