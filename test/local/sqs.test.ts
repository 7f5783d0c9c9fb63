import { LocalQueue, QueuePoller, md5Hex, startSqsEndpoint } from '../../local/sqs';
import type { SQSEvent } from 'aws-lambda';

/** A clock the test moves by hand, so visibility and delay are checked without waiting. */
function manualClock(start = 1_700_000_000_000) {
  let now = start;
  return { now: () => now, advance: (ms: number) => (now += ms) };
}

function queuePair(clock: { now: () => number }, maxReceiveCount = 3) {
  const deadLetterQueue = new LocalQueue({ name: 'imaging-dlq', visibilityTimeoutMs: 30_000, now: clock.now });
  const queue = new LocalQueue({ name: 'imaging', visibilityTimeoutMs: 60_000, redrive: { deadLetterQueue, maxReceiveCount }, now: clock.now });
  return { queue, deadLetterQueue };
}

describe('LocalQueue', () => {
  it('hides a received message for the visibility timeout and redelivers it afterwards', () => {
    const clock = manualClock();
    const { queue } = queuePair(clock);
    const { messageId } = queue.send('{"jobId":"j1"}');

    const first = queue.receive(10);
    expect(first.map((m) => m.messageId)).toEqual([messageId]);
    expect(first[0]!.receiveCount).toBe(1);
    expect(queue.receive(10)).toEqual([]);
    expect(queue.depth()).toEqual({ depth: 0, visible: 0, delayed: 0, inFlight: 1 });

    clock.advance(59_999);
    expect(queue.receive(10)).toEqual([]);
    clock.advance(1);
    const second = queue.receive(10);
    expect(second[0]!.messageId).toBe(messageId);
    expect(second[0]!.receiveCount).toBe(2);
    expect(second[0]!.receiptHandle).not.toBe(first[0]!.receiptHandle);
  });

  it('deletes only with the latest receipt handle', () => {
    const clock = manualClock();
    const { queue } = queuePair(clock);
    queue.send('a');
    const stale = queue.receive(1)[0]!.receiptHandle!;
    clock.advance(60_000);
    const fresh = queue.receive(1)[0]!.receiptHandle!;
    expect(queue.delete(stale)).toBe(false);
    expect(queue.delete(fresh)).toBe(true);
    clock.advance(60_000);
    expect(queue.receive(1)).toEqual([]);
    expect(queue.depth().depth).toBe(0);
  });

  it('moves a message to the dead-letter queue on the receive after maxReceiveCount deliveries', () => {
    const clock = manualClock();
    const { queue, deadLetterQueue } = queuePair(clock, 3);
    const { messageId } = queue.send('poison');
    for (let delivery = 1; delivery <= 3; delivery++) {
      const [message] = queue.receive(1);
      expect(message?.receiveCount).toBe(delivery);
      clock.advance(60_000);
    }
    expect(queue.receive(1)).toEqual([]);
    expect(queue.depth().depth).toBe(0);
    const dead = deadLetterQueue.peek();
    expect(dead.map((m) => [m.messageId, m.body, m.receiveCount])).toEqual([[messageId, 'poison', 3]]);
  });

  it('holds a delayed message back until DelaySeconds have passed', () => {
    const clock = manualClock();
    const { queue } = queuePair(clock);
    queue.send('later', { delaySeconds: 5 });
    expect(queue.depth()).toMatchObject({ depth: 1, delayed: 1, visible: 0 });
    expect(queue.receive(1)).toEqual([]);
    clock.advance(5_000);
    expect(queue.receive(1).map((m) => m.body)).toEqual(['later']);
  });

  it('rejects a delay outside SQS limits', () => {
    const { queue } = queuePair(manualClock());
    expect(() => queue.send('x', { delaySeconds: 901 })).toThrow('DelaySeconds must be an integer from 0 to 900');
  });

  it('receives at most the batch size', () => {
    const { queue } = queuePair(manualClock());
    for (let i = 0; i < 5; i++) queue.send(`m${i}`);
    expect(queue.receive(2)).toHaveLength(2);
    expect(queue.depth()).toMatchObject({ visible: 3, inFlight: 2 });
  });
});

