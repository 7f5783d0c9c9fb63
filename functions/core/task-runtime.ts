/**
 * One AI call of a task, start to finish: cache and in-flight dedup, admission against the
 * task's budget and TPM ceiling and the practice's shares, the provider chain, output validation
 * with one repair, exact settlement in the ledger, and metrics. Handlers describe *what* to ask;
 * this decides *how*.
 *
 * DynamoDB round trips in series, the latency that matters in AWS:
 * - before the model: one. The cache lookup and the admission (one conditional update) go out
 *   together; the hold that lets a killed call's reservation be found goes out beside the model
 *   call. A hit gives its admission back; a refusal with a miss gives the cache claim back.
 * - after it: one, all writes together (settlement, the cache write, counters, the practice's
 *   chargeback row), folded into as few writes as the items allow. A streamed answer settles after
 *   its last event has been handed to the response stream (see stream()).
 */
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import type * as z from './zod';
import { InvalidModelOutputError, PhiNotAllowedError, PracticeOverShareError, ProviderUnavailableError } from './errors';
import { METRIC } from './metric-names';
import type { ChatTurn, ImageInput, ModelRequest, ModelResponse, ModelStreamEvent, ModelUsage } from './model-call';
import type { Observability } from './observability';
import { redactForLog } from './observability';
import { insideBaaBoundary } from './phi/boundary';
import { detectPhiInRequest } from './phi/model-request';
import { boundDynamoRequestsBy } from './dynamo';
import { unlimitedPracticeLimits, type PracticeLimitsSource, type Reservation, type UsageEvent, type UsageLedger } from './ports';
import { cacheKey, type CacheScope, type ResponseCache } from './response-cache';
import { usageCostMicroUsd } from './usage-ledger';
import type { ChainCallOptions, ChainEvent, ProviderChain } from './provider-chain';
import type { FunctionTaskConfig } from './task-config';

/** Rough prompt size before the provider counts it: ~4 characters per token, a flat cost per image. */
const CHARS_PER_TOKEN = 4;
const TOKENS_PER_IMAGE = 1_100;

/** What the runtime needs from the provider chain (functions/core/provider-chain.ts). */
export type ModelChain = Pick<ProviderChain, 'complete' | 'stream'>;
type ChainOutcome = Awaited<ReturnType<ProviderChain['complete']>>;

/** What the runtime needs from the response cache (functions/core/response-cache.ts). */
export type AnswerCache = Pick<ResponseCache, 'open' | 'join'>;

export interface TaskRuntimeDeps {
  config: FunctionTaskConfig;
  ledger: UsageLedger;
  chain: ModelChain;
  cache?: AnswerCache;
  observability: Observability;
  /** Each practice's share of the task's limits. @default unlimitedPracticeLimits (no shares) */
  practiceLimits?: PracticeLimitsSource;
  now?: () => number;
}

/** DynamoDB calls of a request may run this long past its route deadline (Lambda keeps 1.5 s back, functions/core/http.ts). */
const DYNAMO_GRACE_AFTER_DEADLINE_MS = 1_000;

/** A model call made, and its ledger writes still in flight (they never reject). */
interface Called {
  outcome: ChainOutcome;
  settlement: Promise<void>;
}

export interface GenerateInput<T> {
  practiceId: string;
  /** The marker the prompts and the simulator share, e.g. `clinical.diagnoses`. */
  outputKind: string;
  system: string;
  messages: ChatTurn[];
  images?: ImageInput[];
  /** The model's output must parse with this schema. */
  schema: z.ZodType<T>;
  /**
   * Checks beyond the schema (e.g. CDT codes, tooth numbers): the problems found. Any problem
   * triggers the one repair attempt; what is still wrong after it is the handler's to drop.
   */
  domainProblems?: (value: T) => string[];
  /** The normalised request to key the cache on; omit to never cache this call. */
  cacheInput?: unknown;
  deadline: number;
}

