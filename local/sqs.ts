/**
 * A local queue with the SQS semantics the imaging pipeline relies on, plus a loopback endpoint
 * that speaks the SQS JSON protocol, so the real SQS adapter in `functions/core/job-queue.ts`
 * sends to it unchanged through `AWS_ENDPOINT_URL_SQS`.
 *
 * Semantics kept from SQS (standard queue): DelaySeconds, a visibility timeout after each
 * receive, redelivery when a message is not deleted in time (a thrown batch or an entry in
 * `batchItemFailures`), an approximate receive count, and a redrive policy that moves a message
 * to the dead-letter queue on the receive attempt after `maxReceiveCount` deliveries, and fair
 * queues: a `MessageGroupId` names the message's tenant, and a receive prefers quiet tenants'
 * messages over a noisy neighbour's as SQS documents it (the order is in local/fair-queue.ts).
 *
 * Durability (`journalFile`, set by `npm start --data-dir`): SQS stores a message redundantly
 * before SendMessage answers, and a message received but not deleted reappears once its
 * visibility timeout ends, whatever became of the consumer
 * (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-visibility-timeout.html).
 * So every change (send, receive with its new visibility and receive count, delete, move to the
 * dead-letter queue) is appended to the journal synchronously before the call returns, i.e.
 * before the SendMessage reply and so before the API's 202; a restart replays it, and a message
 * that was in flight when the process was killed is received again after its visibility timeout.
 */
