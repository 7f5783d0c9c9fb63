/**
 * Child-process entry that runs the local runtime for an HTTP scenario, so the load generator
 * does not share its event loop and the runtime's resident memory can be read on its own.
 *
 * Providers are one provider simulator started here, which limits each key like a provider tier;
 * every task's providers point at it through the catalog's `baseUrl`, and the keys come in
 * through the same `SMARTDENTAL_<TASK>_<PROVIDER>_KEY` variables a developer would set. That lets
 * a configuration give every task its own key (isolated, as deployed) or one key to all (shared).
 *
 * Protocol (IPC): the child sends `ready`; the parent sends `stats` (answered with `stats`) and
 * `close` (answered with `closed`, then the child exits). The child exits by itself if the
 * parent goes away.
 */
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolveCatalog } from '../lib/catalog';
import { startLocalRuntime } from '../local/runtime';
import { keyEnvName } from '../local/runtime/task-keys';
import { startProviderSimulator } from '../local/simulator';
import { TASK_NAMES } from '../functions/core/task-config';
import { benchKeyFor, type HostMessage, type ParentMessage, type RuntimeHostSpec } from './runtime-process';

/** A ceiling no workload here reaches: "no per-task limits" for the shared configuration. */
const UNLIMITED_TOKENS = 1_000_000_000;

async function main(): Promise<void> {
  const spec = JSON.parse(process.env.BENCH_RUNTIME_SPEC ?? '{}') as RuntimeHostSpec;
  const send = (message: HostMessage) => process.send?.(message);
  const startRss = process.memoryUsage().rss;
  let peakRss = startRss;
  const sampler = setInterval(() => {
    peakRss = Math.max(peakRss, process.memoryUsage().rss);
  }, 100);

  const keys = Object.fromEntries(TASK_NAMES.map((task) => [benchKeyFor(task, spec.keys), spec.keyLimits ?? {}]));
  const simulator = await startProviderSimulator({ keys, latency: spec.latency, rateLimitWindow: 'sliding', rateLimitWindowMs: spec.rateLimitWindowMs });

  const catalog = resolveCatalog({ stage: 'local' });
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME };
  const taskOverrides: Record<string, Record<string, unknown>> = {};
  for (const task of catalog.tasks) {
    for (const target of task.providers) env[keyEnvName(task.name, target.keyName ?? target.provider)] = benchKeyFor(task.name, spec.keys);
    taskOverrides[task.name] = {
      providers: task.providers.map((t) => ({ ...t, baseUrl: t.provider === 'anthropic' ? simulator.anthropicBaseUrl : simulator.openaiBaseUrl })),
      ...(spec.taskCeilings === 'none' ? { dailyTokenBudget: UNLIMITED_TOKENS, tokensPerMinute: UNLIMITED_TOKENS } : {}),
      ...spec.taskOverrides?.[task.name],
    };
  }
  const concurrencyOverrides: Record<string, number> = { ...spec.concurrencyOverrides };
  if (spec.concurrency === 'unlimited') for (const task of catalog.tasks) concurrencyOverrides[task.name] ??= 1000;

  const runtime = await startLocalRuntime({
    port: 0,
    quiet: true,
    env,
    taskOverrides,
    concurrencyOverrides,
    // A developer's local/secrets.json must not change what is measured.
    secretsFile: join(tmpdir(), 'smartdental-bench-no-secrets.json'),
    imagingVisibilityTimeoutSeconds: spec.imagingVisibilityTimeoutSeconds,
  });

  let closing = false;
  const close = async () => {
    if (closing) return;
    closing = true;
    clearInterval(sampler);
    await runtime.close().catch(() => undefined);
    await simulator.close().catch(() => undefined);
  };
  process.on('disconnect', () => void close().finally(() => process.exit(0)));
  process.on('message', (message: ParentMessage) => {
    if (message.type === 'stats') {
      const rss = process.memoryUsage().rss;
      peakRss = Math.max(peakRss, rss);
      send({ type: 'stats', id: message.id, rss: { start: startRss, peak: peakRss, now: rss }, simulator: simulator.stats(), runtime: runtime.stats() });
      if (message.resetPeak) peakRss = rss;
    } else if (message.type === 'close') {
      void close().finally(() => {
        send({ type: 'closed' });
        process.exit(0);
      });
    }
  });
  send({ type: 'ready', url: runtime.url, simulatorUrl: simulator.url, keys: Object.keys(keys) });
}

main().catch((error: unknown) => {
  process.send?.({ type: 'failed', message: error instanceof Error ? error.message : String(error) } satisfies HostMessage);
  process.exit(1);
});