export interface GenerateResult<T> {
  data: T;
  usage: ModelUsage;
  cached: boolean;
  provider?: string;
  model?: string;
  keyFingerprint?: string;
  fallbackUsed: boolean;
  repaired: boolean;
}

export class TaskRuntime {
  private readonly now: () => number;
  private readonly practiceLimits: PracticeLimitsSource;

  constructor(private readonly deps: TaskRuntimeDeps) {
    this.now = deps.now ?? Date.now;
    this.practiceLimits = deps.practiceLimits ?? unlimitedPracticeLimits;
  }

  /**
   * Asks the task's models for JSON that fits `schema`. When the task caches, an identical request
   * of the same practice is answered from the cache, and identical requests arriving together
   * share one provider call; either way the answer costs no tokens.
   */
  async generate<T>(input: GenerateInput<T>): Promise<GenerateResult<T>> {
    boundDynamoRequestsBy(input.deadline + DYNAMO_GRACE_AFTER_DEADLINE_MS);
    try {
      return await this.generateBounded(input);
    } finally {
      // Other DynamoDB work of the invocation (and a test's own reads later) is not held to this call's deadline.
      boundDynamoRequestsBy(undefined);
    }
  }

  private async generateBounded<T>(input: GenerateInput<T>): Promise<GenerateResult<T>> {
    const { cache, config } = this.deps;
    // Before the cache too: a request this task refuses gets no answer, cached or not, and no counter.
    this.phiSkip(this.modelRequest(input, 'json'), { refuseOnly: true });
    if (!cache || !config.cache.enabled || input.cacheInput === undefined) {
      const { result, settlements } = await this.generateFresh(input);
      await Promise.all(settlements);
      return result;
    }

    const scope: CacheScope = { practiceId: input.practiceId, task: config.name, model: config.providers.map((p) => `${p.provider}:${p.model}`).join('>') };
    const cacheInput = { outputKind: input.outputKind, request: input.cacheInput };
    const { promise, leader } = cache.join(cacheKey(scope, cacheInput), () => this.generateThroughCache(input, cache, scope, cacheInput));
    const answer = await promise;
    if (leader) return answer;
    // Another request of this instance asked the same question at the same moment: its answer, free.
    return this.answerFromCache(input, answer);
  }

  /** The lookup and the admission in one round trip, then whatever the lookup found decides. */
  private async generateThroughCache<T>(input: GenerateInput<T>, cache: AnswerCache, scope: CacheScope, cacheInput: unknown): Promise<GenerateResult<T>> {
    const { config } = this.deps;
    // Another instance asking the same question holds its claim for as long as this call may run,
    // and this call waits for that answer at most half its own time, leaving the rest to ask itself.
    const remainingMs = Math.max(0, input.deadline - this.now());
    const dedup = { leaseMs: Math.max(1_000, remainingMs), maxWaitMs: Math.floor(remainingMs / 2) };
    const request = this.modelRequest(input, 'json');
    const [looked, admitted] = await Promise.allSettled([cache.open<GenerateResult<T>>(scope, cacheInput, config.cache.ttlSeconds, dedup), this.admit(request, input.practiceId)]);
    const reservation = admitted.status === 'fulfilled' ? admitted.value : undefined;

    if (looked.status === 'rejected') {
      if (reservation) await this.releaseQuietly(reservation);
      throw looked.reason;
    }
    const entry = looked.value;
    if (entry.kind === 'hit') {
      const data = input.schema.safeParse(entry.value.data);
      if (data.success) {
        this.count(METRIC.cacheHits);
        // The admission is given back in the same write that counts the hit.
        if (reservation) await this.releaseQuietly(reservation, { cacheHits: 1 });
        else await this.recordQuietly({ cacheHits: 1 }, undefined, input.practiceId);
        return { ...entry.value, data: data.data, usage: { inputTokens: 0, outputTokens: 0, cachedTokens: 0 }, cached: true };
      }
      // An entry that no longer fits the schema (a deploy changed it) is answered afresh.
      if (!reservation) throw await this.refused((admitted as PromiseRejectedResult).reason, input.practiceId);
      const { result, settlements } = await this.generateFresh(input, reservation);
      await Promise.all(settlements);
      return result;
    }
    if (entry.kind === 'held') {
      // Another instance is asking the model: wait for its answer without holding budget room.
      const given = reservation ? this.releaseQuietly(reservation) : Promise.resolve();
      this.count(METRIC.cacheMisses);
      const waited = await entry.wait(async () => {
        const { result, settlements } = await this.generateFresh(input, undefined, { cacheMisses: 1 });
        await Promise.all(settlements);
        return result;
      });
      await given;
      return waited.source === 'computed' ? waited.value : this.answerFromCache(input, waited.value);
    }

    // This call asks the model.
    this.count(METRIC.cacheMisses);
    if (!reservation) {
      const [error] = await Promise.all([this.refused((admitted as PromiseRejectedResult).reason, input.practiceId), entry.abandon()]);
      throw error;
    }
    let fresh: { result: GenerateResult<T>; settlements: Promise<void>[] };
    try {
      fresh = await this.generateFresh(input, reservation, { cacheMisses: 1 });
    } catch (error) {
      // Let the waiters ask the model themselves instead of waiting out the lease.
      await entry.abandon();
      throw error;
    }
    await Promise.all([...fresh.settlements, entry.fill(fresh.result)]);
    return fresh.result;
  }