import { createHash, randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { appendFileSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { TenantActivity } from './fair-queue';
import { closeServer, listenOnLoopback } from './loopback-server';

/** Account id in local queue URLs and ARNs. */
export const LOCAL_ACCOUNT_ID = '000000000000';
export const LOCAL_REGION = 'us-east-1';

export interface LocalQueueOptions {
  name: string;
  /** Milliseconds a received message stays hidden (SQS: VisibilityTimeout, in seconds). */
  visibilityTimeoutMs: number;
  /** Redrive policy: after this many deliveries the next receive moves the message to `deadLetterQueue`. */
  redrive?: { deadLetterQueue: LocalQueue; maxReceiveCount: number };
  /** Clock, replaceable in tests. @default Date.now */
  now?: () => number;
  /** Keep the messages in this file (a journal, one JSON change per line); in memory when absent. */
  journalFile?: string;
}

export interface LocalMessage {
  messageId: string;
  body: string;
  md5OfBody: string;
  sentAt: number;
  /** Epoch ms from which the message can be received (delay or visibility timeout). */
  visibleAt: number;
  receiveCount: number;
  firstReceivedAt?: number;
  /** The fair queue's tenant (SQS MessageGroupId on a standard queue). */
  messageGroupId?: string;
  /** When the current delivery was received; cleared when its processing ends. */
  receivedAt?: number;
  /** Set while the message is in flight; a delete must present the latest one. */
  receiptHandle?: string;
}

export interface QueueDepth {
  /** Messages waiting to be received, including delayed ones (SQS ApproximateNumberOfMessages + Delayed). */
  depth: number;
  visible: number;
  delayed: number;
  /** Received and not yet deleted (ApproximateNumberOfMessagesNotVisible). */
  inFlight: number;
}

export function md5Hex(text: string): string {
  return createHash('md5').update(text, 'utf8').digest('hex');
}

/**
 * One queue. Emits `available` whenever a message may have become receivable sooner than the
 * last {@link nextVisibleAt} said (a send, a visibility change), so a poller need not spin.
 */
export class LocalQueue extends EventEmitter {
  readonly name: string;
  readonly arn: string;
  readonly visibilityTimeoutMs: number;
  private readonly redrive?: { deadLetterQueue: LocalQueue; maxReceiveCount: number };
  private readonly now: () => number;
  /** Insertion order approximates SQS's best-effort ordering. */
  private readonly messages = new Map<string, LocalMessage>();
  private readonly journal?: string;
  private readonly tenants = new TenantActivity();

  constructor(options: LocalQueueOptions) {
    super();
    this.name = options.name;
    this.arn = `arn:aws:sqs:${LOCAL_REGION}:${LOCAL_ACCOUNT_ID}:${options.name}`;
    this.visibilityTimeoutMs = options.visibilityTimeoutMs;
    this.redrive = options.redrive;
    this.now = options.now ?? Date.now;
    if (this.redrive && (!Number.isInteger(this.redrive.maxReceiveCount) || this.redrive.maxReceiveCount < 1)) {
      throw new Error(`queue ${this.name}: maxReceiveCount must be a positive integer, got ${this.redrive.maxReceiveCount}`);
    }
    if (options.journalFile) {
      this.journal = options.journalFile;
      this.replayJournal();
    }
  }

  /** Loads what the journal holds, then rewrites it as one line per message (so it cannot grow for ever). */
  private replayJournal(): void {
    const file = this.journal!;
    mkdirSync(dirname(file), { recursive: true });
    if (existsSync(file)) {
      for (const line of readFileSync(file, 'utf8').split('\n')) {
        if (line.trim() === '') continue;
        let change: JournalChange;
        try {
          change = JSON.parse(line) as JournalChange;
        } catch {
          // Only the last line can be torn (the process was killed while appending it); what it
          // described had not been acknowledged to anyone yet.
          continue;
        }
        if ('put' in change) this.messages.set(change.put.messageId, change.put);
        else this.messages.delete(change.del);
      }
    }
    const temporary = `${file}.${process.pid}.tmp`;
    writeFileSync(temporary, [...this.messages.values()].map((m) => `${JSON.stringify({ put: m })}\n`).join(''));
    renameSync(temporary, file);
  }

  /** Appends changes before the operation returns: an acknowledged send survives a kill -9. */
  private record(changes: JournalChange[]): void {
    if (!this.journal || changes.length === 0) return;
    appendFileSync(this.journal, changes.map((c) => `${JSON.stringify(c)}\n`).join(''));
  }

  send(body: string, options: { delaySeconds?: number; messageGroupId?: string } = {}): { messageId: string; md5OfBody: string } {
    const delaySeconds = options.delaySeconds ?? 0;
    if (!Number.isInteger(delaySeconds) || delaySeconds < 0 || delaySeconds > 900) {
      throw new RangeError(`DelaySeconds must be an integer from 0 to 900, got ${delaySeconds}`);
    }
    const { messageGroupId } = options;
    // SQS: 1 to 128 characters, letters, digits and punctuation.
    if (messageGroupId !== undefined && !/^[A-Za-z0-9!-/:-@[-`{-~]{1,128}$/.test(messageGroupId)) {
      throw new RangeError('MessageGroupId must be 1 to 128 letters, digits or punctuation');
    }
    const now = this.now();
    const message: LocalMessage = {
      messageId: randomUUID(),
      body,
      md5OfBody: md5Hex(body),
      sentAt: now,
      visibleAt: now + delaySeconds * 1000,
      receiveCount: 0,
      ...(messageGroupId === undefined ? {} : { messageGroupId }),
    };
    this.record([{ put: message }]);
    this.messages.set(message.messageId, message);
    this.tenants.sent(message, now);
    this.emit('available');
    return { messageId: message.messageId, md5OfBody: message.md5OfBody };
  }

  /** Adds a message as it was (used by the redrive policy to keep id, body and counts). */
  private accept(message: LocalMessage): void {
    const moved: LocalMessage = { ...message, visibleAt: this.now(), receiptHandle: undefined };
    this.record([{ put: moved }]);
    this.messages.set(moved.messageId, moved);
    this.emit('available');
  }

  /**
   * Receives up to `max` visible messages, in the fair queue's order, and hides them for the
   * visibility timeout. A message that was already delivered `maxReceiveCount` times moves to the
   * dead-letter queue instead.
   */
  receive(max: number): LocalMessage[] {
    const now = this.now();
    const received: LocalMessage[] = [];
    const waiting: LocalMessage[] = [];
    const inFlight: LocalMessage[] = [];
    for (const message of this.messages.values()) {
      if (message.visibleAt > now) {
        if (message.receiptHandle !== undefined) inFlight.push(message);
        continue;
      }
      // A delivery whose visibility ran out was processed until then.
      this.endProcessing(message, message.visibleAt);
      waiting.push(message);
    }
    for (const message of this.tenants.order(waiting, inFlight, now)) {
      if (received.length >= max) break;
      if (this.redrive && message.receiveCount >= this.redrive.maxReceiveCount) {
        // Into the dead-letter queue first: a kill in between leaves a copy in both, never none.
        this.redrive.deadLetterQueue.accept(message);
        this.record([{ del: message.messageId }]);
        this.messages.delete(message.messageId);
        continue;
      }
      message.receiveCount += 1;
      message.firstReceivedAt ??= now;
      message.receivedAt = now;
      message.receiptHandle = randomUUID();
      message.visibleAt = now + this.visibilityTimeoutMs;
      received.push({ ...message });
    }
    this.record(received.map((m) => ({ put: m })));
    return received;
  }

  /** Deletes a received message; false when the handle is stale (the message was received again since). */
  delete(receiptHandle: string): boolean {
    for (const message of this.messages.values()) {
      if (message.receiptHandle === receiptHandle) {
        this.endProcessing(message, Math.min(this.now(), message.visibleAt));
        this.record([{ del: message.messageId }]);
        this.messages.delete(message.messageId);
        return true;
      }
    }
    return false;
  }

  /** SQS ChangeMessageVisibility; 0 makes the message receivable at once. */
  changeVisibility(receiptHandle: string, visibilityTimeoutMs: number): boolean {
    for (const message of this.messages.values()) {
      if (message.receiptHandle === receiptHandle) {
        // Back on the queue at once: the consumer has stopped working on it.
        if (visibilityTimeoutMs === 0) this.endProcessing(message, this.now());
        message.visibleAt = this.now() + visibilityTimeoutMs;
        this.record([{ put: message }]);
        this.emit('available');
        return true;
      }
    }
    return false;
  }

  /** Counts a delivery's processing time towards its tenant once, for the fair order. */
  private endProcessing(message: LocalMessage, end: number): void {
    if (message.receivedAt === undefined) return;
    this.tenants.processed(message, message.receivedAt, end);
    message.receivedAt = undefined;
  }

  /** Earliest epoch ms at which some message becomes receivable; undefined when the queue is empty. */
  nextVisibleAt(): number | undefined {
    let next: number | undefined;
    for (const message of this.messages.values()) {
      if (next === undefined || message.visibleAt < next) next = message.visibleAt;
    }
    return next;
  }

  depth(): QueueDepth {
    const now = this.now();
    let visible = 0;
    let delayed = 0;
    let inFlight = 0;
    for (const message of this.messages.values()) {
      if (message.receiptHandle !== undefined && message.visibleAt > now) inFlight += 1;
      else if (message.visibleAt > now) delayed += 1;
      else visible += 1;
    }
    return { depth: visible + delayed, visible, delayed, inFlight };
  }

  /** Copies of every message the queue holds, for inspection (the dead-letter queue's contents). */
  peek(): LocalMessage[] {
    return [...this.messages.values()].map((m) => ({ ...m }));
  }

  /** Drops every message (SQS PurgeQueue); the tenants' history starts over. */
  purge(): void {
    this.record([...this.messages.keys()].map((id) => ({ del: id })));
    this.messages.clear();
    this.tenants.reset();
  }
}

/** One line of a queue journal: a message as it now is, or the id of one that is gone. */
type JournalChange = { put: LocalMessage } | { del: string };

/** Builds the SQS event a Lambda event source mapping would deliver for these messages. */
export function toSqsEvent(queue: LocalQueue, messages: LocalMessage[]): SQSEvent {
  const Records: SQSRecord[] = messages.map((m) => ({
    messageId: m.messageId,
    receiptHandle: m.receiptHandle ?? '',
    body: m.body,
    attributes: {
      ApproximateReceiveCount: String(m.receiveCount),
      SentTimestamp: String(m.sentAt),
      SenderId: LOCAL_ACCOUNT_ID,
      ApproximateFirstReceiveTimestamp: String(m.firstReceivedAt ?? m.sentAt),
    },
    messageAttributes: {},
    md5OfBody: m.md5OfBody,
    eventSource: 'aws:sqs',
    eventSourceARN: queue.arn,
    awsRegion: LOCAL_REGION,
  }));
  return { Records };
}

export interface QueuePollerOptions {
  /** Messages per invocation (the event source's BatchSize). */
  batchSize: number;
  /** Invocations at once (the event source's MaximumConcurrency, capped by reserved concurrency). */
  maxConcurrency: number;
}

export interface PollerStats {
  inFlightInvocations: number;
  invocations: number;
  failedInvocations: number;
}

/**
 * The Lambda event source mapping: receives batches and invokes the consumer with at most
 * `maxConcurrency` batches in flight. Deletes what succeeded; what failed (a thrown invocation,
 * or the ids in `batchItemFailures`) stays hidden until its visibility timeout ends, as in AWS.
 */
export class QueuePoller {
  private inFlight = 0;
  private invocations = 0;
  private failedInvocations = 0;
  private running = false;
  private timer?: NodeJS.Timeout;
  private readonly pending = new Set<Promise<void>>();
  private readonly onAvailable = () => this.pump();

  constructor(
    private readonly queue: LocalQueue,
    private readonly consume: (event: SQSEvent) => Promise<SQSBatchResponse | void>,
    private readonly options: QueuePollerOptions,
  ) {
    if (options.maxConcurrency < 1) throw new Error(`maxConcurrency must be at least 1, got ${options.maxConcurrency}`);
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.queue.on('available', this.onAvailable);
    this.pump();
  }

  /** Stops receiving and waits for the batches already in flight. */
  async stop(): Promise<void> {
    this.running = false;
    this.queue.off('available', this.onAvailable);
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    await Promise.allSettled([...this.pending]);
  }

  stats(): PollerStats {
    return { inFlightInvocations: this.inFlight, invocations: this.invocations, failedInvocations: this.failedInvocations };
  }

  private pump(): void {
    if (!this.running) return;
    while (this.inFlight < this.options.maxConcurrency) {
      const batch = this.queue.receive(this.options.batchSize);
      if (batch.length === 0) break;
      this.dispatch(batch);
    }
    this.scheduleWake();
  }

  private dispatch(batch: LocalMessage[]): void {
    this.inFlight += 1;
    this.invocations += 1;
    const run = (async () => {
      try {
        const response = await this.consume(toSqsEvent(this.queue, batch));
        const failed = new Set((response?.batchItemFailures ?? []).map((f) => f.itemIdentifier));
        for (const message of batch) {
          if (!failed.has(message.messageId) && message.receiptHandle) this.queue.delete(message.receiptHandle);
        }
      } catch {
        // The whole batch failed: every message becomes visible again after its timeout.
        this.failedInvocations += 1;
      } finally {
        this.inFlight -= 1;
      }
    })();
    this.pending.add(run);
    void run.finally(() => {
      this.pending.delete(run);
      this.pump();
    });
  }

  /** Wakes up when the next hidden or delayed message becomes visible. */
  private scheduleWake(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (!this.running || this.inFlight >= this.options.maxConcurrency) return;
    const next = this.queue.nextVisibleAt();
    if (next === undefined) return;
    // Timers can fire a millisecond early; the extra one avoids a wasted wake-up.
    this.timer = setTimeout(() => this.pump(), Math.max(0, next - Date.now()) + 1);
    this.timer.unref();
  }
}

// ---------------------------------------------------------------- SQS JSON protocol endpoint

export interface SqsEndpoint {
  /** Base URL for `AWS_ENDPOINT_URL_SQS`. */
  endpoint: string;
  /** The queue URL a function puts into `QueueUrl` (the stack's `IMAGING_QUEUE_URL`). */
  queueUrl(name: string): string;
  close(): Promise<void>;
}

class SqsProtocolError extends Error {
  constructor(
    readonly type: string,
    readonly queryError: string,
    message: string,
    readonly status = 400,
  ) {
    super(message);
  }
}

/**
 * Serves the SQS JSON protocol (AWS JSON 1.0, `X-Amz-Target: AmazonSQS.<Action>`) on loopback
 * for SendMessage, SendMessageBatch, GetQueueUrl and GetQueueAttributes. Signatures are not checked.
 */
export async function startSqsEndpoint(options: { queues: LocalQueue[]; port?: number; host?: string }): Promise<SqsEndpoint> {
  const host = options.host ?? '127.0.0.1';
  const byName = new Map(options.queues.map((q) => [q.name, q]));
  let endpoint = '';
  const queueUrl = (name: string) => `${endpoint}/${LOCAL_ACCOUNT_ID}/${name}`;

  const findQueue = (url: unknown): LocalQueue => {
    const name = typeof url === 'string' ? url.split('/').filter(Boolean).pop() : undefined;
    const queue = name === undefined ? undefined : byName.get(name);
    if (!queue) throw new SqsProtocolError('com.amazonaws.sqs#QueueDoesNotExist', 'AWS.SimpleQueueService.NonExistentQueue', `The specified queue does not exist: ${String(url)}`);
    return queue;
  };

  const actions: Record<string, (input: Record<string, unknown>) => unknown> = {
    SendMessage: (input) => {
      const queue = findQueue(input.QueueUrl);
      const { messageId, md5OfBody } = sendOne(queue, input);
      return { MessageId: messageId, MD5OfMessageBody: md5OfBody };
    },
    SendMessageBatch: (input) => {
      const queue = findQueue(input.QueueUrl);
      const entries = Array.isArray(input.Entries) ? (input.Entries as Record<string, unknown>[]) : [];
      const Successful: unknown[] = [];
      const Failed: unknown[] = [];
      for (const entry of entries) {
        try {
          const { messageId, md5OfBody } = sendOne(queue, entry);
          Successful.push({ Id: entry.Id, MessageId: messageId, MD5OfMessageBody: md5OfBody });
        } catch (error) {
          Failed.push({ Id: entry.Id, SenderFault: true, Code: 'InvalidParameterValue', Message: (error as Error).message });
        }
      }
      return { Successful, Failed };
    },
    GetQueueUrl: (input) => {
      const queue = findQueue(input.QueueName);
      return { QueueUrl: queueUrl(queue.name) };
    },
    GetQueueAttributes: (input) => {
      const queue = findQueue(input.QueueUrl);
      const depth = queue.depth();
      return {
        Attributes: {
          QueueArn: queue.arn,
          ApproximateNumberOfMessages: String(depth.visible),
          ApproximateNumberOfMessagesNotVisible: String(depth.inFlight),
          ApproximateNumberOfMessagesDelayed: String(depth.delayed),
          VisibilityTimeout: String(Math.ceil(queue.visibilityTimeoutMs / 1000)),
        },
      };
    },
  };

  const server = createServer((req, res) => {
    void handle(req, res);
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    try {
      const target = String(req.headers['x-amz-target'] ?? '');
      const action = target.startsWith('AmazonSQS.') ? target.slice('AmazonSQS.'.length) : '';
      const run = actions[action];
      if (req.method !== 'POST' || !run) {
        throw new SqsProtocolError('com.amazonaws.sqs#UnsupportedOperation', 'AWS.SimpleQueueService.UnsupportedOperation', `The local SQS endpoint does not support '${target || req.method}'`);
      }
      let input: Record<string, unknown>;
      try {
        input = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as Record<string, unknown>;
      } catch {
        throw new SqsProtocolError('com.amazonaws.sqs#InvalidParameterValue', 'InvalidParameterValue;Sender', 'The request body is not JSON');
      }
      const output = run(input);
      res.writeHead(200, { 'content-type': 'application/x-amz-json-1.0', 'x-amzn-requestid': randomUUID() });
      res.end(JSON.stringify(output));
    } catch (error) {
      const failure =
        error instanceof SqsProtocolError ? error : new SqsProtocolError('com.amazonaws.sqs#InvalidParameterValue', 'InvalidParameterValue;Sender', (error as Error).message);
      res.writeHead(failure.status, {
        'content-type': 'application/x-amz-json-1.0',
        'x-amzn-requestid': randomUUID(),
        'x-amzn-query-error': failure.queryError,
      });
      res.end(JSON.stringify({ __type: failure.type, message: failure.message }));
    }
  }

  endpoint = `http://${host}:${await listenOnLoopback(server, options.port, host)}`;

  return {
    endpoint,
    queueUrl,
    close: () => closeServer(server),
  };
}

function sendOne(queue: LocalQueue, input: Record<string, unknown>): { messageId: string; md5OfBody: string } {
  if (typeof input.MessageBody !== 'string' || input.MessageBody.length === 0) throw new Error('MessageBody must be a non-empty string');
  if (Buffer.byteLength(input.MessageBody, 'utf8') > 256 * 1024) throw new Error('MessageBody is longer than 262144 bytes');
  const delay = input.DelaySeconds === undefined ? 0 : Number(input.DelaySeconds);
  if (input.MessageGroupId !== undefined && typeof input.MessageGroupId !== 'string') throw new Error('MessageGroupId must be a string');
  return queue.send(input.MessageBody, { delaySeconds: delay, messageGroupId: input.MessageGroupId });
}
