/**
 * Watches this process's HTTP calls to one DynamoDB endpoint (the SDK uses node:http, which
 * reports on diagnostics channels): how many calls a piece of work makes, and for how long at
 * least one of them was outstanding, i.e. the time the work spent waiting on DynamoDB.
 */
import diagnosticsChannel from 'node:diagnostics_channel';
import type { ClientRequest } from 'node:http';

export interface DynamoWait {
  calls: number;
  /** Milliseconds with at least one call outstanding. */
  waitMs: number;
}

/** Length of the union of intervals, in the intervals' unit. */
export function coveredLength(intervals: ReadonlyArray<readonly [number, number]>): number {
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

export class DynamoCallWatch {
  private readonly started = new Map<ClientRequest, number>();
  private intervals: Array<[number, number]> = [];
  private readonly onStart = (message: unknown) => {
    const request = (message as { request: ClientRequest }).request;
    if (this.isDynamo(request)) this.started.set(request, performance.now());
  };
  private readonly onFinish = (message: unknown) => {
    const request = (message as { request: ClientRequest }).request;
    const from = this.started.get(request);
    if (from === undefined) return;
    this.started.delete(request);
    this.intervals.push([from, performance.now()]);
  };

  constructor(private readonly port: number) {
    diagnosticsChannel.subscribe('http.client.request.start', this.onStart);
    diagnosticsChannel.subscribe('http.client.response.finish', this.onFinish);
  }

  private isDynamo(request: ClientRequest): boolean {
    const host = String(request.getHeader('host') ?? request.host ?? '');
    return host.endsWith(`:${this.port}`);
  }

  /** What happened since the last call (and starts counting afresh). */
  take(): DynamoWait {
    const intervals = this.intervals;
    this.intervals = [];
    return { calls: intervals.length, waitMs: coveredLength(intervals) };
  }

  close(): void {
    diagnosticsChannel.unsubscribe('http.client.request.start', this.onStart);
    diagnosticsChannel.unsubscribe('http.client.response.finish', this.onFinish);
  }
}
