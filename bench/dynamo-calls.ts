/**
 * Watches this process's HTTP calls to a DynamoDB endpoint and to the model provider (the SDKs use
 * node:http, which reports on diagnostics channels): how many calls a piece of work makes, how
 * many DynamoDB round trips it waited on one after another, where those fall around the model
 * call, and for how long at least one call was outstanding.
 */
import diagnosticsChannel from 'node:diagnostics_channel';
import type { ClientRequest, IncomingMessage } from 'node:http';

/** [start, end] of one call, in `performance.now()` milliseconds. */
export type CallInterval = readonly [number, number];

export interface DynamoWait {
  calls: number;
  /** Milliseconds with at least one call outstanding. */
  waitMs: number;
}

/** Length of the union of intervals, in the intervals' unit. */
export function coveredLength(intervals: ReadonlyArray<CallInterval>): number {
  const sorted = [...intervals].sort((a, b) => a[0] - b[0]);
  let total = 0;
  let end = -Infinity;
  for (const [from, to] of sorted) {
    if (to <= end) continue;
    total += to - Math.max(from, end);
    end = to;
  }
  return total;
}

/**
 * The calls grouped into round trips in series: calls that overlap in time went out together and
 * are one round trip; a call that starts after every call before it has ended is the next one.
 * Returns each round trip's [first start, last end], in order.
 */
export function roundTrips(intervals: ReadonlyArray<CallInterval>): Array<[number, number]> {
  const sorted = [...intervals].sort((a, b) => a[0] - b[0]);
  const trips: Array<[number, number]> = [];
  for (const [from, to] of sorted) {
    const last = trips.at(-1);
    if (last && from < last[1]) last[1] = Math.max(last[1], to);
    else trips.push([from, to]);
  }
  return trips;
}

/** What one request did with DynamoDB, around its model call. */
export interface RequestProfile {
  dynamoCalls: number;
  /** Round trips in series the caller waited on: those that started before its last byte (see {@link roundTrips}). */
  roundTrips: number;
  /** Round trips that started before the (first) model call started; all of them when no model was called. */
  beforeModel: number;
  /**
   * Round trips that started after the (last) model call had answered and before the caller had
   * its last byte: the ones the caller waited for after the model. 0 when no model was called.
   */
  afterModel: number;
  /** Milliseconds with a DynamoDB call outstanding. */
  dynamoWaitMs: number;
  /** Milliseconds of the request not spent waiting on DynamoDB or the model: the handler's own time. */
  ownMs: number;
}

export function requestProfile(options: { dynamo: ReadonlyArray<CallInterval>; model: ReadonlyArray<CallInterval>; started: number; callerDone: number }): RequestProfile {
  const { dynamo, model, started, callerDone } = options;
  const trips = roundTrips(dynamo);
  const modelStart = model.length === 0 ? Infinity : Math.min(...model.map((m) => m[0]));
  const modelEnd = model.length === 0 ? Infinity : Math.max(...model.map((m) => m[1]));
  // Only what the caller waited for counts towards the handler's own time.
  const clip = (intervals: ReadonlyArray<CallInterval>) => intervals.map(([a, b]): CallInterval => [Math.max(a, started), Math.min(b, callerDone)]).filter(([a, b]) => b > a);
  return {
    dynamoCalls: dynamo.length,
    roundTrips: trips.filter(([from]) => from < callerDone).length,
    beforeModel: trips.filter(([from]) => from < modelStart).length,
    afterModel: trips.filter(([from]) => from >= modelEnd && from < callerDone).length,
    dynamoWaitMs: coveredLength(dynamo),
    ownMs: Math.max(0, callerDone - started - coveredLength([...clip(dynamo), ...clip(model)])),
  };
}