  /** Another call's answer (an identical request that ran at the same moment): free, and counted as a hit. */
  private async answerFromCache<T>(input: GenerateInput<T>, value: GenerateResult<T>): Promise<GenerateResult<T>> {
    const data = input.schema.safeParse(value.data);
    if (!data.success) {
      const { result, settlements } = await this.generateFresh(input);
      await Promise.all(settlements);
      return result;
    }
    this.count(METRIC.cacheHits);
    await this.recordQuietly({ cacheHits: 1 }, undefined, input.practiceId);
    return { ...value, data: data.data, usage: { inputTokens: 0, outputTokens: 0, cachedTokens: 0 }, cached: true };
  }

  /**
   * The model's answer, with one repair when it does not fit. The settlements come back unawaited
   * so the caller sends them together with its own writes (the cache entry).
   */
  private async generateFresh<T>(input: GenerateInput<T>, reservation?: Reservation, counters?: UsageEvent): Promise<{ result: GenerateResult<T>; settlements: Promise<void>[] }> {
    const request = this.modelRequest(input, 'json');
    const first = await this.callOnce(request, input, reservation, counters);
    const settlements = [first.settlement];
    const firstCheck = parseModelJson(first.outcome.response.text, input.schema, input.domainProblems);
    if (firstCheck.ok) return { result: this.result(firstCheck.value, first.outcome, first.outcome.response.usage, false), settlements };

    // One repair: show the model its answer and what was wrong with it.
    this.deps.observability.logger.warn('model output failed validation; asking for a repair', { outputKind: input.outputKind, problems: firstCheck.problems.length });
    const repairRequest: ModelRequest = {
      ...request,
      messages: [
        ...request.messages,
        { role: 'assistant', content: first.outcome.response.text.slice(0, 8_000) },
        { role: 'user', content: `Your answer has these problems: ${firstCheck.problems.slice(0, 10).join('; ')}. Answer again with only the corrected JSON object, same shape.` },
      ],
    };
    let second: Called;
    try {
      second = await this.callOnce(repairRequest, input);
    } catch (error) {
      await Promise.all(settlements);
      throw error;
    }
    settlements.push(second.settlement);
    const secondCheck = parseModelJson(second.outcome.response.text, input.schema);
    const usage = addUsage(first.outcome.response.usage, second.outcome.response.usage);
    if (secondCheck.ok) return { result: this.result(secondCheck.value, second.outcome, usage, true), settlements };
    // The repair broke the shape but the first answer had one: keep it, the handler drops what is invalid.
    if (firstCheck.parsed !== undefined) return { result: this.result(firstCheck.parsed, first.outcome, usage, false), settlements };
    this.count(METRIC.invalidModelOutput);
    await Promise.all(settlements);
    throw new InvalidModelOutputError(`The ${this.deps.config.name} model answered with output that does not fit the expected format, even after one repair; try again`);
  }

