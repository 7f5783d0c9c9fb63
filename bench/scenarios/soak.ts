/**
 * soak (issue 7, "Load"): a mixed workload over every task at a steady rate for minutes, through
 * the local runtime's HTTP API. Counts what was served, the 429s the design intends (a function at
 * its concurrency limit, a task at its budget or TPM ceiling, a provider rate limit passed on with
 * Retry-After), every other failure (target zero), and the runtime's resident memory after the
 * warm-up and at the end (target: at most 10 % growth).
 */
import { TASK_NAMES } from '../../functions/core/task-config';
import { runOpenLoop, sendRequest, type LoadStream, type RequestOutcome } from '../http-load';
import { benchKeyFor, catalogRuntime } from '../runtime-process';
import type { Scenario } from '../scenario';
import { round } from '../statistics';
import { equalVerdict, verdict, type FigureValue } from '../results';
import { billingClaim, chatMessage, clinicalDiagnosis, imagingAnalysis, imagingJob, schedulingReminder } from '../workload';

export const MAX_RSS_GROWTH_PERCENT = 10;

/** A 429 the gateway is designed to answer: it says when to come back. */
export function isDesigned429(outcome: Pick<RequestOutcome, 'status'>): boolean {
  return outcome.status === 429;
}

export function isUnexpected(outcome: Pick<RequestOutcome, 'status'>): boolean {
  return !(outcome.status >= 200 && outcome.status < 300) && !isDesigned429(outcome);
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export const soakScenario: Scenario = {
  name: 'soak',
  title: 'Soak: a mixed workload over every task for minutes',
  async run(context) {
    const { quick, progress } = context;
    const durationMs = quick ? 15_000 : 150_000;
    const warmUpMs = quick ? 3_000 : 15_000;
    const runtime = await catalogRuntime(context);
    await runtime.configureSimulator({
      keys: Object.fromEntries(TASK_NAMES.map((t) => [benchKeyFor(t, 'per-task'), { rpm: 600, tpm: 400_000 }])),
      latency: { fixedMs: 300, jitterMs: 400 },
      rateLimitWindow: 'sliding',
      rateLimitWindowMs: 60_000,
    });
    await runtime.resetSimulatorStats();

    const salt = 9_000_000 + (Date.now() % 100_000) * 10;
    const now = Date.now();
    const streams: LoadStream[] = [
      // Every fourth diagnosis repeats an earlier case, as colleagues ask about the same patient.
      { name: 'clinical', rate: () => 2, build: (n) => clinicalDiagnosis(salt + (n % 4 === 3 ? n - 3 : n)) },
      { name: 'chat', rate: () => 2, build: (n) => chatMessage(salt + n) },
      { name: 'billing', rate: () => 1, build: (n) => billingClaim(salt + n) },
      { name: 'scheduling', rate: () => 1, build: (n) => schedulingReminder(salt + n, now) },
      { name: 'imaging', rate: () => 0.25, build: (n) => imagingAnalysis(salt + n), keepBodies: true },
      // Every 30 s a one-second rush of patient chat (never cached), more than chat's concurrency
      // of 10 can take: the gateway must answer the overflow with designed 429s while the rest,
      // and every other task, carries on.
      { name: 'chat rush', rate: (elapsedMs) => (elapsedMs % 30_000 < 1_000 ? 30 : 0), build: (n) => chatMessage(salt + 500_000 + n) },
    ];

    const rss: Array<{ atMs: number; bytes: number }> = [];
    const started = performance.now();
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        const stats = await runtime.stats().catch(() => undefined);
        if (stats) rss.push({ atMs: performance.now() - started, bytes: stats.rss.now });
        await sleep(quick ? 1_000 : 5_000);
      }
    })();

    let answered = 0;
    const jobIds: string[] = [];
    const outcomes = await runOpenLoop({
      baseUrl: runtime.url,
      timeoutMs: 30_000,
      durationMs,
      streams,
      onOutcome: (o) => {
        answered += 1;
        progress.tick('soak', `soak: ${answered} answers, ${Math.round((performance.now() - started) / 1000)} s of ${durationMs / 1000} s`);
      },
    });
    sampling = false;
    await sampler;
    const end = await runtime.stats();
    rss.push({ atMs: performance.now() - started, bytes: end.rss.now });

    // Every imaging job accepted during the soak must reach a final state.
    for (const o of outcomes) if (o.stream === 'imaging' && o.status === 202 && o.body && typeof (o.body as { jobId?: unknown }).jobId === 'string') jobIds.push((o.body as { jobId: string }).jobId);
    const finalJobs = new Set<string>();
    const waitUntil = performance.now() + 60_000;
    while (finalJobs.size < jobIds.length && performance.now() < waitUntil) {
      for (const id of jobIds.filter((j) => !finalJobs.has(j))) {
        const answer = await sendRequest(imagingJob(id), { baseUrl: runtime.url, timeoutMs: 10_000 });
        const status = (answer.body as { status?: string } | undefined)?.status;
        if (status === 'succeeded' || status === 'failed') finalJobs.add(id);
      }
      if (finalJobs.size < jobIds.length) await sleep(500);
    }

    const counted = outcomes.filter((o) => o.atMs >= warmUpMs);
    const startSample = rss.find((s) => s.atMs >= warmUpMs) ?? rss[0]!;
    const endSample = rss[rss.length - 1]!;
    const growth = round((100 * (endSample.bytes - startSample.bytes)) / startSample.bytes, 1);
    const unexpected = outcomes.filter(isUnexpected);
    const designed = outcomes.filter(isDesigned429);
    const byCode = (list: RequestOutcome[]) => {
      const counts: Record<string, number> = {};
      for (const o of list) counts[`${o.status} ${o.code ?? ''}`.trim()] = (counts[`${o.status} ${o.code ?? ''}`.trim()] ?? 0) + 1;
      return Object.entries(counts).map(([c, n]) => `${c} × ${n}`).join(', ') || 'none';
    };
    const perStream: Record<string, Record<string, FigureValue>> = {};
    for (const s of streams) {
      const mine = outcomes.filter((o) => o.stream === s.name);
      perStream[s.name] = {
        sent: mine.length,
        served: mine.filter((o) => o.status >= 200 && o.status < 300).length,
        'designed 429s': mine.filter(isDesigned429).length,
        unexpected: mine.filter(isUnexpected).length,
      };
    }
    const mb = (bytes: number) => round(bytes / 1_048_576, 0);
    return {
      figures: {
        'duration s': durationMs / 1000,
        'requests sent': outcomes.length,
        'requests served (2xx)': outcomes.filter((o) => o.status >= 200 && o.status < 300).length,
        'designed 429s': designed.length,
        'unexpected errors': unexpected.length,
        'imaging jobs accepted': jobIds.length,
        'imaging jobs final': finalJobs.size,
        'RSS after warm-up MB': mb(startSample.bytes),
        'RSS at the end MB': mb(endSample.bytes),
        'RSS growth %': growth,
        'RSS peak MB': mb(Math.max(...rss.map((s) => s.bytes))),
        'requests counted after warm-up': counted.length,
      },
      tables: { 'per task': perStream },
      targets: [
        equalVerdict('unexpected errors', unexpected.length, 0),
        verdict(`resident memory grows ≤ ${MAX_RSS_GROWTH_PERCENT} % from after warm-up to the end`, growth, MAX_RSS_GROWTH_PERCENT, (n) => `${n} %`),
        equalVerdict('imaging jobs accepted that reached a final state', finalJobs.size, jobIds.length, 'jobs'),
      ],
      notes: [
        `Per second: clinical diagnoses 2 (every fourth a repeat), chat 2, billing claims 1, scheduling reminders 1, imaging analyses 0.25; open loop for ${durationMs / 1000} s. Provider simulator 300–700 ms per call, every key limited to 600 requests and 400,000 tokens per minute.`,
        `Designed 429s: ${byCode(designed)}. Unexpected: ${byCode(unexpected)}.`,
        `Memory is the runtime process's RSS (every stand-in and every function's worker thread), sampled every ${quick ? 1 : 5} s; the start is the first sample after ${warmUpMs / 1000} s of warm-up.`,
      ],
    };
  },
};
