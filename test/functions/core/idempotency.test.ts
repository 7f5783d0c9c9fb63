import { createHash, randomUUID } from 'node:crypto';
import { GetCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { BadRequestError, DependencyUnavailableError, IdempotencyConflictError, IdempotencyInProgressError, toHttpError } from '../../../functions/core/errors';
import { DEADLINE_MARGIN_MS, type RouteResult } from '../../../functions/core/http';
import { IDEMPOTENT_REPLAYED_HEADER, RouteIdempotency, parseIdempotencyKey, type IdempotentRequest } from '../../../functions/core/idempotency';
import { startDynamoHarness, type DynamoHarness } from '../../support/dynamo';
import { clockPast } from '../../support/wait-for';

let harness: DynamoHarness;
let idempotency: RouteIdempotency;

const CLAIMS = 'POST /v1/billing/claims';
const ANALYSES = 'POST /v1/imaging/analyses';
const claimBody = { patientRef: 'pt-ref-77', procedures: [{ cdtCode: 'D2740', toothNumber: '14' }], payer: { name: 'Delta Dental' } };

beforeAll(async () => {
  harness = await startDynamoHarness();
  idempotency = new RouteIdempotency({ tableName: harness.tables.cache, doc: harness.doc });
});
afterAll(() => harness.close());

/** A producer that creates a new "job" per run, so a replay is told apart from a second run. */
function jobProducer() {
  const runs: string[] = [];
  const produce = async (): Promise<RouteResult> => {
    const jobId = randomUUID();
    runs.push(jobId);
    return { statusCode: 202, headers: { location: `/v1/imaging/analyses/${jobId}` }, body: { jobId, status: 'QUEUED', estimateCents: 12_500 } };
  };
  return { runs, produce };
}

function request(overrides: Partial<IdempotentRequest> = {}): IdempotentRequest {
  return { key: `key-${randomUUID()}`, practiceId: 'practice-a', route: CLAIMS, body: claimBody, deadline: Date.now() + 25_000, ...overrides };
}

/** A promise with its resolve exposed, to hold a producer mid-flight. */
function gate() {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { opened, open };
}

async function idempotencyItems() {
  const scan = await harness.doc.send(new ScanCommand({ TableName: harness.tables.cache }));
  return (scan.Items ?? []).filter((item) => String(item.id).startsWith('IDEMPOTENCY#'));
}

describe('the Idempotency-Key header', () => {
  it.each(['', 'a'.repeat(129), 'has space', 'slash/y', 'ключ', 'semi;colon', 'quote"'])('refuses %j with a 400 before doing anything', async (key) => {
    const { runs, produce } = jobProducer();
    const attempt = idempotency.run(request({ key }), produce);
    await expect(attempt).rejects.toBeInstanceOf(BadRequestError);
    await expect(attempt).rejects.toThrow(/Idempotency-Key/);
    expect(runs).toHaveLength(0);
  });

  it('accepts 1 to 128 characters of letters, digits and _ - : .', () => {
    expect(parseIdempotencyKey('a')).toBe('a');
    expect(parseIdempotencyKey('Order_2026-11-26T10:00:00.000Z')).toBe('Order_2026-11-26T10:00:00.000Z');
    expect(parseIdempotencyKey('x'.repeat(128))).toHaveLength(128);
    expect(parseIdempotencyKey(undefined)).toBeUndefined();
  });

  it('absent: every request is processed and nothing is stored', async () => {
    const before = await idempotencyItems();
    const { runs, produce } = jobProducer();
    const first = await idempotency.run(request({ key: undefined }), produce);
    const second = await idempotency.run(request({ key: undefined }), produce);
    expect(runs).toHaveLength(2);
    expect(first.body).not.toEqual(second.body);
    expect(second.headers?.[IDEMPOTENT_REPLAYED_HEADER]).toBeUndefined();
    expect(await idempotencyItems()).toHaveLength(before.length);
  });
});

describe('RouteIdempotency over dynalite', () => {
  it('replays the first answer to a retry, with the body keys in any order, and runs the work once', async () => {
    const { runs, produce } = jobProducer();
    const first = await idempotency.run(request({ key: 'claim-1' }), produce);
    const reordered = { payer: { name: 'Delta Dental' }, procedures: [{ toothNumber: '14', cdtCode: 'D2740' }], patientRef: 'pt-ref-77' };
    const retry = await idempotency.run(request({ key: 'claim-1', body: reordered }), produce);

    expect(runs).toHaveLength(1);
    expect(first.headers?.[IDEMPOTENT_REPLAYED_HEADER]).toBeUndefined();
    expect(retry).toEqual({ statusCode: 202, headers: { ...first.headers, [IDEMPOTENT_REPLAYED_HEADER]: 'true' }, body: first.body });
    expect(retry.body).toEqual({ jobId: runs[0], status: 'QUEUED', estimateCents: 12_500 });
  });

  it('answers 422 IdempotencyKeyReused when the key comes back with another body', async () => {
    const { runs, produce } = jobProducer();
    await idempotency.run(request({ key: 'claim-2' }), produce);
    const changed = { ...claimBody, procedures: [{ cdtCode: 'D2750', toothNumber: '14' }] };
    const attempt = idempotency.run(request({ key: 'claim-2', body: changed }), produce);

    await expect(attempt).rejects.toBeInstanceOf(IdempotencyConflictError);
    const mapped = toHttpError(await attempt.catch((error: unknown) => error));
    expect(mapped.statusCode).toBe(422);
    expect(mapped.body.error.code).toBe('IdempotencyKeyReused');
    expect(runs).toHaveLength(1);
  });

  it('keeps two practices using the same key apart, each replaying only its own answer', async () => {
    const a = jobProducer();
    const b = jobProducer();
    const firstA = await idempotency.run(request({ key: 'shared-key', practiceId: 'practice-a' }), a.produce);
    const firstB = await idempotency.run(request({ key: 'shared-key', practiceId: 'practice-b' }), b.produce);
    const retryA = await idempotency.run(request({ key: 'shared-key', practiceId: 'practice-a' }), a.produce);
    const retryB = await idempotency.run(request({ key: 'shared-key', practiceId: 'practice-b' }), b.produce);

    expect(a.runs).toHaveLength(1);
    expect(b.runs).toHaveLength(1);
    expect(firstA.body).not.toEqual(firstB.body);
    expect(retryA.body).toEqual(firstA.body);
    expect(retryB.body).toEqual(firstB.body);
  });

  it('treats the same key on another route as another request', async () => {
    const { runs, produce } = jobProducer();
    const claim = await idempotency.run(request({ key: 'route-key', route: CLAIMS }), produce);
    const analysis = await idempotency.run(request({ key: 'route-key', route: ANALYSES, body: { imageKey: 'uploads/x.png' } }), produce);
    expect(runs).toHaveLength(2);
    expect(analysis.body).not.toEqual(claim.body);
  });

  it('answers 409 with Retry-After while the first attempt runs, then replays its answer', async () => {
    const { runs, produce } = jobProducer();
    const hold = gate();
    const entered = gate();
    const first = idempotency.run(request({ key: 'slow-claim' }), async () => {
      entered.open();
      await hold.opened;
      return produce();
    });
    await entered.opened;

    const duplicate = await idempotency.run(request({ key: 'slow-claim' }), produce).catch((error: unknown) => error);
    expect(duplicate).toBeInstanceOf(IdempotencyInProgressError);
    const mapped = toHttpError(duplicate);
    expect(mapped.statusCode).toBe(409);
    expect(mapped.body.error.code).toBe('IdempotencyRequestInProgress');
    expect(Number(mapped.headers['Retry-After'])).toBeGreaterThanOrEqual(1);
    expect(Number(mapped.headers['Retry-After'])).toBeLessThanOrEqual(5);

    hold.open();
    const answer = await first;
    const later = await idempotency.run(request({ key: 'slow-claim' }), produce);
    expect(runs).toHaveLength(1);
    expect(later.body).toEqual(answer.body);
  });

  it('runs a burst of concurrent duplicates exactly once; the rest get 409 or the replay', async () => {
    const { runs, produce } = jobProducer();
    const outcomes = await Promise.allSettled(Array.from({ length: 12 }, () => idempotency.run(request({ key: 'burst' }), produce)));

    expect(runs).toHaveLength(1);
    const answers = outcomes.filter((o): o is PromiseFulfilledResult<RouteResult> => o.status === 'fulfilled').map((o) => o.value);
    const refusals = outcomes.filter((o): o is PromiseRejectedResult => o.status === 'rejected').map((o) => o.reason as unknown);
    expect(answers.length).toBeGreaterThanOrEqual(1);
    for (const answer of answers) expect(answer.body).toEqual({ jobId: runs[0], status: 'QUEUED', estimateCents: 12_500 });
    for (const refusal of refusals) expect(refusal).toBeInstanceOf(IdempotencyInProgressError);
  });

  it('stores nothing when the work fails, so the retry runs again', async () => {
    const { runs, produce } = jobProducer();
    const before = await idempotencyItems();
    const failing = idempotency.run(request({ key: 'flaky-claim' }), async () => {
      throw new DependencyUnavailableError('queue down');
    });
    await expect(failing).rejects.toBeInstanceOf(DependencyUnavailableError);
    await expect(failing).rejects.toThrow('queue down');
    expect(await idempotencyItems()).toHaveLength(before.length);

    const retry = await idempotency.run(request({ key: 'flaky-claim' }), produce);
    expect(runs).toHaveLength(1);
    expect(retry.headers?.[IDEMPOTENT_REPLAYED_HEADER]).toBeUndefined();
    expect(retry.body).toEqual({ jobId: runs[0], status: 'QUEUED', estimateCents: 12_500 });
  });

  it('lets a retry take over once a first attempt that never finished is past its deadline', async () => {
    const { runs, produce } = jobProducer();
    const stuck = gate();
    const entered = gate();
    // A deadline (and the Lambda timeout after it) already behind us, as for a timed-out attempt.
    const timedOut = idempotency
      .run(request({ key: 'crashed-claim', deadline: Date.now() - DEADLINE_MARGIN_MS }), async () => {
        entered.open();
        await stuck.opened;
        return produce();
      })
      .catch(() => undefined);
    await entered.opened;
    // Its in-progress record lasts as long as that attempt had left (1 ms at least) from when it was
    // written, before the handler was entered: wait for the clock to pass that.
    await clockPast(Date.now() + 1);

    const retry = await idempotency.run(request({ key: 'crashed-claim' }), produce);
    expect(runs).toHaveLength(1);
    expect(retry.body).toEqual({ jobId: runs[0], status: 'QUEUED', estimateCents: 12_500 });
    stuck.open();
    await timedOut;
  });

  it('keeps only hashes of the practice, key and body, with the TTL an hour ahead', async () => {
    const { produce } = jobProducer();
    const key = `visible-${randomUUID()}`;
    const started = Date.now();
    await idempotency.run(request({ key, practiceId: 'practice-secret' }), produce);
    const finished = Date.now();

    const digest = createHash('sha256').update(JSON.stringify(['practice-secret', CLAIMS, key])).digest('base64');
    const stored = await harness.doc.send(new GetCommand({ TableName: harness.tables.cache, Key: { id: `IDEMPOTENCY#${digest}` } }));
    expect(stored.Item).toMatchObject({ status: 'COMPLETED' });
    const text = JSON.stringify(stored.Item);
    for (const secret of [key, 'practice-secret', 'pt-ref-77', 'Delta Dental']) expect(text).not.toContain(secret);
    expect(stored.Item?.expiration).toBeGreaterThanOrEqual(Math.floor(started / 1000) + 3_600);
    expect(stored.Item?.expiration).toBeLessThanOrEqual(Math.ceil(finished / 1000) + 3_600);
  });

  it('answers 503 without doing the work when the store cannot be reached', async () => {
    const broken = new RouteIdempotency({ tableName: 'no-such-table', doc: harness.doc });
    const { runs, produce } = jobProducer();
    const attempt = broken.run(request(), produce);
    await expect(attempt).rejects.toBeInstanceOf(DependencyUnavailableError);
    expect(runs).toHaveLength(0);
  });
});