  private result<T>(data: T, outcome: ChainOutcome, usage: ModelUsage, repaired: boolean): GenerateResult<T> {
    return {
      data,
      usage,
      cached: false,
      provider: outcome.response.provider,
      model: outcome.response.model,
      keyFingerprint: outcome.keyFingerprint,
      fallbackUsed: outcome.fallbackUsed,
      repaired,
    };
  }

  private modelRequest(input: Pick<GenerateInput<unknown>, 'system' | 'messages' | 'images'>, responseFormat: ModelRequest['responseFormat']): ModelRequest {
    const { config } = this.deps;
    return { task: config.name, system: input.system, messages: input.messages, images: input.images, responseFormat, maxOutputTokens: config.maxOutputTokens };
  }

  /**
   * One admitted call through the chain (admitted here unless the caller already holds the
   * reservation). Its settlement comes back unawaited; a failed call is released before it throws.
   */
  private async callOnce(request: ModelRequest, input: Pick<GenerateInput<unknown>, 'practiceId' | 'deadline'>, reservation?: Reservation, counters: UsageEvent = {}): Promise<Called> {
    const skip = this.phiSkip(request);
    const admitted = reservation ?? (await this.admitOrRefuse(request, input.practiceId));
    // Beside the model call, not in front of it.
    this.deps.ledger.hold(admitted);
    const started = this.now();
    let outcome: ChainOutcome;
    try {
      outcome = await this.deps.chain.complete(request, { deadline: input.deadline, skip, onEvent: (event) => this.onChainEvent(event) });
    } catch (error) {
      await this.releaseQuietly(admitted, { ...counters, errors: 1 });
      if (error instanceof ProviderUnavailableError) this.count(METRIC.providerFailures);
      throw error;
    }
    const settlement = this.settle(admitted, outcome.response, outcome.keyFingerprint, this.now() - started, outcome.fallbackUsed, counters);
    return { outcome, settlement };
  }

  /**
   * Streams a text answer (chat). Yields deltas, then `done` with the usage; the reservation is
   * settled when the stream ends, released when it fails before any usage is known.
   *
   * Settlement comes after the last event: `done` is yielded first and the ledger writes run when
   * the consumer asks for the next event (the handler's SSE generator does at once), so the client
   * has the whole answer before they start. They still run inside the invocation: the stream ends
   * only when they are done, and middy awaits the stream's pipe before the handler returns
   * (functions/core/http.ts, atStreamEnd).
   *
   * A consumer that stops early (the patient closed the chat: the handler returns this generator)
   * ends the model stream, which aborts the provider request, and is charged what was produced:
   * the prompt (the provider has read it once the stream started) and the text received so far,
   * both estimated as for admission, since providers report usage only in their last event. Not
   * the full reservation (most of it was never generated) and not zero (it was).
   */
  async *stream(input: Omit<GenerateInput<unknown>, 'schema' | 'cacheInput'>, onOpen?: (opened: StreamOpened) => void): AsyncGenerator<ModelStreamEvent> {
    boundDynamoRequestsBy(input.deadline + DYNAMO_GRACE_AFTER_DEADLINE_MS);
    const request = this.modelRequest(input, 'text');
    let reservation: Reservation;
    let skip: ChainCallOptions['skip'];
    try {
      skip = this.phiSkip(request);
      reservation = await this.admitOrRefuse(request, input.practiceId);
    } catch (error) {
      boundDynamoRequestsBy(undefined);
      throw error;
    }
    this.deps.ledger.hold(reservation);
    const started = this.now();
    let settled = false;
    let failed = false;
    let producedChars = 0;
    let done: Extract<ModelStreamEvent, { type: 'done' }> | undefined;
    let stream: Awaited<ReturnType<ModelChain['stream']>> | undefined;
    try {
      stream = await this.deps.chain.stream(request, { deadline: input.deadline, skip, onEvent: (event) => this.onChainEvent(event) });
      onOpen?.({ provider: stream.target.provider, model: stream.target.model, fallbackUsed: stream.fallbackUsed });
      for await (const event of stream.events) {
        if (event.type === 'done') done = event;
        else producedChars += event.text.length;
        yield event;
      }
    } catch (error) {
      failed = true;
      throw error;
    } finally {
      if (done && stream) {
        settled = true;
        await this.settle(reservation, { text: '', usage: done.usage, provider: done.provider, model: done.model }, stream.keyFingerprint, this.now() - started, stream.fallbackUsed);
      } else if (!failed && stream) {
        settled = true;
        const usage = { inputTokens: reservation.tokens - request.maxOutputTokens, outputTokens: Math.ceil(producedChars / CHARS_PER_TOKEN), cachedTokens: 0 };
        this.deps.observability.logger.info('stream ended by the client; charging what was produced', usage);
        await this.settle(reservation, { text: '', usage, provider: stream.target.provider, model: stream.target.model }, stream.keyFingerprint, this.now() - started, stream.fallbackUsed);
      }
      if (!settled) await this.releaseQuietly(reservation, { errors: 1 });
      boundDynamoRequestsBy(undefined);
    }
  }

