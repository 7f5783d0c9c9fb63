/**
 * fairness, chat part: practice A bursts chat at 10× its normal rate while practices B and C send
 * their normal chat and clinical traffic (issue 14). Three runs, each through the local runtime's
 * HTTP API:
 *   alone      B's and C's traffic only, with the catalog's practice shares;
 *   shares     the same plus A's burst, with the catalog's practice shares (as deployed);
 *   no shares  the same burst on a runtime whose chat share is the whole task (100 % of the day and
 *              the minute, every concurrent request), as the gateway ran before practice shares.
 * Figures: B's and C's chat p95 against alone, their errors, A's PracticeOverShare refusals.
 */
import { runOpenLoop, tally, type LoadStream, type RequestOutcome } from '../http-load';
import { benchKeyFor, startRuntimeProcess, type RuntimeProcess } from '../runtime-process';
import { TASK_NAMES } from '../../functions/core/task-config';
import type { BenchContext, ScenarioOutcome } from '../scenario';
import { percentile, ratio, round } from '../statistics';
import { verdict, type FigureValue, type TargetVerdict } from '../results';
import { chatMessage, clinicalDiagnosis, type BenchRequest } from '../workload';
import type { FairnessPart } from './fairness';

export const CHAT_FAIRNESS_P95_LIMIT = 1.1;

/** The local runtime's dev identities (local/runtime/dev-tokens.ts): three practices. */
const PRACTICE_TOKENS = { A: 'local-dev-token', B: 'local-dev-token-2', C: 'local-dev-token-3' } as const;
type Practice = keyof typeof PRACTICE_TOKENS;

const LATENCY = { fixedMs: 800, jitterMs: 400 };
/** Generous provider limits: the scenario is about the gateway's limits, not a provider tier's. */
const KEY_LIMITS = { rpm: 100_000, tpm: 100_000_000 };

export function chatFairnessPlan(quick: boolean) {
  return quick
    ? { durationMs: 14_000, warmUpMs: 2_000, burst: { startMs: 3_000, endMs: 11_000 }, chatRps: 1, clinicalRps: 0.5, timeoutMs: 20_000 }
    : { durationMs: 50_000, warmUpMs: 5_000, burst: { startMs: 10_000, endMs: 40_000 }, chatRps: 1, clinicalRps: 0.5, timeoutMs: 30_000 };
}
type Plan = ReturnType<typeof chatFairnessPlan>;
type RunName = 'alone' | 'shares' | 'no shares';

const as = (practice: Practice, request: BenchRequest): BenchRequest => ({ ...request, headers: { ...request.headers, authorization: `Bearer ${PRACTICE_TOKENS[practice]}` } });

function streamsFor(run: RunName, plan: Plan, salt: number): LoadStream[] {
  const streams: LoadStream[] = [];
  for (const practice of ['B', 'C'] as const) {
    streams.push({ name: `${practice}:chat`, rate: () => plan.chatRps, build: (n) => as(practice, chatMessage(salt + n * 7 + (practice === 'B' ? 1 : 2))) });
    streams.push({ name: `${practice}:clinical`, rate: () => plan.clinicalRps, build: (n) => as(practice, clinicalDiagnosis(salt + n * 7 + (practice === 'B' ? 3 : 4))) });
  }
  if (run !== 'alone') {
    const inBurst = (ms: number) => ms >= plan.burst.startMs && ms < plan.burst.endMs;
    streams.push({ name: 'A:chat', rate: (ms) => plan.chatRps * (inBurst(ms) ? 10 : 1), build: (n) => as('A', chatMessage(salt + n * 7 + 5)) });
  }
  return streams;
}

async function startRuntime(run: RunName): Promise<RuntimeProcess> {
  const runtime = await startRuntimeProcess({
    keys: 'per-task',
    latency: LATENCY,
    concurrency: 'catalog',
    taskCeilings: 'catalog',
    // Without shares: one practice may take all of chat, as before issue 14.
    ...(run === 'no shares' ? { taskOverrides: { chat: { practiceShare: { dailyTokensPercent: 100, tokensPerMinutePercent: 100, concurrentRequests: 10_000 } } } } : {}),
  });
  await runtime.configureSimulator({ keys: Object.fromEntries(TASK_NAMES.map((task) => [benchKeyFor(task, 'per-task'), KEY_LIMITS])) });
  return runtime;
}

async function runOnce(runtime: RuntimeProcess, run: RunName, plan: Plan, context: BenchContext): Promise<RequestOutcome[]> {
  let answered = 0;
  context.progress.say(`fairness/chat: ${run}: ${plan.durationMs / 1000} s of load`);
  const outcomes = await runOpenLoop({
    baseUrl: runtime.url,
    timeoutMs: plan.timeoutMs,
    durationMs: plan.durationMs,
    streams: streamsFor(run, plan, Date.now() % 1_000_000 * 1_000),
    onOutcome: () => {
      answered += 1;
      context.progress.tick('fairness', `fairness/chat: ${run}: ${answered} answers`);
    },
  });
  return outcomes.filter((o) => o.atMs >= plan.warmUpMs);
}

