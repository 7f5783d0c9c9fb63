/**
 * ledger: 200 concurrent requests through the real admission and settlement path (TaskRuntime →
 * DynamoUsageLedger over dynalite → ProviderChain → the official SDKs → the provider simulator)
 * against a daily budget that holds about 100 reservations. The simulator counts the tokens it
 * served on its own; the ledger must agree with it exactly, and committed tokens (settled usage
 * plus open reservations) must never pass the budget.
 *
 * Then admission alone, where "what the budget allows" is exact: 200 concurrent reservations of
 * one size against a day budget for 100, a task TPM ceiling for 100, and one practice's TPM share
 * for 30 must admit exactly 100, 100 and 30 (each a single conditional update per request).
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { functionConfigFor, resolveCatalog } from '../../lib/catalog';
import { DIAGNOSES_OUTPUT_KIND, DIAGNOSES_SYSTEM_PROMPT, buildDiagnosesUserPrompt } from '../../functions/clinical/prompts';
import { diagnosesModelOutputSchema } from '../../functions/clinical/schemas';
import { CircuitBreaker } from '../../functions/core/circuit-breaker';
import { createDocumentClient } from '../../functions/core/dynamo';
import { KeyPool } from '../../functions/core/key-pool';
import { keyFingerprint } from '../../functions/core/key-fingerprint';
import type { ActualUsage, Reservation, SecretStore, UsageEvent, UsageLedger } from '../../functions/core/ports';
import { ProviderChain } from '../../functions/core/provider-chain';
import { providerClientFor } from '../../functions/core/providers/index';
import { TaskRuntime, estimateTokens } from '../../functions/core/task-runtime';
import type { TaskName } from '../../functions/core/task-config';
import { DynamoUsageLedger, utcDay } from '../../functions/core/usage-ledger';
import { createTables, startDynamoDb } from '../../local/dynamodb';
import { startProviderSimulator } from '../../local/simulator';
import { quietObservability } from '../quiet-observability';
import { equalVerdict, verdict } from '../results';
import type { Scenario } from '../scenario';

const REQUESTS = 200;
const BUDGET_IN_RESERVATIONS = 100;
const TABLES = { usage: 'bench-usage', cache: 'bench-cache', jobs: 'bench-jobs' };
const SIMULATED_KEY = 'sim-bench-ledger-key';

/** The real ledger, watched: every reservation's day position is kept to find the peak. */
class WatchedLedger implements UsageLedger {
  peakDayCommitted = 0;
  reservations = 0;
  constructor(private readonly inner: DynamoUsageLedger) {}
  async reserve(input: Parameters<UsageLedger['reserve']>[0]): Promise<Reservation> {
    const reservation = await this.inner.reserve(input);
    this.reservations += 1;
    this.peakDayCommitted = Math.max(this.peakDayCommitted, reservation.dayCommittedTokens);
    return reservation;
  }
  hold(reservation: Reservation): void {
    this.inner.hold(reservation);
  }
  settle(reservation: Reservation, usage: ActualUsage, counters?: UsageEvent): Promise<void> {
    return this.inner.settle(reservation, usage, counters);
  }
  release(reservation: Reservation, counters?: UsageEvent): Promise<void> {
    return this.inner.release(reservation, counters);
  }
  record(task: TaskName, event: UsageEvent, keyFingerprint?: string, now?: number, practiceId?: string): Promise<void> {
    return this.inner.record(task, event, keyFingerprint, now, practiceId);
  }
  recordRefusal(task: TaskName, practiceId: string, kind: 'share' | 'budget', now?: number): Promise<void> {
    return this.inner.recordRefusal(task, practiceId, kind, now);
  }
}

/** 200 different but similar-sized cases, as a busy clinic would send. */
function caseNumber(i: number) {
  const teeth = ['3', '14', '19', '30', '8', '9'];
  return {
    chiefComplaint: `Sharp pain on biting, case ${String(i).padStart(3, '0')}`,
    symptoms: ['pain on biting', i % 2 === 0 ? 'lingering cold sensitivity' : 'swelling of the gum'],
    toothFindings: [{ toothNumber: teeth[i % teeth.length]!, finding: 'deep distal caries, tender to percussion' }],
    ageYears: 30 + (i % 40),
  };
}