  /** Text answer without streaming (chat's JSON mode). */
  async complete(
    input: Omit<GenerateInput<unknown>, 'schema' | 'cacheInput'>,
  ): Promise<{ text: string; usage: ModelUsage; provider: string; model: string; keyFingerprint: string; fallbackUsed: boolean }> {
    boundDynamoRequestsBy(input.deadline + DYNAMO_GRACE_AFTER_DEADLINE_MS);
    const request = this.modelRequest(input, 'text');
    let called: Called;
    try {
      called = await this.callOnce(request, input);
      await called.settlement;
    } finally {
      boundDynamoRequestsBy(undefined);
    }
    const { outcome } = called;
    return {
      text: outcome.response.text,
      usage: outcome.response.usage,
      provider: outcome.response.provider,
      model: outcome.response.model,
      keyFingerprint: outcome.keyFingerprint,
      fallbackUsed: outcome.fallbackUsed,
    };
  }

  /**
   * The `block` PHI policy, before any charge or model call: a request with patient identifiers
   * is refused (422) when every target is outside the BAA boundary, and otherwise kept to the
   * inside targets (the returned `skip`). Scrubbing (`scrub`) happens per attempt in the client
   * (functions/core/phi/guarded-client.ts). Only the kinds found are logged.
   */
  private phiSkip(request: ModelRequest, { refuseOnly = false } = {}): ChainCallOptions['skip'] {
    const { config, observability } = this.deps;
    if (config.phi !== 'block') return undefined;
    const outside = config.providers.filter((target) => !insideBaaBoundary(target));
    if (outside.length === 0) return undefined;
    const kinds = detectPhiInRequest(request);
    if (kinds.length === 0) return undefined;
    if (outside.length === config.providers.length) {
      this.count(METRIC.phiBlocked);
      observability.logger.warn('request refused: patient identifiers and no provider inside the BAA boundary', { phiKinds: kinds });
      throw new PhiNotAllowedError(
        `The ${config.name} task may not send patient identifiers to its providers, which are outside the BAA boundary, and this request contains: ${kinds.join(', ')}. Remove them and send it again.`,
        { details: { phiKinds: kinds } },
      );
    }
    // The pre-check in front of the cache counts and logs nothing: the call itself does, once.
    if (refuseOnly) return undefined;
    this.count(METRIC.phiBlocked);
    observability.logger.info('patient identifiers found: only providers inside the BAA boundary are asked', { phiKinds: kinds });
    return (target) => !insideBaaBoundary(target);
  }

