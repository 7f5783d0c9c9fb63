/**
 * For providers without a JSON mode (Anthropic Messages, Bedrock Converse across model families):
 * the instruction a JSON request carries in its system prompt, and the unwrapping of an answer a
 * model still fenced.
 */
export const JSON_ONLY_INSTRUCTION = 'Answer with exactly one JSON object: no prose before or after it, no code fences.';

/** A model asked for bare JSON still sometimes wraps it in ```json fences. */
export function unfence(text: string): string {
  const match = /^\s*```(?:json)?\s*\n([\s\S]*?)\n?```\s*$/.exec(text);
  return match?.[1] ?? text;
}
