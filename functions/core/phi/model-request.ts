/**
 * Scrubbing one model request for a provider outside the BAA boundary, and putting the originals
 * back into its answer.
 *
 * Every free-text part (the system prompt and every turn) is scrubbed as one text, so one person
 * gets one placeholder across the whole request and the answer restores without ambiguity. Images
 * are not text and pass as they are (the imaging task sends no free text about the patient).
 *
 * JSON answers are restored in the raw text before parsing, with each original escaped as a JSON
 * string body: a placeholder can only stand inside a string value of a valid answer, and restoring
 * before parsing keeps one code path for JSON and text, with the repair turn seeing the originals.
 */
import type { ModelRequest } from '../model-call';
import { PHI_KINDS, PLACEHOLDER_TAG, type PhiKind } from './kinds';
import { detectPhi, scrubPhi } from './scrub';

/** Stands between the parts while they are scrubbed as one text; no identifier pattern spans it. */
const PART_SEPARATOR = '\n\u0000\n';
const PLACEHOLDER = new RegExp(`\\[(?:${PHI_KINDS.map((kind) => PLACEHOLDER_TAG[kind]).join('|')})_\\d+\\]`, 'g');
/** The longest possible placeholder, `[INSURANCE_ID_<n>]` with a generous number, for stream buffering. */
const MAX_PLACEHOLDER_LENGTH = Math.max(...PHI_KINDS.map((kind) => PLACEHOLDER_TAG[kind].length)) + 12;
const PLACEHOLDER_PREFIX = /^\[[A-Z_]*\d*$/;

export interface ScrubbedModelRequest {
  request: ModelRequest;
  /** How many identifiers of each kind were replaced. Safe to log: no identifier in it. */
  counts: Partial<Record<PhiKind, number>>;
  /** Restores a whole answer; `json` escapes each original for a JSON string. */
  restore(answer: string, format: ModelRequest['responseFormat']): string;
  /** A restorer for a streamed answer, fed delta by delta. */
  streamRestorer(): StreamRestorer;
}

export function scrubModelRequest(request: ModelRequest): ScrubbedModelRequest {
  const parts = [request.system, ...request.messages.map((m) => m.content)];
  const scrubbed = scrubPhi(parts.join(PART_SEPARATOR));
  const scrubbedParts = scrubbed.text.split(PART_SEPARATOR);
  // A separator swallowed by a span would shift every part; refuse rather than send a mangled request.
  if (scrubbedParts.length !== parts.length) throw new Error('PHI scrubbing merged two parts of the request');

  const originals = new Map(scrubbed.found.map((f) => [f.placeholder, scrubbed.restore(f.placeholder)]));
  const counts: Partial<Record<PhiKind, number>> = {};
  for (const f of scrubbed.found) counts[f.kind] = (counts[f.kind] ?? 0) + 1;
  const restoreText = (text: string) => (originals.size === 0 ? text : text.replace(PLACEHOLDER, (p) => originals.get(p) ?? p));

  return {
    request: {
      ...request,
      system: scrubbedParts[0]!,
      messages: request.messages.map((m, i) => ({ ...m, content: scrubbedParts[i + 1]! })),
    },
    counts,
    restore(answer, format) {
      if (originals.size === 0) return answer;
      if (format === 'text') return restoreText(answer);
      return answer.replace(PLACEHOLDER, (p) => {
        const original = originals.get(p);
        return original === undefined ? p : JSON.stringify(original).slice(1, -1);
      });
    },
    streamRestorer: () => new StreamRestorer(restoreText),
  };
}

/**
 * Restores placeholders in a streamed answer whose deltas may split one (`…for [NA` + `ME_1].`):
 * text from an unclosed `[` that could still become a placeholder is held back until it closes,
 * turns out not to be one, or the stream ends.
 */
export class StreamRestorer {
  private held = '';

  constructor(private readonly restoreText: (text: string) => string) {}

  /** The text that can be shown now (possibly empty). */
  push(delta: string): string {
    const text = this.held + delta;
    const open = text.lastIndexOf('[');
    if (open !== -1 && text.length - open <= MAX_PLACEHOLDER_LENGTH && PLACEHOLDER_PREFIX.test(text.slice(open))) {
      this.held = text.slice(open);
      return this.restoreText(text.slice(0, open));
    }
    this.held = '';
    return this.restoreText(text);
  }

  /** What is still held when the stream ends. */
  flush(): string {
    const rest = this.held;
    this.held = '';
    return this.restoreText(rest);
  }
}

/** The kinds of identifier anywhere in the request's free text (for the `block` policy). */
export function detectPhiInRequest(request: ModelRequest): PhiKind[] {
  return detectPhi([request.system, ...request.messages.map((m) => m.content)].join(PART_SEPARATOR));
}
