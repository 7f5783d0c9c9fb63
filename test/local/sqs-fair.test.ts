/**
 * The local queue as an SQS fair queue (local/fair-queue.ts): with a noisy tenant (a message
 * group taking over 10 % of recent processing time, or over 10 % and at least 30 of the messages
 * in flight), a receive returns another tenant's waiting message first; among noisy tenants the
 * one with the fewest in flight; a tenant silent for 5 minutes is quiet again; without group ids
 * the order stays the standard queue's. A clock moved by hand stands in for processing time.
 */
import { SQSClient, SendMessageCommand } from '@aws-sdk/client-sqs';
import { NOISY_MIN_IN_FLIGHT, QUIET_AFTER_SILENCE_MS } from '../../local/fair-queue';
import { LocalQueue, startSqsEndpoint } from '../../local/sqs';

function manualClock(start = 1_700_000_000_000) {
  let now = start;
  return { now: () => now, advance: (ms: number) => (now += ms) };
}

/** A queue whose deliveries stay in flight for an hour unless deleted. */
function fairQueue(clock: { now: () => number }) {
  return new LocalQueue({ name: 'imaging', visibilityTimeoutMs: 3_600_000, now: clock.now });
}

const bodyOf = (tenant: string, n: number) => JSON.stringify({ tenant, n });
const tenantsOf = (messages: { body: string }[]) => messages.map((m) => (JSON.parse(m.body) as { tenant: string; n: number }).tenant + (JSON.parse(m.body) as { n: number }).n);

function sendMany(queue: LocalQueue, tenant: string, count: number, grouped = true) {
  for (let n = 1; n <= count; n++) queue.send(bodyOf(tenant, n), grouped ? { messageGroupId: tenant } : {});
}

describe('LocalQueue as a fair queue', () => {
  it("hands a quiet tenant's message to the next receive when another tenant's backlog holds the consumers", () => {
    const clock = manualClock();
    const queue = fairQueue(clock);
    sendMany(queue, 'A', 100);
    expect(tenantsOf(queue.receive(2))).toEqual(['A1', 'A2']);
    clock.advance(1_000);
    queue.send(bodyOf('B', 1), { messageGroupId: 'B' });
    expect(tenantsOf(queue.receive(1))).toEqual(['B1']);
    // No quiet tenant waits any more: the noisy one's messages go on as before.
    expect(tenantsOf(queue.receive(2))).toEqual(['A3', 'A4']);
  });

  it('keeps the standard order (oldest first) without group ids', () => {
    const clock = manualClock();
    const queue = fairQueue(clock);
    sendMany(queue, 'A', 100, false);
    queue.receive(2);
    clock.advance(1_000);
    queue.send(bodyOf('B', 1));
    expect(tenantsOf(queue.receive(1))).toEqual(['A3']);
  });

  it('keeps the standard order while no tenant is noisy: nothing in flight and nothing processed yet', () => {
    const clock = manualClock();
    const queue = fairQueue(clock);
    sendMany(queue, 'A', 3);
    queue.send(bodyOf('B', 1), { messageGroupId: 'B' });
    expect(tenantsOf(queue.receive(4))).toEqual(['A1', 'A2', 'A3', 'B1']);
  });

  it('counts processing time from receive to delete, so a finished backlog still marks its tenant noisy', () => {
    const clock = manualClock();
    const queue = fairQueue(clock);
    sendMany(queue, 'A', 10);
    const [first] = queue.receive(1);
    clock.advance(5_000);
    expect(queue.delete(first!.receiptHandle!)).toBe(true);
    queue.send(bodyOf('B', 1), { messageGroupId: 'B' });
    // Nothing in flight now; A's 5 s of processing is all the recent processing there was.
    expect(tenantsOf(queue.receive(1))).toEqual(['B1']);
  });

  it(`detects a noisy tenant by in-flight messages alone from ${NOISY_MIN_IN_FLIGHT} of them, not before`, () => {
    const clock = manualClock();
    // No time passes, so processing time shares are undefined and only the in-flight rule applies.
    const below = fairQueue(clock);
    sendMany(below, 'A', 40);
    below.receive(NOISY_MIN_IN_FLIGHT - 1);
    below.send(bodyOf('B', 1), { messageGroupId: 'B' });
    expect(tenantsOf(below.receive(1))).toEqual([`A${NOISY_MIN_IN_FLIGHT}`]);

    const at = fairQueue(clock);
    sendMany(at, 'A', 40);
    at.receive(NOISY_MIN_IN_FLIGHT);
    at.send(bodyOf('B', 1), { messageGroupId: 'B' });
    expect(tenantsOf(at.receive(1))).toEqual(['B1']);
  });

  it('serves, among noisy tenants, the one with the fewest messages in flight first, also within a batch', () => {
    const clock = manualClock();
    const queue = fairQueue(clock);
    sendMany(queue, 'A', 10);
    sendMany(queue, 'C', 10);
    expect(tenantsOf(queue.receive(3))).toEqual(['A1', 'A2', 'A3']);
    clock.advance(1_000);
    // A is noisy (all the processing so far), C quiet: C's oldest comes first.
    expect(tenantsOf(queue.receive(1))).toEqual(['C1']);
    clock.advance(1_000);
    // Now both are noisy (A 6 s of 7, C 1 s: over 10 % each); C has 1 in flight, A 3. On a tie the oldest message goes first.
    expect(tenantsOf(queue.receive(4))).toEqual(['C2', 'C3', 'A4', 'C4']);
  });

  it(`treats a tenant that sent nothing for ${QUIET_AFTER_SILENCE_MS / 60_000} minutes as quiet again`, () => {
    const clock = manualClock();
    const queue = fairQueue(clock);
    sendMany(queue, 'A', 10);
    queue.receive(2);
    clock.advance(QUIET_AFTER_SILENCE_MS - 1_000);
    queue.send(bodyOf('B', 1), { messageGroupId: 'B' });
    clock.advance(2_000);
    // A has been silent for over 5 minutes: the standard order again, oldest first.
    expect(tenantsOf(queue.receive(1))).toEqual(['A3']);
  });

  it('takes MessageGroupId over the SQS endpoint, and refuses one SQS would refuse', async () => {
    const clock = manualClock();
    const queue = fairQueue(clock);
    const sqs = await startSqsEndpoint({ queues: [queue], port: 0 });
    const client = new SQSClient({ endpoint: sqs.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
    try {
      await client.send(new SendMessageCommand({ QueueUrl: sqs.queueUrl('imaging'), MessageBody: 'x', MessageGroupId: 'practice-042' }));
      expect(queue.peek()[0]!.messageGroupId).toBe('practice-042');
      await expect(client.send(new SendMessageCommand({ QueueUrl: sqs.queueUrl('imaging'), MessageBody: 'y', MessageGroupId: 'ü'.repeat(3) }))).rejects.toThrow('MessageGroupId');
      await expect(client.send(new SendMessageCommand({ QueueUrl: sqs.queueUrl('imaging'), MessageBody: 'y', MessageGroupId: 'g'.repeat(129) }))).rejects.toThrow('MessageGroupId');
      expect(queue.peek()).toHaveLength(1);
    } finally {
      client.destroy();
      await sqs.close();
    }
  });
});
