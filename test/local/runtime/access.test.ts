/**
 * The stand-ins hand a local function only what its plan grants, as IAM does in AWS: every local
 * function signs with its own access key id, and a table, secret, bucket or queue it was not
 * granted answers with the service's own AccessDenied error. A probe handler stands in for the
 * scheduling and imaging API functions and touches resources with the credentials and endpoints
 * the runtime gave it.
 */
import { join } from 'node:path';
import { USAGE_BY_SORT_KEY_INDEX } from '../../../functions/core/tables';
import { LOCAL_ACCOUNT } from '../../../local/access-policy';
import { LOCAL_BUCKET, LOCAL_QUEUE, LOCAL_TABLES, startLocalRuntime, type LocalRuntime } from '../../../local/runtime';

const ADMIN = { authorization: 'Bearer local-dev-token' };
const READER = join(__dirname, 'fixtures', 'resource-reader.ts');
const USAGE = { name: LOCAL_TABLES.usage, key: { pk: 'TASK#probe', sk: 'DAY#2026-12-01' } };
const JOBS = { name: LOCAL_TABLES.jobs, key: { pk: 'JOB#probe' } };
const OVERRIDES = { name: LOCAL_TABLES.practiceOverrides, key: { practiceId: 'practice-probe', task: 'scheduling' } };
/** The per-practice report's index on the ledger: granted to the ops function alone. */
const BY_SORT_KEY = { table: LOCAL_TABLES.usage, index: USAGE_BY_SORT_KEY_INDEX.indexName, partitionKey: USAGE_BY_SORT_KEY_INDEX.partitionKey, value: 'DAY#2026-12-01' };

let runtime: LocalRuntime;

beforeAll(async () => {
  runtime = await startLocalRuntime({ port: 0, quiet: true, env: {}, handlerOverrides: { scheduling: READER, imaging: READER, ops: READER } });
});
afterAll(() => runtime?.close());

async function probe(path: string, body: unknown, method: 'GET' | 'POST' = 'POST'): Promise<Record<string, { ok: boolean; name?: string; status?: number; message?: string }>> {
  const response =
    method === 'GET'
      ? await fetch(`${runtime.url}${path}?probe=${encodeURIComponent(JSON.stringify(body))}`, { headers: ADMIN })
      : await fetch(`${runtime.url}${path}`, { method: 'POST', headers: { ...ADMIN, 'content-type': 'application/json' }, body: JSON.stringify(body) });
  expect(response.status).toBe(200);
  return (await response.json()) as Record<string, { ok: boolean; name?: string; status?: number }>;
}

const queueUrl = () => `${runtime.endpoints.sqs}/${LOCAL_ACCOUNT}/${LOCAL_QUEUE}`;

it('scheduling reads its own secret and the ledger, and is refused the jobs table, another task\'s secret, the images and the queue', async () => {
  const seen = await probe('/v1/scheduling/slots', {
    tables: [USAGE, JOBS],
    secrets: ['smartdental/local/scheduling', 'smartdental/local/clinical'],
    object: { bucket: LOCAL_BUCKET, key: 'uploads/probe.png' },
    queueUrl: queueUrl(),
  });
  expect(seen[`table:${LOCAL_TABLES.usage}`]).toEqual({ ok: true });
  expect(seen['secret:smartdental/local/scheduling']).toEqual({ ok: true });
  // DynamoDB and Secrets Manager: 400 AccessDeniedException; S3: 403 AccessDenied; SQS: AccessDenied.
  expect(seen[`table:${LOCAL_TABLES.jobs}`]).toMatchObject({ ok: false, name: 'AccessDeniedException', status: 400 });
  expect(seen[`table:${LOCAL_TABLES.jobs}`]!.message).toBe(
    `User: arn:aws:sts::${LOCAL_ACCOUNT}:assumed-role/smartdental-local-scheduling-role/smartdental-local-scheduling is not authorized to perform: dynamodb:GetItem on resource: arn:aws:dynamodb:us-east-1:${LOCAL_ACCOUNT}:table/${LOCAL_TABLES.jobs} because no identity-based policy allows the dynamodb:GetItem action`,
  );
  expect(seen['secret:smartdental/local/clinical']).toMatchObject({ ok: false, name: 'AccessDeniedException', status: 400 });
  expect(seen.object).toMatchObject({ ok: false, name: 'AccessDenied', status: 403 });
  expect(seen.queue).toMatchObject({ ok: false, name: 'AccessDenied', status: 403 });
});

