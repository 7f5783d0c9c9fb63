/**
 * Open-loop load over HTTP: requests leave on a schedule whatever the answers do, so a slow
 * gateway cannot slow the test down and hide its own latency (no coordinated omission). Every
 * loop ends by itself: at the end of its schedule, with every request bounded by a timeout.
 */
import type { BenchRequest } from './workload';

export const DEV_TOKEN = 'local-dev-token';

export interface RequestOutcome {
  /** Which stream sent it (`clinical`, `chat`, …). */
  stream: string;
  seq: number;
  /** Milliseconds since the load started, when the request was sent. */
  atMs: number;
  latencyMs: number;
  /** HTTP status; 0 when no answer came (timeout, connection refused). */
  status: number;
  /** `error.code` of a JSON error body, `timeout`, or `network`. */
  code?: string;
  /** The parsed answer, kept only for streams that ask (`keepBodies`). */
  body?: unknown;
}

export interface SendOptions {
  baseUrl: string;
  token?: string;
  timeoutMs: number;
}

/** One request; reads the whole answer (a stream to its end) before it counts as done. */
export async function sendRequest(request: BenchRequest, options: SendOptions): Promise<{ status: number; latencyMs: number; code?: string; body?: unknown; headers?: Headers }> {
  const started = performance.now();
  try {
    const response = await fetch(`${options.baseUrl}${request.path}`, {
      method: request.method,
      headers: { authorization: `Bearer ${options.token ?? DEV_TOKEN}`, ...(request.body === undefined ? {} : { 'content-type': 'application/json' }), ...request.headers },
      body: request.body === undefined ? undefined : JSON.stringify(request.body),
      signal: AbortSignal.timeout(options.timeoutMs),
    });
    const text = await response.text();
    const latencyMs = performance.now() - started;
    let body: unknown;
    try {
      body = text === '' ? undefined : JSON.parse(text);
    } catch {
      body = text;
    }
    const code = response.ok ? undefined : errorCodeOf(body) ?? `http-${response.status}`;
    return { status: response.status, latencyMs, code, body, headers: response.headers };
  } catch (error) {
    const name = (error as Error).name;
    return { status: 0, latencyMs: performance.now() - started, code: name === 'TimeoutError' || name === 'AbortError' ? 'timeout' : 'network' };
  }
}

function errorCodeOf(body: unknown): string | undefined {
  if (typeof body !== 'object' || body === null) return undefined;
  const error = (body as { error?: unknown }).error;
  if (typeof error === 'object' && error !== null && typeof (error as { code?: unknown }).code === 'string') return (error as { code: string }).code;
  // API Gateway's own errors (a Lambda throttle) carry only a message and a type header.
  const message = (body as { message?: unknown }).message;
  return typeof message === 'string' ? message : undefined;
}

export interface LoadStream {
  name: string;
  /** Requests per second at `elapsedMs` since the start (0: none for now). */
  rate(elapsedMs: number): number;
  build(seq: number): BenchRequest;
  /** Keep each answer's body in its outcome (e.g. to read job ids). @default false */
  keepBodies?: boolean;
}

export interface OpenLoopOptions extends SendOptions {
  streams: LoadStream[];
  durationMs: number;
  /** Called after each answer (progress lines). */
  onOutcome?: (outcome: RequestOutcome) => void;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));

/** Runs every stream on its schedule for `durationMs`, then waits for the answers still out. */
export async function runOpenLoop(options: OpenLoopOptions): Promise<RequestOutcome[]> {
  const outcomes: RequestOutcome[] = [];
  const inFlight = new Set<Promise<void>>();
  const started = performance.now();

  const drive = async (stream: LoadStream) => {
    let seq = 0;
    let next = 0;
    while (next < options.durationMs) {
      await sleep(started + next - performance.now());
      const rate = stream.rate(next);
      if (rate <= 0) {
        next += 100;
        continue;
      }
      const atMs = performance.now() - started;
      const mySeq = seq++;
      const request = stream.build(mySeq);
      const sent = sendRequest(request, options).then((answer) => {
        const outcome: RequestOutcome = { stream: stream.name, seq: mySeq, atMs, latencyMs: answer.latencyMs, status: answer.status, code: answer.code, ...(stream.keepBodies ? { body: answer.body } : {}) };
        outcomes.push(outcome);
        options.onOutcome?.(outcome);
      });
      inFlight.add(sent);
      void sent.finally(() => inFlight.delete(sent));
      next += 1000 / rate;
    }
  };

  await Promise.all(options.streams.map(drive));
  await Promise.all([...inFlight]);
  return outcomes.sort((a, b) => a.atMs - b.atMs);
}

/** Outcomes of one stream, split by how they ended. */
export function tally(outcomes: RequestOutcome[], stream: string) {
  const mine = outcomes.filter((o) => o.stream === stream);
  const ok = mine.filter((o) => o.status >= 200 && o.status < 300);
  const throttled = mine.filter((o) => o.status === 429);
  const byCode: Record<string, number> = {};
  for (const o of mine) if (o.code) byCode[o.code] = (byCode[o.code] ?? 0) + 1;
  return { total: mine.length, ok: ok.length, errors: mine.length - ok.length, throttled: throttled.length, byCode, okLatencies: ok.map((o) => o.latencyMs), all: mine };
}
