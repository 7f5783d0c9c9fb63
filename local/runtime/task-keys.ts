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
 */
import { existsSync, readFileSync } from 'node:fs';
import { z } from 'zod';
import type { ProviderKind, TaskConfig } from '../../functions/core/task-config';

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
}

export interface SimulatorUrls {
  openaiBaseUrl: string;
  anthropicBaseUrl: string;
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

export function planTaskKeys(options: PlanOptions): TaskKeyPlan[] {
  const env = options.env ?? process.env;
  const file = options.secretsFile ?? {};
  const localModelUrl = env.SMARTDENTAL_LOCAL_MODEL_URL?.trim() || undefined;

  return options.tasks.map((task) => {
    const secret: Record<string, string[]> = {};
    const baseUrls: Record<string, string> = {};
    const providers: PlannedProvider[] = [];
    let simulated = false;

    for (const target of task.providers) {
      const entry = target.keyName ?? target.provider;
      const fromEnv = env[keyEnvName(task.name, entry)]
        ?.split(',')
        .map((k) => k.trim())
        .filter(Boolean);
      const fromFile = file[task.name]?.[entry];
      const configured = fromEnv?.length ? fromEnv : fromFile === undefined ? [] : [fromFile].flat();

      let source: ProviderSource;
      let destination: string;
      if (target.provider === 'openai-compatible' && localModelUrl) {
        source = 'local-model';
        destination = localModelUrl;
        baseUrls['openai-compatible'] = localModelUrl;
        // Self-hosted servers usually ignore the key, but the SDK insists on one.
        secret[entry] ??= configured.length ? configured : ['local-model'];
      } else if (configured.length > 0) {
        source = 'real';
        destination = target.baseUrl ?? PROVIDER_DEFAULT_API[target.provider];
        secret[entry] ??= configured;
      } else {
        source = 'simulated';
        simulated = true;
        destination = target.provider === 'anthropic' ? options.simulator.anthropicBaseUrl : options.simulator.openaiBaseUrl;
        baseUrls[target.provider] = destination;
        secret[entry] ??= [simulatedKeyFor(task.name)];
      }
      providers.push({ provider: target.provider, model: target.model, source, keyCount: secret[entry]!.length, target: destination });
    }

    return {
      task: task.name,
      secretName: task.secretName,
      secretString: JSON.stringify(secret),
      providers,
      providerBaseUrls: baseUrls,
      simulatedKey: simulated ? simulatedKeyFor(task.name) : undefined,
    };
  });
}
