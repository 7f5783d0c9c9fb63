/**
 * imaging: a batch of radiographs against an imaging key limited to R requests per provider
 * window. The first R analyses use the window's allowance; how fast the rest complete shows the
 * sustained rate the queue and the worker get out of the key (target ≥ 0.9 R per window), and
 * no job may be lost or fail because of a 429: those must wait in the queue, not fail.
 */
import { TASK_NAMES } from '../../functions/core/task-config';
import { sendRequest } from '../http-load';
import { benchKeyFor, catalogRuntime } from '../runtime-process';
import type { Scenario } from '../scenario';
import { round } from '../statistics';
import { equalVerdict, verdict } from '../results';
import { imagingAnalysis, imagingJob } from '../workload';

export const MIN_SUSTAINED_FRACTION = 0.9;

interface JobView {
  jobId: string;
  status: 'queued' | 'running' | 'succeeded' | 'failed';
  error?: { code: string; message: string };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Runs `work` over `items` with at most `limit` at once. */
async function pool<T>(items: T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) await work(items[next++]!);
  }));
}

/**
 * Analyses per window after the first window's allowance is spent, as a fraction of R: with
 * `completedAtMs` sorted, the jobs after the R-th over the time they took.
 */
export function sustainedFraction(completedAtMs: number[], perWindow: number, windowMs: number): number {
  const sorted = [...completedAtMs].sort((a, b) => a - b);
  if (sorted.length <= perWindow) return Number.NaN;
  const afterAllowance = sorted.length - perWindow;
  const spanMs = sorted[sorted.length - 1]! - sorted[perWindow - 1]!;
  if (spanMs <= 0) return Number.NaN;
  return afterAllowance / (spanMs / windowMs) / perWindow;
}

export function isThrottleFailure(error: JobView['error']): boolean {
  return error !== undefined && /throttl|rate.?limit|429|TooManyRequests/i.test(`${error.code} ${error.message}`);
}

export const imagingScenario: Scenario = {
  name: 'imaging',
  title: 'Imaging: sustained throughput against a rate-limited key',
  async run(context) {
    const { quick, progress } = context;
    const windowMs = quick ? 15_000 : 60_000;
    const perWindow = quick ? 10 : 30;
    const jobs = perWindow * 2;
    const runtime = await catalogRuntime(context);
    const imagingKey = benchKeyFor('imaging', 'per-task');
    await runtime.configureSimulator({
      keys: { ...Object.fromEntries(TASK_NAMES.map((t) => [benchKeyFor(t, 'per-task'), {}])), [imagingKey]: { rpm: perWindow } },
      latency: { fixedMs: 600, jitterMs: 400 },
      rateLimitWindow: 'sliding',
      rateLimitWindowMs: windowMs,
    });
    await runtime.resetSimulatorStats();
    const deadLettersBefore = (await runtime.stats()).runtime.imagingQueue.deadLetters;

    const started = performance.now();
    const accepted: string[] = [];
    const refused: Record<string, number> = {};
    progress.say(`imaging: submitting ${jobs} radiographs; the imaging key allows ${perWindow} per ${windowMs / 1000} s`);
    const submitUntil = started + windowMs * 3;
    await pool(Array.from({ length: jobs }, (_, i) => i), 3, async (i) => {
      // The API function's own concurrency limit may answer 429; a client retries after Retry-After.
      // So may the practice's job cap (20 in flight, the catalog's): then it retries until a job
      // of its own has finished, which the rate-limited key decides.
      for (let attempt = 0; attempt < 10 || performance.now() < submitUntil; attempt++) {
        const answer = await sendRequest(imagingAnalysis(i + Date.now()), { baseUrl: runtime.url, timeoutMs: 30_000 });
        if (answer.status === 202) return void accepted.push((answer.body as JobView).jobId);
        refused[answer.code ?? String(answer.status)] = (refused[answer.code ?? String(answer.status)] ?? 0) + 1;
        if (answer.status !== 429 || (attempt >= 10 && answer.code !== 'ImagingPracticeBusy')) return;
        await sleep(1_000);
      }
    });

    const final = new Map<string, { view: JobView; atMs: number }>();
    const waitUntil = started + windowMs * 4 + 30_000;
    while (final.size < accepted.length && performance.now() < waitUntil) {
      const open = accepted.filter((id) => !final.has(id));
      await pool(open, 3, async (id) => {
        const answer = await sendRequest(imagingJob(id), { baseUrl: runtime.url, timeoutMs: 10_000 });
        const view = answer.body as JobView | undefined;
        if (answer.status === 200 && view && (view.status === 'succeeded' || view.status === 'failed')) final.set(id, { view, atMs: performance.now() - started });
      });
      progress.tick('imaging', `imaging: ${final.size}/${accepted.length} jobs final`);
      await sleep(250);
    }

    const succeeded = [...final.values()].filter((f) => f.view.status === 'succeeded');
    const failed = [...final.values()].filter((f) => f.view.status === 'failed');
    const failedBy429 = failed.filter((f) => isThrottleFailure(f.view.error)).length;
    const lost = accepted.length - final.size;
    const fraction = round(sustainedFraction(succeeded.map((s) => s.atMs), perWindow, windowMs), 2);
    const stats = await runtime.stats();
    const lastMs = Math.max(0, ...succeeded.map((s) => s.atMs));
    return {
      figures: {
        'R (requests per provider window)': perWindow,
        'provider window s': windowMs / 1000,
        'jobs submitted': jobs,
        'jobs accepted (202)': accepted.length,
        succeeded: succeeded.length,
        failed: failed.length,
        'failed by a provider 429': failedBy429,
        'jobs lost (accepted, never final)': lost,
        'provider 429s absorbed by the queue (simulator)': stats.simulator.keys[imagingKey]?.throttled ?? 0,
        'sustained analyses per window after the first / R': fraction,
        'all jobs final after s': round(lastMs / 1000, 1),
        'new dead letters': stats.runtime.imagingQueue.deadLetters - deadLettersBefore,
      },
      targets: [
        verdict(`sustained analyses ≥ ${MIN_SUSTAINED_FRACTION} R`, fraction, MIN_SUSTAINED_FRACTION, (n) => `${n} R`, 'atLeast'),
        equalVerdict('jobs lost', lost, 0),
        equalVerdict('jobs failed by a provider 429', failedBy429, 0),
      ],
      notes: [
        `${jobs} jobs = 2 R: the first R complete on the window's allowance; the sustained rate is the other R over the time from the R-th completion to the last, per window, as a fraction of R. Completion times are when a poll (every ~250 ms) first saw the job final.`,
        quick ? `Quick run: the simulator's rate-limit window is compressed to ${windowMs / 1000} s (R per window); the fraction of R does not depend on the window's length.` : 'The simulator\'s window is a provider\'s minute (sliding).',
        ...(failed.length > 0 ? [`Failed jobs: ${failed.slice(0, 3).map((f) => `${f.view.error?.code}: ${f.view.error?.message}`).join(' | ')}`] : []),
        ...(Object.keys(refused).length > 0 ? [`Submissions refused before acceptance (then retried): ${Object.entries(refused).map(([c, n]) => `${c} × ${n}`).join(', ')}`] : []),
      ],
    };
  },
};