  /** One conditional update against the task's limits and the practice's shares; throws the refusal as it is. */
  private async admit(request: ModelRequest, practiceId: string): Promise<Reservation> {
    const { config, ledger, observability } = this.deps;
    const practiceLimits = await this.practiceLimits.limitsFor(config.name, practiceId);
    const reservation = await ledger.reserve({
      task: config.name,
      tokens: estimateTokens(request),
      dailyTokenBudget: config.dailyTokenBudget,
      tokensPerMinute: config.tokensPerMinute,
      practiceId,
      practiceLimits,
      now: this.now(),
    });
    const { budgetUsedPercent } = reservation as Reservation & { budgetUsedPercent?: number };
    if (budgetUsedPercent !== undefined) observability.metrics.addMetric(METRIC.budgetUsedPercent, MetricUnit.Percent, Math.round(budgetUsedPercent * 10) / 10);
    return reservation;
  }

  private async admitOrRefuse(request: ModelRequest, practiceId: string): Promise<Reservation> {
    try {
      return await this.admit(request, practiceId);
    } catch (error) {
      throw await this.refused(error, practiceId);
    }
  }

  /** A refusal the caller gets: counted, logged, and on the practice's chargeback row. Returns the error to throw. */
  private async refused(error: unknown, practiceId: string): Promise<unknown> {
    if ((error as { statusCode?: number }).statusCode !== 429) return error;
    const { config, ledger, observability } = this.deps;
    this.count(METRIC.overBudgetRejections);
    observability.logger.warn('request not admitted', redactForLog(error));
    const kind = error instanceof PracticeOverShareError ? 'share' : 'budget';
    await ledger.recordRefusal(config.name, practiceId, kind, this.now()).catch((e: unknown) => observability.logger.warn('refusal counter write failed', redactForLog(e)));
    return error;
  }

  /**
   * Records what the call cost. It never throws: the answer is already paid for, so a ledger
   * hiccup must not turn it into an error (it is logged and counted for the operator instead),
   * and a provider that reports no usable counts is charged the reservation.
   */
  private async settle(reservation: Reservation, response: ModelResponse, keyFingerprint: string, latencyMs: number, fallbackUsed: boolean, counters: UsageEvent = {}): Promise<void> {
    const { config, ledger, observability } = this.deps;
    const { logger, metrics } = observability;
    const usage = usableUsage(response.usage, reservation.tokens);
    if (usage !== response.usage) logger.warn('provider reported no usable token counts; charging the reservation', { model: response.model });
    const { inputTokens, outputTokens, cachedTokens } = usage;
    const costMicroUsd = usageCostMicroUsd(config.prices[response.model], inputTokens, outputTokens);
    try {
      await ledger.settle(reservation, { keyFingerprint, model: response.model, inputTokens, outputTokens, cachedTokens, costMicroUsd, latencyMs }, counters);
    } catch (error) {
      logger.error('settling the usage ledger failed; the answer is returned anyway', { ...redactForLog(error), model: response.model, inputTokens, outputTokens });
      this.count(METRIC.ledgerSettleFailures);
    }
    metrics.addMetric(METRIC.inputTokens, MetricUnit.Count, inputTokens);
    metrics.addMetric(METRIC.outputTokens, MetricUnit.Count, outputTokens);
    metrics.addMetric(METRIC.modelLatency, MetricUnit.Milliseconds, latencyMs);
    if (fallbackUsed) metrics.addMetric(METRIC.fallbacks, MetricUnit.Count, 1);
    logger.appendKeys({ keyFingerprint, model: response.model, inputTokens, outputTokens });
  }

  /** Gives a reservation back (with counters in the same writes); a failure only leaves it for the stale sweep. */
  private async releaseQuietly(reservation: Reservation, counters?: UsageEvent): Promise<void> {
    try {
      await this.deps.ledger.release(reservation, counters);
    } catch (error) {
      this.deps.observability.logger.warn('giving back a reservation failed', redactForLog(error));
    }
  }

  private onChainEvent(event: ChainEvent): void {
    if (event.type === 'provider-throttled') {
      this.count(METRIC.providerThrottles);
      void this.recordQuietly({ providerThrottles: 1 }, event.keyFingerprint);
    } else if (event.type === 'fallback') {
      void this.recordQuietly({ fallbacks: 1 });
    }
  }