export const ledgerScenario: Scenario = {
  name: 'ledger',
  title: 'Ledger: exact usage and a budget never overspent',
  async run({ progress }) {
    const dynamo = await startDynamoDb();
    const simulator = await startProviderSimulator({ keys: { [SIMULATED_KEY]: {} }, latency: { fixedMs: 150, jitterMs: 100 } });
    const credentials = { accessKeyId: 'local', secretAccessKey: 'local' };
    const client = new DynamoDBClient({ endpoint: dynamo.endpoint, region: 'us-east-1', credentials });
    const doc = createDocumentClient({ endpoint: dynamo.endpoint, region: 'us-east-1', credentials });
    try {
      await createTables(client, TABLES);
      const cases = Array.from({ length: REQUESTS }, (_, i) => caseNumber(i));
      const prompts = cases.map((c) => ({ role: 'user' as const, content: buildDiagnosesUserPrompt(c) }));

      const base = resolveCatalog({ stage: 'bench' }).byName.clinical;
      const reservationOf = (content: string) => estimateTokens({ task: 'clinical', system: DIAGNOSES_SYSTEM_PROMPT, messages: [{ role: 'user', content }], responseFormat: 'json', maxOutputTokens: base.maxOutputTokens });
      const reservationSizes = prompts.map((p) => reservationOf(p.content));
      const meanReservation = reservationSizes.reduce((a, b) => a + b, 0) / reservationSizes.length;
      const budget = Math.round(meanReservation * BUDGET_IN_RESERVATIONS);
      const config = functionConfigFor(
        resolveCatalog({ stage: 'bench', taskOverrides: { clinical: { dailyTokenBudget: budget, tokensPerMinute: budget * 10 } } }).byName.clinical,
      );

      const apiKey = { apiKey: SIMULATED_KEY, fingerprint: keyFingerprint(SIMULATED_KEY) };
      const secrets: SecretStore = { getKeys: async () => ({ anthropic: [{ name: 'anthropic', ...apiKey }], openai: [{ name: 'openai', ...apiKey }] }) };
      const baseUrls = { anthropic: simulator.anthropicBaseUrl, openai: simulator.openaiBaseUrl };
      const chain = new ProviderChain(config.providers, new KeyPool(secrets), (t) => providerClientFor(t, baseUrls), new CircuitBreaker());
      const dynamoLedger = new DynamoUsageLedger({ doc, tableName: TABLES.usage });
      const ledger = new WatchedLedger(dynamoLedger);
      const runtime = new TaskRuntime({ config, ledger, chain, observability: quietObservability('clinical') });

      progress.say(`ledger: ${REQUESTS} concurrent diagnoses against a budget of ${budget.toLocaleString('en-US')} tokens (~${BUDGET_IN_RESERVATIONS} reservations of ~${Math.round(meanReservation)})`);
      const day = utcDay(Date.now());
      const deadline = Date.now() + 60_000;
      const outcomes = await Promise.allSettled(
        prompts.map((message) =>
          runtime.generate({ practiceId: 'practice-bench', outputKind: DIAGNOSES_OUTPUT_KIND, system: DIAGNOSES_SYSTEM_PROMPT, messages: [message], schema: diagnosesModelOutputSchema, deadline }),
        ),
      );
      const admitted = outcomes.filter((o) => o.status === 'fulfilled').length;
      const rejections = outcomes.flatMap((o) => (o.status === 'rejected' ? [o.reason as { statusCode?: number; code?: string; message?: string }] : []));
      const overBudget = rejections.filter((e) => e.statusCode === 429 && e.code === 'OverBudget').length;
      const unexpected = rejections.filter((e) => !(e.statusCode === 429 && e.code === 'OverBudget'));
      const repaired = outcomes.filter((o) => o.status === 'fulfilled' && o.value.repaired).length;

      // Admission alone, on days of their own: exact counts, to the request.
      const burst = async (reserve: () => Promise<unknown>) => (await Promise.allSettled(Array.from({ length: REQUESTS }, reserve))).filter((o) => o.status === 'fulfilled').length;
      const noShares = { dailyTokens: Infinity, tokensPerMinute: Infinity, concurrentRequests: Infinity };
      const at = (offsetDays: number) => Date.parse('2026-01-05T12:00:10Z') + offsetDays * 86_400_000;
      progress.say(`ledger: ${REQUESTS} concurrent reservations each against a day budget, a TPM ceiling and a practice share`);
      const admittedByDay = await burst(() => dynamoLedger.reserve({ task: 'billing', tokens: 1_000, dailyTokenBudget: 100_000, tokensPerMinute: 10_000_000, now: at(0) }));
      const admittedByMinute = await burst(() => dynamoLedger.reserve({ task: 'billing', tokens: 500, dailyTokenBudget: 1_000_000_000, tokensPerMinute: 50_000, now: at(1) }));
      const admittedByShare = await burst(() =>
        dynamoLedger.reserve({ task: 'billing', tokens: 500, dailyTokenBudget: 1_000_000_000, tokensPerMinute: 10_000_000, practiceId: 'practice-burst', practiceLimits: { ...noShares, tokensPerMinute: 15_000 }, now: at(2) }),
      );

      const taskDay = await dynamoLedger.readTaskDay('clinical', day);
      const keyDay = await dynamoLedger.readKeyDay(apiKey.fingerprint, day);
      const served = simulator.stats().totals;
      const ledgerTokens = taskDay.inputTokens + taskDay.outputTokens;
      const servedTokens = served.inputTokens + served.outputTokens;

      const targets = [
        equalVerdict('ledger tokens (task) = tokens the simulator served', ledgerTokens, servedTokens, 'tokens'),
        equalVerdict('ledger tokens (key) = tokens the simulator served', keyDay.inputTokens + keyDay.outputTokens, servedTokens, 'tokens'),
        equalVerdict('ledger requests = provider calls the simulator answered', taskDay.requests, served.requests, 'calls'),
        verdict(`peak committed tokens (settled + reserved) ≤ budget of ${budget.toLocaleString('en-US')}`, ledger.peakDayCommitted, budget, (n) => `peak ${n.toLocaleString('en-US')}`),
        verdict('settled tokens ≤ budget', ledgerTokens, budget, (n) => n.toLocaleString('en-US')),
        equalVerdict('reservations left open after every request ended', taskDay.reservedTokens, 0, 'tokens'),
        equalVerdict('requests failed for any reason but the budget', unexpected.length, 0),
        equalVerdict(`admitted of ${REQUESTS} concurrent, day budget for 100`, admittedByDay, 100, 'requests'),
        equalVerdict(`admitted of ${REQUESTS} concurrent, TPM ceiling for 100`, admittedByMinute, 100, 'requests'),
        equalVerdict(`admitted of ${REQUESTS} concurrent from one practice, TPM share for 30`, admittedByShare, 30, 'requests'),
      ];
      return {
        figures: {
          requests: REQUESTS,
          'daily budget (tokens)': budget,
          'reservation per request (tokens, mean)': Math.round(meanReservation),
          'budget / reservation': BUDGET_IN_RESERVATIONS,
          admitted,
          'refused over budget (429)': overBudget,
          'other failures': unexpected.length,
          'repaired answers (two calls)': repaired,
          'provider calls answered (simulator)': served.requests,
          'tokens served (simulator)': servedTokens,
          'tokens settled (ledger, task)': ledgerTokens,
          'tokens settled (ledger, key)': keyDay.inputTokens + keyDay.outputTokens,
          'peak committed tokens': ledger.peakDayCommitted,
          'committed at the end': taskDay.committedTokens,
          'reserved at the end': taskDay.reservedTokens,
          'admission only: admitted against a day budget for 100': admittedByDay,
          'admission only: admitted against a TPM ceiling for 100': admittedByMinute,
          'admission only: admitted against a practice TPM share for 30': admittedByShare,
        },
        targets,
        notes: [
          'Admission reserves the estimated prompt plus the task\'s maxOutputTokens before the call and settles the provider\'s reported usage after it; settled answers are smaller than their reservations, so room freed by early answers can admit a few more than budget / reservation.',
          ...(unexpected.length > 0 ? [`First unexpected failure: ${unexpected[0]?.code ?? ''} ${unexpected[0]?.message ?? ''}`] : []),
        ],
      };
    } finally {
      doc.destroy();
      client.destroy();
      await simulator.close();
      await dynamo.close();
    }
  },
};