interface RunFigures {
  chatP95Ms: number;
  clinicalP95Ms: number;
  errors: number;
  errorCodes: Record<string, number>;
  aOk: number;
  aOverShare: number;
  aOtherRefusals: Record<string, number>;
}

function figuresOf(outcomes: RequestOutcome[]): RunFigures {
  const bc = (kind: 'chat' | 'clinical') => ['B', 'C'].map((p) => tally(outcomes, `${p}:${kind}`));
  const chat = bc('chat');
  const clinical = bc('clinical');
  const errorCodes: Record<string, number> = {};
  for (const t of [...chat, ...clinical]) for (const o of t.all) if (o.status < 200 || o.status >= 300) errorCodes[o.code ?? String(o.status)] = (errorCodes[o.code ?? String(o.status)] ?? 0) + 1;
  const a = tally(outcomes, 'A:chat');
  const { PracticeOverShare: aOverShare = 0, ...aOtherRefusals } = a.byCode;
  return {
    chatP95Ms: percentile(chat.flatMap((t) => t.okLatencies), 95),
    clinicalP95Ms: percentile(clinical.flatMap((t) => t.okLatencies), 95),
    errors: [...chat, ...clinical].reduce((n, t) => n + t.errors, 0),
    errorCodes,
    aOk: a.ok,
    aOverShare,
    aOtherRefusals,
  };
}

const codes = (byCode: Record<string, number>) => Object.entries(byCode).map(([code, n]) => `${code} × ${n}`).join(', ') || 'none';

export const chatFairnessPart: FairnessPart = {
  name: 'chat',
  async run(context): Promise<ScenarioOutcome> {
    const plan = chatFairnessPlan(context.quick);
    const results = {} as Record<RunName, RunFigures>;
    context.progress.say('fairness/chat: starting a runtime with the catalog\'s practice shares');
    const withShares = await startRuntime('shares');
    context.onFinish(() => withShares.close());
    try {
      results.alone = figuresOf(await runOnce(withShares, 'alone', plan, context));
      results.shares = figuresOf(await runOnce(withShares, 'shares', plan, context));
    } finally {
      await withShares.close();
    }
    context.progress.say('fairness/chat: starting a runtime without practice shares');
    const withoutShares = await startRuntime('no shares');
    context.onFinish(() => withoutShares.close());
    try {
      results['no shares'] = figuresOf(await runOnce(withoutShares, 'no shares', plan, context));
    } finally {
      await withoutShares.close();
    }

    const sharesRatio = round(ratio(results.shares.chatP95Ms, results.alone.chatP95Ms), 2);
    const noSharesRatio = round(ratio(results['no shares'].chatP95Ms, results.alone.chatP95Ms), 2);
    const figures: Record<string, FigureValue> = {};
    for (const run of ['alone', 'shares', 'no shares'] as const) {
      const r = results[run];
      figures[`${run}: B and C chat p95 ms`] = round(r.chatP95Ms, 0);
      figures[`${run}: B and C clinical p95 ms`] = round(r.clinicalP95Ms, 0);
      figures[`${run}: B and C errors`] = r.errors;
      figures[`${run}: B and C errors by code`] = codes(r.errorCodes);
      if (run !== 'alone') {
        figures[`${run}: B and C chat p95 / alone`] = run === 'shares' ? sharesRatio : noSharesRatio;
        figures[`${run}: A's chat answered`] = r.aOk;
        figures[`${run}: A's PracticeOverShare refusals`] = r.aOverShare;
        figures[`${run}: A's other refusals`] = codes(r.aOtherRefusals);
      }
    }
    const degraded = results['no shares'].errors > 0 || noSharesRatio > CHAT_FAIRNESS_P95_LIMIT;
    const targets: TargetVerdict[] = [
      verdict(`with shares, B's and C's chat p95 ≤ ${CHAT_FAIRNESS_P95_LIMIT} × alone`, sharesRatio, CHAT_FAIRNESS_P95_LIMIT, (n) => `${n} ×`),
      verdict("with shares, B's and C's errors = 0", results.shares.errors, 0, (n) => `${n} errors (${codes(results.shares.errorCodes)})`),
      { target: "without shares, B and C degrade (errors, or chat p95 above the limit)", measured: `${results['no shares'].errors} errors, ${noSharesRatio} ×`, met: degraded },
    ];
    return {
      figures,
      targets,
      notes: [
        `B and C each send ${plan.chatRps} chat and ${plan.clinicalRps} clinical requests a second; A sends ${plan.chatRps} chat a second, ${plan.chatRps * 10} during the burst (${plan.burst.startMs / 1000}–${plan.burst.endMs / 1000} s of ${plan.durationMs / 1000} s). The first ${plan.warmUpMs / 1000} s are warm-up and not counted. Simulated model latency ${LATENCY.fixedMs} ± ${LATENCY.jitterMs} ms; provider keys not limiting.`,
        "Chat's catalog share per practice: 10 % of the day, 20 % of the minute, 4 concurrent requests (lib/catalog.ts). Without shares A can take chat's whole tokens-per-minute ceiling and its reserved concurrency.",
        'All three practices share the same chat function, key and two CPU cores here; a p95 above the limit with zero errors is the machine, not admission (see the isolation scenario).',
      ],
    };
  },
};
