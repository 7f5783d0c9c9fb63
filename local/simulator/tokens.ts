/**
 * Token counts the simulator reports. Deterministic functions of the input and output lengths,
 * so a test or the benchmark can predict them: about four characters per text token, and a fixed
 * base per image plus a share that grows with the image's size (as vision models tile images).
 */

export const IMAGE_BASE_TOKENS = 85;
/** Decoded image bytes per extra token. */
export const IMAGE_BYTES_PER_TOKEN = 750;

export function textTokens(text: string): number {
  return Math.ceil(text.length / 4);
}

export function imageTokens(dataBase64: string): number {
  const bytes = Math.floor((dataBase64.length * 3) / 4);
  return IMAGE_BASE_TOKENS + Math.ceil(bytes / IMAGE_BYTES_PER_TOKEN);
}

/** What a prompt is made of, after the API-specific request has been read. */
export interface PromptParts {
  system: string;
  /** Text of every message, in order. */
  texts: string[];
  /** Base64 data of every image. */
  images: string[];
  /** Text of the last user turn: what the answer is about. */
  lastUserText: string;
}

export function promptTokens(prompt: PromptParts): number {
  return textTokens(prompt.system) + prompt.texts.reduce((sum, t) => sum + textTokens(t), 0) + prompt.images.reduce((sum, i) => sum + imageTokens(i), 0);
}