it('the imaging API function gets the jobs and the images but, as in AWS, neither the key nor the ledger', async () => {
  const seen = await probe('/v1/imaging/uploads', {
    tables: [JOBS, USAGE],
    secrets: ['smartdental/local/imaging'],
    object: { bucket: LOCAL_BUCKET, key: 'uploads/absent.png' },
  });
  expect(seen[`table:${LOCAL_TABLES.jobs}`]).toEqual({ ok: true });
  // Past the policy: the object is simply not there.
  expect(seen.object).toMatchObject({ ok: false, name: 'NoSuchKey', status: 404 });
  expect(seen[`table:${LOCAL_TABLES.usage}`]).toMatchObject({ ok: false, name: 'AccessDeniedException', status: 400 });
  expect(seen['secret:smartdental/local/imaging']).toMatchObject({ ok: false, name: 'AccessDeniedException', status: 400 });
});

it('the practice overrides are read by the task functions and ops; the ledger\'s bySortKey index is queried by ops alone', async () => {
  const scheduling = await probe('/v1/scheduling/slots', { tables: [OVERRIDES], indexes: [BY_SORT_KEY] });
  expect(scheduling[`table:${LOCAL_TABLES.practiceOverrides}`]).toEqual({ ok: true });
  // The table's grant does not reach its index: IAM names an index by its own ARN.
  expect(scheduling[`index:${LOCAL_TABLES.usage}/${BY_SORT_KEY.index}`]).toMatchObject({ ok: false, name: 'AccessDeniedException', status: 400 });
  expect(scheduling[`index:${LOCAL_TABLES.usage}/${BY_SORT_KEY.index}`]!.message).toContain(
    `dynamodb:Query on resource: arn:aws:dynamodb:us-east-1:${LOCAL_ACCOUNT}:table/${LOCAL_TABLES.usage}/index/${BY_SORT_KEY.index}`,
  );

  const ops = await probe('/v1/usage', { tables: [OVERRIDES, JOBS], indexes: [BY_SORT_KEY] }, 'GET');
  expect(ops[`table:${LOCAL_TABLES.practiceOverrides}`]).toEqual({ ok: true });
  expect(ops[`index:${LOCAL_TABLES.usage}/${BY_SORT_KEY.index}`]).toEqual({ ok: true });
  expect(ops[`table:${LOCAL_TABLES.jobs}`]).toMatchObject({ ok: false, name: 'AccessDeniedException', status: 400 });

  // Imaging's API function admits no AI request itself, so it never reads the overrides.
  const imaging = await probe('/v1/imaging/uploads', { tables: [OVERRIDES] });
  expect(imaging[`table:${LOCAL_TABLES.practiceOverrides}`]).toMatchObject({ ok: false, name: 'AccessDeniedException', status: 400 });
});

it('every function signs with a key of its own, and a key no function holds is refused', async () => {
  const keys = runtime.functionSpecs().map((spec) => spec.env.AWS_ACCESS_KEY_ID);
  expect(new Set(keys).size).toBe(keys.length);
  expect(runtime.access.check('AKIAUNKNOWN', 'dynamodb:GetItem', `arn:aws:dynamodb:us-east-1:${LOCAL_ACCOUNT}:table/${LOCAL_TABLES.usage}`)).toMatchObject({ message: expect.stringContaining('is not authorized to perform: dynamodb:GetItem') });
});
