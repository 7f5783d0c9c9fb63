/**
 * Where `npm start` sends a Bedrock target: the simulator, unless the developer opts in with
 * SMARTDENTAL_BEDROCK=real and the shell has a Region and credentials. Credentials alone never
 * switch a demo onto real Bedrock.
 */
import { BEDROCK_CHAINS, resolveCatalog } from '../../../lib/catalog';
import { formatBanner } from '../../../local/runtime/banner';
import { bedrockModeOf, planTaskKeys, simulatedKeyFor } from '../../../local/runtime/task-keys';

const simulator = { openaiBaseUrl: 'http://127.0.0.1:9/v1', anthropicBaseUrl: 'http://127.0.0.1:9', bedrockEndpoint: 'http://127.0.0.1:9' };
const tasks = resolveCatalog({ stage: 'local', providers: 'bedrock' }).tasks;
const planOf = (task: string, env: NodeJS.ProcessEnv) => planTaskKeys({ tasks, simulator, env }).find((p) => p.task === task)!;

it('simulates Bedrock by default, with the task\'s own access key id and no key in its secret', () => {
  const plan = planOf('clinical', { AWS_PROFILE: 'dev', AWS_REGION: 'us-east-1' });
  expect(plan.providers.map((p) => [p.model, p.source])).toEqual(BEDROCK_CHAINS.clinical.map((t) => [t.model, 'simulated']));
  expect(plan.awsEnvironment).toEqual({ AWS_ENDPOINT_URL_BEDROCK_RUNTIME: simulator.bedrockEndpoint, AWS_ACCESS_KEY_ID: simulatedKeyFor('clinical') });
  expect(plan.simulatedKey).toBe(simulatedKeyFor('clinical'));
  expect(JSON.parse(plan.secretString)).toEqual({});
});

it('goes to real Bedrock only with SMARTDENTAL_BEDROCK=real, a Region and credentials', () => {
  const plan = planOf('chat', { SMARTDENTAL_BEDROCK: 'real', AWS_REGION: 'us-west-2', AWS_PROFILE: 'clinic-dev' });
  expect(plan.providers.every((p) => p.source === 'real' && p.target === 'https://bedrock-runtime.us-west-2.amazonaws.com')).toBe(true);
  // The profile wins over the stand-ins' placeholder keys; nothing points Bedrock at the simulator.
  expect(plan.awsEnvironment).toEqual({ AWS_REGION: 'us-west-2', AWS_DEFAULT_REGION: 'us-west-2', AWS_PROFILE: 'clinic-dev', AWS_ACCESS_KEY_ID: '', AWS_SECRET_ACCESS_KEY: '' });
  expect(plan.simulatedKey).toBeUndefined();
  const withKeys = bedrockModeOf({ SMARTDENTAL_BEDROCK: 'real', AWS_DEFAULT_REGION: 'eu-central-1', AWS_ACCESS_KEY_ID: 'AKIAEXAMPLE', AWS_SECRET_ACCESS_KEY: 'secret', AWS_SESSION_TOKEN: 'token' });
  expect(withKeys).toMatchObject({ kind: 'real', region: 'eu-central-1', environment: { AWS_ACCESS_KEY_ID: 'AKIAEXAMPLE', AWS_SESSION_TOKEN: 'token' } });
});

it('stops the start with what is missing when real is asked for without a Region or credentials', () => {
  expect(() => bedrockModeOf({ SMARTDENTAL_BEDROCK: 'real', AWS_PROFILE: 'dev' })).toThrow('SMARTDENTAL_BEDROCK=real needs a Region (AWS_REGION) in the shell; unset SMARTDENTAL_BEDROCK to use the provider simulator');
  expect(() => bedrockModeOf({ SMARTDENTAL_BEDROCK: 'real', AWS_REGION: 'us-east-1' })).toThrow(/needs credentials \(AWS_PROFILE, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY\)/);
  expect(() => bedrockModeOf({ SMARTDENTAL_BEDROCK: 'yes' })).toThrow("SMARTDENTAL_BEDROCK must be 'real' or 'simulated', got 'yes'");
});

it('leaves tasks without a Bedrock target alone, whatever SMARTDENTAL_BEDROCK says', () => {
  const plans = planTaskKeys({ tasks: resolveCatalog({ stage: 'local' }).tasks, simulator, env: { SMARTDENTAL_BEDROCK: 'real' } });
  for (const plan of plans) expect(plan.awsEnvironment).toEqual({});
});

it('the banner names real Bedrock with its endpoint, and never a key count', () => {
  const chat = planOf('chat', { SMARTDENTAL_BEDROCK: 'real', AWS_REGION: 'us-west-2', AWS_PROFILE: 'clinic-dev' });
  const banner = formatBanner({
    url: 'http://127.0.0.1:3000',
    routes: [],
    identities: [],
    tasks: [{ task: 'chat', limit: 10, providers: chat.providers }],
    imagingWorker: { limit: 4, maxConcurrency: 4, batchSize: 1, visibilityTimeoutSeconds: 720, maxReceiveCount: 4 },
    simulatorUrl: 'http://127.0.0.1:9',
    startupMs: 1_000,
  });
  expect(banner).toContain(`bedrock ${BEDROCK_CHAINS.chat[0]!.model} (REAL Bedrock at https://bedrock-runtime.us-west-2.amazonaws.com, AWS credentials)`);
  expect(banner).not.toContain('SIMULATED');
  expect(banner).not.toContain('clinic-dev');
});
