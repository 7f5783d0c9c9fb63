/**
 * Which provider keys each task gets on the laptop, and where its calls go.
 *
 * Keys come from environment variables (`SMARTDENTAL_<TASK>_OPENAI_KEY`,
 * `SMARTDENTAL_<TASK>_ANTHROPIC_KEY`, `SMARTDENTAL_<TASK>_OPENAI_COMPATIBLE_KEY`; comma-separated
 * for several keys) or the git-ignored `local/secrets.json` (format in `local/secrets.example.json`);
 * an environment variable wins over the file for the same task and provider. A provider with no
 * key is served by the provider simulator with one simulated key per task, so a task still never
 * shares a key with another. The result is each task's secret string, in the format the functions
 * read from Secrets Manager, plus the base URLs that point simulated providers at the simulator.
 *
 * Bedrock has no key: in AWS the function's execution role signs its calls. On the laptop a
 * Bedrock target is SIMULATED unless the developer opts in with `SMARTDENTAL_BEDROCK=real` and the
 * shell has a Region (`AWS_REGION`/`AWS_DEFAULT_REGION`) and credentials (`AWS_PROFILE`, or
 * `AWS_ACCESS_KEY_ID` with `AWS_SECRET_ACCESS_KEY`). Credentials alone never switch it on: a
 * profile left in the shell must not send a demo's clinical text to a real model. A simulated
 * Bedrock task signs with its own access key id (its simulated key), as each task has its own role.
 */
import { existsSync, readFileSync } from 'node:fs';
import { z } from 'zod';
import type { ProviderKind, ProviderTarget, TaskConfig } from '../../functions/core/task-config';

/** Where one provider of a task is served from. */
export type ProviderSource = 'real' | 'simulated' | 'local-model';

export interface PlannedProvider {
  provider: ProviderKind;
  model: string;
  source: ProviderSource;
  /** Number of keys in the task's secret for this provider. */
  keyCount: number;
  /** Where the calls go: the simulator, the local model server, or the provider's own API. */
  target: string;
}

export interface TaskKeyPlan {
  task: string;
  secretName: string;
  /** JSON for the task's secret: entry name → key list (never logged). */
  secretString: string;
  providers: PlannedProvider[];
  /** `PROVIDER_BASE_URLS` for the task's functions. */
  providerBaseUrls: Record<string, string>;
  /** The simulated key of this task, when any provider is simulated. */
  simulatedKey?: string;
  /**
   * AWS variables for the task's functions when its chain names Bedrock: the simulator's endpoint
   * and the task's simulated access key id, or the developer's Region and credentials (real).
   */
  awsEnvironment: Record<string, string>;
}

export interface SimulatorUrls {
  openaiBaseUrl: string;
  anthropicBaseUrl: string;
  /** Endpoint of the simulated Bedrock Runtime. @default the simulator's root (`anthropicBaseUrl`) */
  bedrockEndpoint?: string;
}

/** `SMARTDENTAL_BEDROCK`: `real` sends Bedrock targets to AWS with the developer's credentials. */
export const BEDROCK_MODE_ENV = 'SMARTDENTAL_BEDROCK';

/** How Bedrock targets are served on the laptop; `real` carries what the functions need to reach AWS. */
export type BedrockMode = { kind: 'simulated' } | { kind: 'real'; region: string; environment: Record<string, string> };

