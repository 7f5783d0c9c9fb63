/**
 * Starts bench/runtime-host.ts in a child process and talks to it: its URL, its resident memory,
 * the simulator's and the runtime's counters, and a clean stop.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import type { RuntimeStats } from '../local/runtime';
import type { SimulatorConfigPatch, SimulatorKeyLimits, SimulatorStats } from '../local/simulator';
import type { BenchContext } from './scenario';

export interface RuntimeHostSpec {
  /** `per-task`: each task its own simulated key (as deployed); `shared`: one key for every task. */
  keys: 'per-task' | 'shared';
  /** Limits of every simulated key, like a provider tier. */
  keyLimits?: SimulatorKeyLimits;
  latency: { fixedMs: number; jitterMs: number };
  /** The simulator's rate-limit "minute", compressed in quick runs. @default 60000 */
  rateLimitWindowMs?: number;
  /** `catalog`: each function's reserved concurrency; `unlimited`: none (1,000, the account default). */
  concurrency: 'catalog' | 'unlimited';
  /** `catalog`: each task's daily budget and TPM ceiling in the ledger; `none`: no per-task ceiling. */
  taskCeilings: 'catalog' | 'none';
  taskOverrides?: Record<string, Record<string, unknown>>;
  concurrencyOverrides?: Record<string, number>;
  imagingVisibilityTimeoutSeconds?: number;
}

/** The key a task uses in a configuration (never a real key: the simulator only knows these). */
export function benchKeyFor(task: string, mode: RuntimeHostSpec['keys']): string {
  return mode === 'shared' ? 'sim-bench-shared-key' : `sim-bench-${task}-key`;
}

export interface RssFigures {
  start: number;
  peak: number;
  now: number;
}

export type HostMessage =
  | { type: 'ready'; url: string; simulatorUrl: string; keys: string[] }
  | { type: 'stats'; id: number; rss: RssFigures; simulator: SimulatorStats; runtime: RuntimeStats }
  | { type: 'closed' }
  | { type: 'failed'; message: string };

/** `resetPeak`: start a new peak after this answer (a phase of a scenario begins). */
export type ParentMessage = { type: 'stats'; id: number; resetPeak?: boolean } | { type: 'close' };

export interface HostStats {
  rss: RssFigures;
  simulator: SimulatorStats;
  runtime: RuntimeStats;
}

export interface RuntimeProcess {
  url: string;
  simulatorUrl: string;
  pid: number;
  /** Counters now; `resetPeak` starts the next peak-RSS measurement from here. */
  stats(options?: { resetPeak?: boolean }): Promise<HostStats>;
  /** The simulator's admin API. */
  configureSimulator(patch: SimulatorConfigPatch): Promise<void>;
  resetSimulatorStats(): Promise<void>;
  close(): Promise<void>;
}

const HOST_FILE = join(__dirname, 'runtime-host.ts');
const START_TIMEOUT_MS = 60_000;

export async function startRuntimeProcess(spec: RuntimeHostSpec): Promise<RuntimeProcess> {
  const child: ChildProcess = fork(HOST_FILE, [], {
    execArgv: ['--import', 'tsx'],
    env: { ...process.env, BENCH_RUNTIME_SPEC: JSON.stringify(spec), AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
    stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    if (stderr.length < 8_000) stderr += chunk.toString('utf8');
  });

  const ready = await new Promise<Extract<HostMessage, { type: 'ready' }>>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`the local runtime did not start within ${START_TIMEOUT_MS / 1000} s`));
    }, START_TIMEOUT_MS);
    child.on('message', (message: HostMessage) => {
      if (message.type === 'ready') {
        clearTimeout(timer);
        resolve(message);
      } else if (message.type === 'failed') {
        clearTimeout(timer);
        reject(new Error(`the local runtime did not start: ${message.message}`));
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the local runtime process exited with ${code} before it was ready: ${stderr.trim().split('\n').slice(-3).join(' ')}`));
    });
  });

  let nextId = 1;
  const pending = new Map<number, (stats: HostStats) => void>();
  child.on('message', (message: HostMessage) => {
    if (message.type === 'stats') {
      pending.get(message.id)?.({ rss: message.rss, simulator: message.simulator, runtime: message.runtime });
      pending.delete(message.id);
    }
  });

  return {
    url: ready.url,
    simulatorUrl: ready.simulatorUrl,
    pid: child.pid!,
    configureSimulator: (patch) => configureSimulator(ready.simulatorUrl, patch),
    resetSimulatorStats: () => resetSimulatorStats(ready.simulatorUrl),
    stats: (options = {}) =>
      new Promise<HostStats>((resolve, reject) => {
        if (!child.connected) return reject(new Error('the local runtime process has gone'));
        const id = nextId++;
        pending.set(id, resolve);
        child.send({ type: 'stats', id, resetPeak: options.resetPeak } satisfies ParentMessage);
      }),
    close: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || !child.connected) return resolve();
        const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
        child.once('exit', () => {
          clearTimeout(timer);
          resolve();
        });
        child.send({ type: 'close' } satisfies ParentMessage);
      }),
  };
}

/** The simulator's admin API, for scenarios that change its settings between phases. */
export async function configureSimulator(simulatorUrl: string, patch: SimulatorConfigPatch): Promise<void> {
  const response = await fetch(`${simulatorUrl}/_sim/config`, { method: 'POST', body: JSON.stringify(patch) });
  if (!response.ok) throw new Error(`the simulator refused its settings: ${await response.text()}`);
}

export async function resetSimulatorStats(simulatorUrl: string): Promise<void> {
  await fetch(`${simulatorUrl}/_sim/reset-stats`, { method: 'POST' });
}

/**
 * One runtime with the catalog's keys and limits, shared by the scenarios that need nothing else
 * (overhead, savings, imaging, soak): a start costs seconds, and each scenario sets the
 * simulator's latency and limits it needs. Closed when the bench run ends.
 */
export function catalogRuntime(context: BenchContext): Promise<RuntimeProcess> {
  const key = 'catalog-runtime';
  let runtime = context.shared.get(key) as Promise<RuntimeProcess> | undefined;
  if (!runtime) {
    context.progress.say('starting the local runtime (catalog keys and limits)');
    runtime = startRuntimeProcess({ keys: 'per-task', latency: { fixedMs: 0, jitterMs: 0 }, concurrency: 'catalog', taskCeilings: 'catalog' });
    context.shared.set(key, runtime);
    context.onFinish(async () => (await runtime!.catch(() => undefined))?.close());
  }
  return runtime;
}