describe('QueuePoller', () => {
  it('deletes successful records and keeps the ones named in batchItemFailures for redelivery', async () => {
    const clock = manualClock();
    const { queue } = queuePair(clock);
    queue.send('ok');
    queue.send('fails');
    const seen: string[] = [];
    let resolveDone!: () => void;
    const done = new Promise<void>((resolve) => (resolveDone = resolve));
    const poller = new QueuePoller(
      queue,
      async (event: SQSEvent) => {
        seen.push(...event.Records.map((r) => r.body));
        resolveDone();
        return { batchItemFailures: event.Records.filter((r) => r.body === 'fails').map((r) => ({ itemIdentifier: r.messageId })) };
      },
      { batchSize: 10, maxConcurrency: 2 },
    );
    poller.start();
    await done;
    await poller.stop();
    expect(seen.sort()).toEqual(['fails', 'ok']);
    clock.advance(60_000);
    const redelivered = queue.receive(10);
    expect(redelivered.map((m) => [m.body, m.receiveCount])).toEqual([['fails', 2]]);
  });

  it('keeps the whole batch when the invocation throws', async () => {
    const clock = manualClock();
    const { queue } = queuePair(clock);
    queue.send('a');
    queue.send('b');
    let resolveDone!: () => void;
    const done = new Promise<void>((resolve) => (resolveDone = resolve));
    const poller = new QueuePoller(
      queue,
      async () => {
        resolveDone();
        throw new Error('worker crashed');
      },
      { batchSize: 10, maxConcurrency: 2 },
    );
    poller.start();
    await done;
    await poller.stop();
    expect(poller.stats()).toMatchObject({ invocations: 1, failedInvocations: 1 });
    clock.advance(60_000);
    expect(queue.receive(10).map((m) => m.body).sort()).toEqual(['a', 'b']);
  });

  it('never runs more invocations at once than maxConcurrency', async () => {
    const { queue } = queuePair(manualClock());
    for (let i = 0; i < 12; i++) queue.send(`m${i}`);
    let running = 0;
    let peak = 0;
    let handled = 0;
    let resolveAll!: () => void;
    const all = new Promise<void>((resolve) => (resolveAll = resolve));
    const poller = new QueuePoller(
      queue,
      async (event) => {
        running += 1;
        peak = Math.max(peak, running);
        await new Promise((resolve) => setImmediate(resolve));
        running -= 1;
        handled += event.Records.length;
        if (handled === 12) resolveAll();
        return { batchItemFailures: [] };
      },
      { batchSize: 1, maxConcurrency: 3 },
    );
    poller.start();
    await all;
    await poller.stop();
    expect(peak).toBe(3);
    expect(queue.depth()).toEqual({ depth: 0, visible: 0, delayed: 0, inFlight: 0 });
  });

  it('redelivers on a real clock and dead-letters a message that always fails', async () => {
    const deadLetterQueue = new LocalQueue({ name: 'dlq', visibilityTimeoutMs: 1000 });
    const queue = new LocalQueue({ name: 'q', visibilityTimeoutMs: 5, redrive: { deadLetterQueue, maxReceiveCount: 3 } });
    const counts: string[] = [];
    let resolveDead!: () => void;
    const dead = new Promise<void>((resolve) => (resolveDead = resolve));
    deadLetterQueue.on('available', () => resolveDead());
    const poller = new QueuePoller(
      queue,
      async (event) => {
        counts.push(...event.Records.map((r) => r.attributes.ApproximateReceiveCount));
        return { batchItemFailures: event.Records.map((r) => ({ itemIdentifier: r.messageId })) };
      },
      { batchSize: 1, maxConcurrency: 2 },
    );
    poller.start();
    queue.send('poison');
    await dead;
    await poller.stop();
    expect(counts).toEqual(['1', '2', '3']);
    expect(deadLetterQueue.peek().map((m) => m.body)).toEqual(['poison']);
  });
});

describe('SQS JSON endpoint', () => {
  it('accepts SendMessage with DelaySeconds and answers MessageId and the body MD5', async () => {
    const queue = new LocalQueue({ name: 'imaging', visibilityTimeoutMs: 1000 });
    const sqs = await startSqsEndpoint({ queues: [queue], port: 0 });
    try {
      const response = await fetch(sqs.endpoint, {
        method: 'POST',
        headers: { 'content-type': 'application/x-amz-json-1.0', 'x-amz-target': 'AmazonSQS.SendMessage' },
        body: JSON.stringify({ QueueUrl: sqs.queueUrl('imaging'), MessageBody: 'hello', DelaySeconds: 3 }),
      });
      expect(response.status).toBe(200);
      const body = (await response.json()) as { MessageId: string; MD5OfMessageBody: string };
      expect(body.MD5OfMessageBody).toBe(md5Hex('hello'));
      expect(queue.peek().map((m) => m.messageId)).toEqual([body.MessageId]);
      expect(queue.depth()).toMatchObject({ delayed: 1 });
    } finally {
      await sqs.close();
    }
  });

  it('answers QueueDoesNotExist for an unknown queue', async () => {
    const sqs = await startSqsEndpoint({ queues: [], port: 0 });
    try {
      const response = await fetch(sqs.endpoint, {
        method: 'POST',
        headers: { 'content-type': 'application/x-amz-json-1.0', 'x-amz-target': 'AmazonSQS.SendMessage' },
        body: JSON.stringify({ QueueUrl: sqs.queueUrl('nope'), MessageBody: 'x' }),
      });
      expect(response.status).toBe(400);
      expect(await response.json()).toMatchObject({ __type: 'com.amazonaws.sqs#QueueDoesNotExist' });
    } finally {
      await sqs.close();
    }
  });
});