/** Reads {@link BEDROCK_MODE_ENV}; `real` without a Region or credentials stops the start with what is missing. */
export function bedrockModeOf(env: NodeJS.ProcessEnv): BedrockMode {
  const mode = env[BEDROCK_MODE_ENV]?.trim().toLowerCase() || 'simulated';
  if (mode === 'simulated') return { kind: 'simulated' };
  if (mode !== 'real') throw new Error(`${BEDROCK_MODE_ENV} must be 'real' or 'simulated', got '${env[BEDROCK_MODE_ENV]}'`);
  const region = env.AWS_REGION?.trim() || env.AWS_DEFAULT_REGION?.trim();
  const keyPair = env.AWS_ACCESS_KEY_ID?.trim() && env.AWS_SECRET_ACCESS_KEY?.trim();
  const profile = env.AWS_PROFILE?.trim();
  if (!region || (!keyPair && !profile)) {
    const missing = [...(region ? [] : ['a Region (AWS_REGION)']), ...(keyPair || profile ? [] : ['credentials (AWS_PROFILE, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY)'])];
    throw new Error(`${BEDROCK_MODE_ENV}=real needs ${missing.join(' and ')} in the shell; unset ${BEDROCK_MODE_ENV} to use the provider simulator`);
  }
  const environment: Record<string, string> = { AWS_REGION: region, AWS_DEFAULT_REGION: region };
  if (keyPair) {
    environment.AWS_ACCESS_KEY_ID = env.AWS_ACCESS_KEY_ID!.trim();
    environment.AWS_SECRET_ACCESS_KEY = env.AWS_SECRET_ACCESS_KEY!.trim();
    if (env.AWS_SESSION_TOKEN) environment.AWS_SESSION_TOKEN = env.AWS_SESSION_TOKEN;
  } else {
    // Empty, so the SDK's environment provider steps aside for the profile (the stand-ins accept any signature).
    Object.assign(environment, { AWS_ACCESS_KEY_ID: '', AWS_SECRET_ACCESS_KEY: '', AWS_PROFILE: profile! });
    for (const name of ['AWS_CONFIG_FILE', 'AWS_SHARED_CREDENTIALS_FILE']) if (env[name]) environment[name] = env[name]!;
  }
  return { kind: 'real', region, environment };
}

const keyListSchema = z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]);
export const localSecretsFileSchema = z.record(z.string(), z.record(z.string(), keyListSchema));
export type LocalSecretsFile = z.infer<typeof localSecretsFileSchema>;

/** Reads `local/secrets.json`; absent is fine, malformed stops the start with the reason. */
export function readLocalSecretsFile(path: string): LocalSecretsFile {
  if (!existsSync(path)) return {};
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new Error(`${path} is not valid JSON (${(error as Error).message}); see local/secrets.example.json`);
  }
  const parsed = localSecretsFileSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new Error(`${path}: at '${issue.path.join('.')}': ${issue.message}; expected { "<task>": { "openai": ["sk-…"], "anthropic": "sk-ant-…" } }`);
  }
  return parsed.data;
}

export function keyEnvName(task: string, entry: string): string {
  return `SMARTDENTAL_${task.toUpperCase()}_${entry.toUpperCase().replace(/[^A-Z0-9]/g, '_')}_KEY`;
}

const PROVIDER_DEFAULT_API: Record<ProviderKind, string> = {
  openai: 'https://api.openai.com/v1',
  anthropic: 'https://api.anthropic.com',
  'openai-compatible': '(catalog base URL)',
  bedrock: 'Amazon Bedrock (AWS credentials)',
};

export interface PlanOptions {
  tasks: TaskConfig[];
  simulator: SimulatorUrls;
  /** Where to read `SMARTDENTAL_*` settings. @default process.env */
  env?: NodeJS.ProcessEnv;
  secretsFile?: LocalSecretsFile;
}

/** The simulated key of a task: distinct per task, so the simulator's stats show who called. */
export function simulatedKeyFor(task: string): string {
  return `sim-${task}-key`;
}

interface PlanContext {
  env: NodeJS.ProcessEnv;
  file: LocalSecretsFile;
  localModelUrl: string | undefined;
  bedrock: BedrockMode;
  bedrockEndpoint: string;
  simulator: SimulatorUrls;
}

/** What one task's plan collects while its chain is walked. */
interface TaskKeyDraft {
  secret: Record<string, string[]>;
  baseUrls: Record<string, string>;
  providers: PlannedProvider[];
  simulated: boolean;
  awsEnvironment: Record<string, string>;
}

