import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolveCatalog } from '../../../lib/catalog';
import { keyEnvName, planTaskKeys, readLocalSecretsFile, simulatedKeyFor } from '../../../local/runtime/task-keys';

const simulator = { openaiBaseUrl: 'http://127.0.0.1:9/v1', anthropicBaseUrl: 'http://127.0.0.1:9' };
const tasks = resolveCatalog({ stage: 'local' }).tasks;
const planFor = (task: string, options: Partial<Parameters<typeof planTaskKeys>[0]> = {}) => planTaskKeys({ tasks, simulator, env: {}, ...options }).find((p) => p.task === task)!;

describe('planTaskKeys', () => {
  it('gives every task its own simulated key and points its providers at the simulator when no keys are set', () => {
    const plans = planTaskKeys({ tasks, simulator, env: {} });
    expect(new Set(plans.map((p) => p.simulatedKey)).size).toBe(tasks.length);
    const chat = plans.find((p) => p.task === 'chat')!;
    expect(JSON.parse(chat.secretString)).toEqual({ openai: [simulatedKeyFor('chat')], anthropic: [simulatedKeyFor('chat')] });
    expect(chat.providerBaseUrls).toEqual({ openai: simulator.openaiBaseUrl, anthropic: simulator.anthropicBaseUrl });
    expect(chat.providers.every((p) => p.source === 'simulated')).toBe(true);
    expect(chat.secretName).toBe('smartdental/local/chat');
  });

  it('uses real keys from the environment (comma-separated), and the simulator only for the providers without keys', () => {
    const env = { [keyEnvName('clinical', 'anthropic')]: 'sk-ant-one, sk-ant-two' };
    const clinical = planFor('clinical', { env });
    expect(JSON.parse(clinical.secretString)).toEqual({ anthropic: ['sk-ant-one', 'sk-ant-two'], openai: [simulatedKeyFor('clinical')] });
    expect(clinical.providerBaseUrls).toEqual({ openai: simulator.openaiBaseUrl });
    expect(clinical.providers.map((p) => [p.provider, p.source, p.keyCount])).toEqual([
      ['anthropic', 'real', 2],
      ['openai', 'simulated', 1],
    ]);
    expect(keyEnvName('clinical', 'anthropic')).toBe('SMARTDENTAL_CLINICAL_ANTHROPIC_KEY');
  });

  it('prefers an environment variable over the secrets file for the same provider', () => {
    const secretsFile = { billing: { anthropic: 'sk-ant-from-file', openai: ['sk-file-1'] } };
    const billing = planFor('billing', { env: { SMARTDENTAL_BILLING_OPENAI_KEY: 'sk-env' }, secretsFile });
    expect(JSON.parse(billing.secretString)).toEqual({ anthropic: ['sk-ant-from-file'], openai: ['sk-env'] });
    expect(billing.simulatedKey).toBeUndefined();
  });

  it('sends openai-compatible targets to the simulator unless a local model server is configured', () => {
    expect(planFor('scheduling').providerBaseUrls['openai-compatible']).toBe(simulator.openaiBaseUrl);
    const withServer = planFor('scheduling', { env: { SMARTDENTAL_LOCAL_MODEL_URL: 'http://127.0.0.1:8000/v1' } });
    expect(withServer.providerBaseUrls['openai-compatible']).toBe('http://127.0.0.1:8000/v1');
    expect(withServer.providers.find((p) => p.provider === 'openai-compatible')?.source).toBe('local-model');
  });
});

describe('readLocalSecretsFile', () => {
  let dir: string;
  beforeAll(async () => (dir = await mkdtemp(join(tmpdir(), 'secrets-'))));
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('treats a missing file as no keys', () => {
    expect(readLocalSecretsFile(join(dir, 'absent.json'))).toEqual({});
  });

  it('reads the documented format, as in local/secrets.example.json', () => {
    const example = readLocalSecretsFile(join(__dirname, '..', '..', '..', 'local', 'secrets.example.json'));
    expect(Object.keys(example)).toEqual(['clinical', 'chat']);
  });

  it('names the place of a malformed entry', async () => {
    const path = join(dir, 'bad.json');
    await writeFile(path, JSON.stringify({ chat: { openai: 42 } }));
    expect(() => readLocalSecretsFile(path)).toThrow("at 'chat.openai'");
  });
});