/** Calls to two endpoints of this process, by port: DynamoDB, and the model provider. */
export class CallTimeline {
  private readonly started = new Map<ClientRequest, { at: number; port: number }>();
  private open = 0;
  private dynamo: CallInterval[] = [];
  private model: CallInterval[] = [];
  private readonly onStart = (message: unknown) => {
    const request = (message as { request: ClientRequest }).request;
    const port = portOf(request);
    if (port !== this.dynamoPort && port !== this.modelPort) return;
    this.started.set(request, { at: performance.now(), port });
    this.open += 1;
  };
  // Published when the response's headers arrive: the call ends when its body has been read
  // (a streamed model answer ends with its last byte).
  private readonly onFinish = (message: unknown) => {
    const { request, response } = message as { request: ClientRequest; response: IncomingMessage };
    const start = this.started.get(request);
    if (start === undefined) return;
    this.started.delete(request);
    let recorded = false;
    const record = () => {
      if (recorded) return;
      recorded = true;
      this.open -= 1;
      (start.port === this.dynamoPort ? this.dynamo : this.model).push([start.at, performance.now()]);
    };
    if (response.complete) record();
    else {
      response.once('end', record);
      response.once('close', record);
    }
  };

  // The provider SDKs call through fetch (undici), which reports on channels of its own: a
  // request from its creation until its body has been read (trailers) or it failed.
  private readonly fetchStarted = new Map<object, { at: number; port: number }>();
  private readonly onFetchCreate = (message: unknown) => {
    const request = (message as { request: { origin?: unknown } }).request;
    const port = portOfOrigin(request.origin);
    if (port !== this.dynamoPort && port !== this.modelPort) return;
    this.fetchStarted.set(request, { at: performance.now(), port });
    this.open += 1;
  };
  private readonly onFetchEnd = (message: unknown) => {
    const request = (message as { request: object }).request;
    const start = this.fetchStarted.get(request);
    if (start === undefined) return;
    this.fetchStarted.delete(request);
    this.open -= 1;
    (start.port === this.dynamoPort ? this.dynamo : this.model).push([start.at, performance.now()]);
  };

  constructor(
    private readonly dynamoPort: number,
    private readonly modelPort = -1,
  ) {
    diagnosticsChannel.subscribe('http.client.request.start', this.onStart);
    diagnosticsChannel.subscribe('http.client.response.finish', this.onFinish);
    diagnosticsChannel.subscribe('undici:request:create', this.onFetchCreate);
    diagnosticsChannel.subscribe('undici:request:trailers', this.onFetchEnd);
    diagnosticsChannel.subscribe('undici:request:error', this.onFetchEnd);
  }

  /**
   * Resolves once no watched call is outstanding (work a handler left running after its answer),
   * or after `limitMs` (a call that never ends, or errored before its response, is not waited for).
   */
  async settled(limitMs = 2_000): Promise<void> {
    const giveUpAt = performance.now() + limitMs;
    // A turn of the event loop first: a write fired just after the answer starts on the next tick.
    await new Promise((resolve) => setImmediate(resolve));
    while (this.open > 0 && performance.now() < giveUpAt) await new Promise((resolve) => setTimeout(resolve, 1));
  }

  /** The calls that ended since the last take (and starts collecting afresh). */
  take(): { dynamo: CallInterval[]; model: CallInterval[] } {
    const taken = { dynamo: this.dynamo, model: this.model };
    this.dynamo = [];
    this.model = [];
    return taken;
  }

  close(): void {
    diagnosticsChannel.unsubscribe('http.client.request.start', this.onStart);
    diagnosticsChannel.unsubscribe('http.client.response.finish', this.onFinish);
    diagnosticsChannel.unsubscribe('undici:request:create', this.onFetchCreate);
    diagnosticsChannel.unsubscribe('undici:request:trailers', this.onFetchEnd);
    diagnosticsChannel.unsubscribe('undici:request:error', this.onFetchEnd);
  }
}

/** Calls to one DynamoDB endpoint: how many, and for how long one was outstanding. */
export class DynamoCallWatch {
  private readonly timeline: CallTimeline;
  constructor(port: number) {
    this.timeline = new CallTimeline(port);
  }
  /** What happened since the last call (and starts counting afresh). */
  take(): DynamoWait {
    const { dynamo } = this.timeline.take();
    return { calls: dynamo.length, waitMs: coveredLength(dynamo) };
  }
  close(): void {
    this.timeline.close();
  }
}

function portOfOrigin(origin: unknown): number {
  if (typeof origin !== 'string') return -1;
  try {
    return Number(new URL(origin).port || -1);
  } catch {
    return -1;
  }
}

function portOf(request: ClientRequest): number {
  const host = String(request.getHeader('host') ?? request.host ?? '');
  const match = /:(\d+)$/.exec(host);
  return match ? Number(match[1]) : -1;
}