  private count(metric: string): void {
    this.deps.observability.metrics.addMetric(metric, MetricUnit.Count, 1);
  }

  /** Counters are best effort: a failed counter write must not fail the patient's request. */
  private async recordQuietly(event: UsageEvent, keyFingerprint?: string, practiceId?: string): Promise<void> {
    try {
      await this.deps.ledger.record(this.deps.config.name, event, keyFingerprint, this.now(), practiceId);
    } catch (error) {
      this.deps.observability.logger.warn('usage counter write failed', redactForLog(error));
    }
  }
}

export function estimateTokens(request: ModelRequest): number {
  const chars = request.system.length + request.messages.reduce((sum, m) => sum + m.content.length, 0);
  return Math.ceil(chars / CHARS_PER_TOKEN) + (request.images?.length ?? 0) * TOKENS_PER_IMAGE + request.maxOutputTokens;
}

const isCount = (n: unknown): n is number => typeof n === 'number' && Number.isInteger(n) && n >= 0;

/** The provider's counts when they are counts; otherwise the reservation, as input tokens. */
function usableUsage(usage: ModelUsage | undefined, reservedTokens: number): ModelUsage {
  if (usage && isCount(usage.inputTokens) && isCount(usage.outputTokens)) return isCount(usage.cachedTokens) ? usage : { ...usage, cachedTokens: 0 };
  return { inputTokens: reservedTokens, outputTokens: 0, cachedTokens: 0 };
}

function addUsage(a: ModelUsage, b: ModelUsage): ModelUsage {
  return { inputTokens: a.inputTokens + b.inputTokens, outputTokens: a.outputTokens + b.outputTokens, cachedTokens: a.cachedTokens + b.cachedTokens };
}

type Checked<T> = { ok: true; value: T } | { ok: false; problems: string[]; parsed?: T };

/** Parses a model's JSON answer, tolerating a Markdown code fence around it. */
export function parseModelJson<T>(text: string, schema: z.ZodType<T>, domainProblems?: (value: T) => string[]): Checked<T> {
  const trimmed = text.trim().replace(/^```(?:json)?\s*/i, '').replace(/\s*```$/, '');
  let json: unknown;
  try {
    json = JSON.parse(trimmed);
  } catch {
    return { ok: false, problems: ['the answer is not valid JSON'] };
  }
  const parsed = schema.safeParse(json);
  if (parsed.success) {
    const problems = domainProblems?.(parsed.data) ?? [];
    return problems.length === 0 ? { ok: true, value: parsed.data } : { ok: false, problems, parsed: parsed.data };
  }
  return { ok: false, problems: parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`) };
}

/** Which target a stream is answered by, known once it has opened (before the 200 is sent). */
export interface StreamOpened {
  provider: string;
  model: string;
  fallbackUsed: boolean;
}

/** The answer headers a stream can carry: all but the token count, which only its `done` event knows. */
export function streamOutcomeHeaders(opened: StreamOpened): Record<string, string> {
  const { 'x-smartdental-tokens': _tokens, ...headers } = outcomeHeaders({ ...opened, cached: false, usage: { inputTokens: 0, outputTokens: 0, cachedTokens: 0 } });
  return headers;
}

/**
 * Response headers that tell the front end how an answer was produced (cache, provider, model,
 * fallback) without touching the documented body. No key and no fingerprint.
 */
export function outcomeHeaders(result: Pick<GenerateResult<unknown>, 'cached' | 'provider' | 'model' | 'fallbackUsed' | 'usage'>): Record<string, string> {
  const headers: Record<string, string> = { 'x-smartdental-cache': result.cached ? 'hit' : 'miss' };
  if (result.provider) headers['x-smartdental-provider'] = result.provider;
  if (result.model) headers['x-smartdental-model'] = result.model;
  if (result.fallbackUsed) headers['x-smartdental-fallback'] = 'true';
  headers['x-smartdental-tokens'] = String(result.usage.inputTokens + result.usage.outputTokens);
  return headers;
}
