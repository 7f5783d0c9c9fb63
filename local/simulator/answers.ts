/**
 * What the provider simulator answers for each output kind. Placeholder: the task engineers
 * replace it with schema-valid answers per kind; the simulator only relies on this shape.
 */
export type SimulatedAnswer = (input: { outputKind: string; userText: string; imageCount: number }) => unknown;

export const SIMULATED_ANSWERS: Record<string, SimulatedAnswer> = {
  'chat.reply': () => ({ reply: 'This is a simulated reply from the SmartDental provider simulator.' }),
};
