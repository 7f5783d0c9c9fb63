/**
 * The delivery order of an SQS fair queue, for the local queue (local/sqs.ts): a standard queue
 * whose messages carry a `MessageGroupId`, each group one tenant. As AWS documents it
 * (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-fair-queues-detailed.html):
 *
 * - a message without a group id is a tenant of its own;
 * - a tenant is a noisy neighbour when it holds more than 10 % of the queue's in-flight messages
 *   and at least 30 of them, or more than 10 % of the recent consumer processing time;
 * - while any quiet tenant has a message waiting, a receive returns quiet tenants' messages; when
 *   only noisy tenants wait, the one with the fewest messages in flight goes first. Nothing is
 *   dropped or throttled: a noisy tenant's messages just wait longer;
 * - a tenant stops being noisy when its backlog is drained or it has sent nothing for 5 minutes.
 *
 * AWS gives no length for "recent" and calls its thresholds approximate; here processing time is
 * counted over the last {@link RECENT_PROCESSING_MS}, from receive to delete (or to the end of the
 * visibility timeout, or a visibility change to 0). Without any noisy tenant the order is the
 * standard queue's (oldest first, as the local queue keeps it).
 */

/** A tenant above this share of in-flight messages or of processing time may be noisy. */
export const NOISY_SHARE = 0.1;
/** ... and by in-flight messages only with at least this many of its own in flight. */
export const NOISY_MIN_IN_FLIGHT = 30;
/** A tenant that sent nothing for this long is quiet again, whatever its backlog. */
export const QUIET_AFTER_SILENCE_MS = 5 * 60_000;
/** The window of "recent" consumer processing time (AWS does not state one). */
export const RECENT_PROCESSING_MS = 60_000;

/** What the order needs to know about a message. */
export interface FairMessage {
  messageId: string;
  messageGroupId?: string;
  /** Set while the message is being processed (received, not deleted, visibility not run out). */
  receivedAt?: number;
}

export const tenantOf = (message: FairMessage): string => (message.messageGroupId === undefined ? `message:${message.messageId}` : `group:${message.messageGroupId}`);

interface ProcessingSpan {
  tenant: string;
  start: number;
  end: number;
}

/** Per-tenant sends and processing time of one queue. */
export class TenantActivity {
  private spans: ProcessingSpan[] = [];
  private readonly lastSentAt = new Map<string, number>();

  sent(message: FairMessage, at: number): void {
    this.lastSentAt.set(tenantOf(message), at);
  }

  /** A delivery's processing ended (deleted, returned, or its visibility ran out). */
  processed(message: FairMessage, start: number, end: number): void {
    if (end > start) this.spans.push({ tenant: tenantOf(message), start, end });
  }

  reset(): void {
    this.spans = [];
    this.lastSentAt.clear();
  }

  /**
   * `waiting` (receivable now, oldest first) in the order a fair queue delivers them, given the
   * messages in flight. In-flight counts grow as messages are taken, so a batch is balanced too.
   */
  order<T extends FairMessage>(waiting: T[], inFlight: FairMessage[], now: number): T[] {
    const since = now - RECENT_PROCESSING_MS;
    this.spans = this.spans.filter((s) => s.end > since);
    const waitingTenants = new Set(waiting.map(tenantOf));
    for (const [tenant, at] of this.lastSentAt) if (at < now - QUIET_AFTER_SILENCE_MS && !waitingTenants.has(tenant)) this.lastSentAt.delete(tenant);

    const processing = new Map<string, number>();
    const add = (tenant: string, ms: number) => processing.set(tenant, (processing.get(tenant) ?? 0) + ms);
    for (const span of this.spans) add(span.tenant, span.end - Math.max(span.start, since));
    const inFlightCount = new Map<string, number>();
    for (const message of inFlight) {
      const tenant = tenantOf(message);
      inFlightCount.set(tenant, (inFlightCount.get(tenant) ?? 0) + 1);
      if (message.receivedAt !== undefined) add(tenant, now - Math.max(message.receivedAt, since));
    }
    const totalProcessing = [...processing.values()].reduce((a, b) => a + b, 0);
    const noisy = (tenant: string): boolean => {
      // Silent for 5 minutes: quiet again. (A drained backlog has nothing waiting to order.)
      if ((this.lastSentAt.get(tenant) ?? -Infinity) < now - QUIET_AFTER_SILENCE_MS) return false;
      const flying = inFlightCount.get(tenant) ?? 0;
      if (flying >= NOISY_MIN_IN_FLIGHT && flying > NOISY_SHARE * inFlight.length) return true;
      return totalProcessing > 0 && (processing.get(tenant) ?? 0) > NOISY_SHARE * totalProcessing;
    };

    const quiet: T[] = [];
    const byNoisyTenant = new Map<string, T[]>();
    for (const message of waiting) {
      const tenant = tenantOf(message);
      if (!noisy(tenant)) quiet.push(message);
      else byNoisyTenant.set(tenant, [...(byNoisyTenant.get(tenant) ?? []), message]);
    }
    const ordered = [...quiet];
    for (const message of quiet) inFlightCount.set(tenantOf(message), (inFlightCount.get(tenantOf(message)) ?? 0) + 1);
    // Only noisy tenants are left: fewest in flight first; on a tie, the oldest waiting message.
    const age = new Map(waiting.map((m, i) => [m, i]));
    const before = (a: { tenant: string; queue: T[] }, b: { tenant: string; queue: T[] }) => {
      const flyingA = inFlightCount.get(a.tenant) ?? 0;
      const flyingB = inFlightCount.get(b.tenant) ?? 0;
      return flyingA !== flyingB ? flyingA < flyingB : age.get(a.queue[0]!)! < age.get(b.queue[0]!)!;
    };
    while (byNoisyTenant.size > 0) {
      let best: { tenant: string; queue: T[] } | undefined;
      for (const [tenant, queue] of byNoisyTenant) {
        if (!best || before({ tenant, queue }, best)) best = { tenant, queue };
      }
      const next = best!.queue.shift()!;
      ordered.push(next);
      inFlightCount.set(best!.tenant, (inFlightCount.get(best!.tenant) ?? 0) + 1);
      if (best!.queue.length === 0) byNoisyTenant.delete(best!.tenant);
    }
    return ordered;
  }
}