export function planTaskKeys(options: PlanOptions): TaskKeyPlan[] {
  const env = options.env ?? process.env;
  const context: PlanContext = {
    env,
    file: options.secretsFile ?? {},
    localModelUrl: env.SMARTDENTAL_LOCAL_MODEL_URL?.trim() || undefined,
    bedrock: options.tasks.some((task) => task.providers.some((target) => target.provider === 'bedrock')) ? bedrockModeOf(env) : { kind: 'simulated' as const },
    bedrockEndpoint: options.simulator.bedrockEndpoint ?? options.simulator.anthropicBaseUrl,
    simulator: options.simulator,
  };
  return options.tasks.map((task) => {
    const draft: TaskKeyDraft = { secret: {}, baseUrls: {}, providers: [], simulated: false, awsEnvironment: {} };
    for (const target of task.providers) {
      if (target.provider === 'bedrock') planBedrockTarget(task, target, context, draft);
      else planKeyedTarget(task, target, context, draft);
    }
    return {
      task: task.name,
      secretName: task.secretName,
      secretString: JSON.stringify(draft.secret),
      providers: draft.providers,
      providerBaseUrls: draft.baseUrls,
      simulatedKey: draft.simulated ? simulatedKeyFor(task.name) : undefined,
      awsEnvironment: draft.awsEnvironment,
    };
  });
}

/** No key in the secret: the role (here: the developer's credentials, or a simulated access key) signs. */
function planBedrockTarget(task: TaskConfig, target: ProviderTarget, context: PlanContext, draft: TaskKeyDraft): void {
  const { bedrock, bedrockEndpoint } = context;
  if (bedrock.kind === 'real') {
    draft.awsEnvironment = bedrock.environment;
    draft.providers.push({ provider: 'bedrock', model: target.model, source: 'real', keyCount: 0, target: target.baseUrl ?? `https://bedrock-runtime.${bedrock.region}.amazonaws.com` });
    return;
  }
  draft.simulated = true;
  draft.awsEnvironment = { AWS_ENDPOINT_URL_BEDROCK_RUNTIME: bedrockEndpoint, AWS_ACCESS_KEY_ID: simulatedKeyFor(task.name) };
  // The catalog's own endpoint (a VPC endpoint) would win over the variable: point it at the simulator too.
  if (target.baseUrl) draft.baseUrls.bedrock = bedrockEndpoint;
  draft.providers.push({ provider: 'bedrock', model: target.model, source: 'simulated', keyCount: 0, target: bedrockEndpoint });
}

/** A keyed provider: the local model server, the developer's real key, or the simulator. */
function planKeyedTarget(task: TaskConfig, target: ProviderTarget, context: PlanContext, draft: TaskKeyDraft): void {
  const { secret, baseUrls } = draft;
  const entry = target.keyName ?? target.provider;
  const fromEnv = context.env[keyEnvName(task.name, entry)]
    ?.split(',')
    .map((k) => k.trim())
    .filter(Boolean);
  const fromFile = context.file[task.name]?.[entry];
  const configured = fromEnv?.length ? fromEnv : fromFile === undefined ? [] : [fromFile].flat();

  let source: ProviderSource;
  let destination: string;
  if (target.provider === 'openai-compatible' && context.localModelUrl) {
    source = 'local-model';
    destination = context.localModelUrl;
    baseUrls['openai-compatible'] = context.localModelUrl;
    // Self-hosted servers usually ignore the key, but the SDK insists on one.
    secret[entry] ??= configured.length ? configured : ['local-model'];
  } else if (configured.length > 0) {
    source = 'real';
    destination = target.baseUrl ?? PROVIDER_DEFAULT_API[target.provider];
    secret[entry] ??= configured;
  } else {
    source = 'simulated';
    draft.simulated = true;
    destination = target.provider === 'anthropic' ? context.simulator.anthropicBaseUrl : context.simulator.openaiBaseUrl;
    baseUrls[target.provider] = destination;
    secret[entry] ??= [simulatedKeyFor(task.name)];
  }
  draft.providers.push({ provider: target.provider, model: target.model, source, keyCount: secret[entry]!.length, target: destination });
}
