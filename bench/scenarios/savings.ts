/**
 * savings: a workload with repeated requests, some of them at the same moment, against the
 * tasks that cache (clinical, billing, scheduling). Each distinct request is sent three times at
 * once (in-flight dedup must make that one provider call) and twice more afterwards (the cache
 * must answer). The simulator counts the provider calls on its own.
 */
import { TASK_NAMES } from '../../functions/core/task-config';
import { sendRequest } from '../http-load';
import { benchKeyFor, catalogRuntime } from '../runtime-process';
import type { Scenario } from '../scenario';
import { round } from '../statistics';
import { equalVerdict } from '../results';
import { billingClaim, clinicalDiagnosis, schedulingReminder, type BenchRequest } from '../workload';

const SIMULTANEOUS = 3;
const LATER_REPEATS = 2;

export const savingsScenario: Scenario = {
  name: 'savings',
  title: 'Savings: repeated requests answered without spending tokens',
  async run(context) {
    const distinctPerRoute = context.quick ? 4 : 10;
    const runtime = await catalogRuntime(context);
    await runtime.configureSimulator({ keys: Object.fromEntries(TASK_NAMES.map((t) => [benchKeyFor(t, 'per-task'), {}])), latency: { fixedMs: 300, jitterMs: 200 } });
    await runtime.resetSimulatorStats();

    // Distinct per bench run, so an earlier scenario's cache entries never count here.
    const salt = 5_000_000 + (Date.now() % 100_000) * 10;
    const now = Date.now();
    const routes: Array<{ task: string; build: (n: number) => BenchRequest }> = [
      { task: 'clinical', build: (n) => clinicalDiagnosis(salt + n) },
      { task: 'billing', build: (n) => billingClaim(salt + n) },
      { task: 'scheduling', build: (n) => schedulingReminder(salt + n, now) },
    ];
    let sent = 0;
    let hits = 0;
    let failures = 0;
    const failureCodes: Record<string, number> = {};
    const send = async (request: BenchRequest) => {
      const answer = await sendRequest(request, { baseUrl: runtime.url, timeoutMs: 30_000 });
      sent += 1;
      if (answer.status !== 200) {
        failures += 1;
        failureCodes[answer.code ?? String(answer.status)] = (failureCodes[answer.code ?? String(answer.status)] ?? 0) + 1;
      } else if (answer.headers?.get('x-smartdental-cache') === 'hit') {
        hits += 1;
      }
    };

    // Routes side by side; within a route one distinct request at a time, so the simultaneous
    // copies stay inside every function's concurrency limit (scheduling's is 3).
    await Promise.all(
      routes.map(async ({ build }) => {
        for (let n = 0; n < distinctPerRoute; n++) {
          const request = build(n);
          await Promise.all(Array.from({ length: SIMULTANEOUS }, () => send(request)));
          for (let r = 0; r < LATER_REPEATS; r++) await send(request);
          context.progress.tick('savings', `savings: ${sent} requests sent`);
        }
      }),
    );

    const stats = (await runtime.stats()).simulator;
    const keyStats = (task: string) => stats.keys[benchKeyFor(task, 'per-task')];
    const calls = routes.reduce((sum, r) => sum + (keyStats(r.task)?.requests ?? 0), 0);
    const tokensServed = routes.reduce((sum, r) => sum + (keyStats(r.task)?.inputTokens ?? 0) + (keyStats(r.task)?.outputTokens ?? 0), 0);
    const distinct = routes.length * distinctPerRoute;
    const tokensPerCall = calls === 0 ? 0 : tokensServed / calls;
    return {
      figures: {
        requests: sent,
        'distinct requests': distinct,
        'provider calls (simulator)': calls,
        'answered from cache or a call in flight': hits,
        'cache hit rate %': round((100 * hits) / Math.max(1, sent), 1),
        'tokens spent': tokensServed,
        'tokens saved (estimated)': Math.round((sent - failures - calls) * tokensPerCall),
        'failed requests': failures,
      },
      tables: {
        'provider calls per task': Object.fromEntries(routes.map((r) => [r.task, { distinct: distinctPerRoute, 'provider calls': keyStats(r.task)?.requests ?? 0 }])),
      },
      targets: [equalVerdict('provider calls = distinct requests', calls, distinct, 'calls'), equalVerdict('failed requests', failures, 0)],
      notes: [
        `Each distinct request (clinical diagnosis, billing claim, scheduling reminder) is sent ${SIMULTANEOUS} times at the same moment, then ${LATER_REPEATS} more times one after another; ${sent} requests in all, from one practice.`,
        'Tokens saved = answers that needed no provider call × the mean tokens of a provider call in this run.',
        ...(failures > 0 ? [`Failures: ${Object.entries(failureCodes).map(([c, n]) => `${c} × ${n}`).join(', ')}`] : []),
      ],
    };
  },
};
