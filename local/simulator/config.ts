/**
 * Settings of the provider simulator. Everything can be changed while it runs, in process with
 * `configure(patch)` or from another process with `POST /_sim/config`, so a test or the benchmark
 * can switch a model off or start a 429 storm without restarting the local runtime.
 */

/** Per-key limits, like a provider account tier. Absent: unlimited. */
export interface SimulatorKeyLimits {
  /** Requests per minute. */
  rpm?: number;
  /** Tokens (input + output) per minute. */
  tpm?: number;
}

/**
 * Probabilities (0–1) of injected faults; 1 means every request. Checked in this order, first
 * hit wins: throttle, serverError, overloaded, timeout, malformed, schema, cutStream.
 */
export interface SimulatorFaultRates {
  /** 429 with `retry-after` (see `throttleRetryAfterSeconds`). */
  throttle?: number;
  /** 500 with a provider-shaped error body. */
  serverError?: number;
  /** 529 `overloaded_error`, as Anthropic answers under load. */
  overloaded?: number;
  /** Never answers; the request hangs until the client gives up. */
  timeout?: number;
  /** 200 with a body that is not valid JSON. */
  malformed?: number;
  /** 200 with valid JSON in the model's text, but not the shape the task asked for. */
  schema?: number;
  /** Starts answering, then destroys the socket half-way (streams and plain answers alike). */
  cutStream?: number;
}

/** What a switched-off model does: answer 503, or reset the connection without a word. */
export type DisabledModelBehaviour = 'unavailable' | 'reset';

export interface SimulatorConfig {
  keys: Record<string, SimulatorKeyLimits>;
  /** Accept any non-empty key (unlimited unless listed in `keys`). */
  acceptAnyKey: boolean;
  latency: { fixedMs: number; jitterMs: number };
  /** Faults for every model. */
  faults: SimulatorFaultRates;
  /** Faults for one model; they replace the global rates field by field. */
  modelFaults: Record<string, SimulatorFaultRates>;
  /** Seconds sent in `retry-after` with injected 429s. */
  throttleRetryAfterSeconds: number;
  /** Kill switch per model. */
  disabledModels: Record<string, DisabledModelBehaviour>;
  /** `fixed`: counters reset at each 60 s window; `sliding`: the last 60 s. */
  rateLimitWindow: 'fixed' | 'sliding';
  /**
   * Length of the rate-limit "minute" in ms. 60,000 like a provider; the benchmark's quick mode
   * compresses it so a run can cross several windows in seconds (limits then count per window).
   */
  rateLimitWindowMs: number;
  /** Pause between the frames of a streamed answer, so a client can hang up half-way. @default 0 */
  streamFrameDelayMs: number;
  /**
   * Tokens of every prompt (at most all of it) reported as read from the provider's prompt cache:
   * OpenAI's `prompt_tokens_details.cached_tokens`, Anthropic's `cache_read_input_tokens`. @default 0
   */
  cachedPromptTokens: number;
}

/** What `configure` and `POST /_sim/config` accept: any top-level field, replaced as a whole. */
export type SimulatorConfigPatch = Partial<Omit<SimulatorConfig, 'disabledModels' | 'latency'>> & {
  latency?: Partial<SimulatorConfig['latency']>;
  /** A list means `unavailable` for each model named. */
  disabledModels?: Record<string, DisabledModelBehaviour> | string[];
};

export const DEFAULT_SIMULATOR_CONFIG: SimulatorConfig = {
  keys: {},
  acceptAnyKey: false,
  latency: { fixedMs: 0, jitterMs: 0 },
  faults: {},
  modelFaults: {},
  throttleRetryAfterSeconds: 1,
  disabledModels: {},
  streamFrameDelayMs: 0,
  cachedPromptTokens: 0,
  rateLimitWindow: 'fixed',
  rateLimitWindowMs: 60_000,
};

const FAULT_NAMES = ['throttle', 'serverError', 'overloaded', 'timeout', 'malformed', 'schema', 'cutStream'] as const;
export type FaultName = (typeof FAULT_NAMES)[number];

export function applyConfigPatch(current: SimulatorConfig, patch: SimulatorConfigPatch): SimulatorConfig {
  const next: SimulatorConfig = { ...current };
  if (patch.keys !== undefined) next.keys = { ...patch.keys };
  if (patch.acceptAnyKey !== undefined) next.acceptAnyKey = patch.acceptAnyKey;
  if (patch.latency !== undefined) next.latency = { ...current.latency, ...patch.latency };
  if (patch.faults !== undefined) next.faults = { ...patch.faults };
  if (patch.modelFaults !== undefined) next.modelFaults = { ...patch.modelFaults };
  if (patch.throttleRetryAfterSeconds !== undefined) next.throttleRetryAfterSeconds = patch.throttleRetryAfterSeconds;
  if (patch.disabledModels !== undefined) {
    next.disabledModels = Array.isArray(patch.disabledModels)
      ? Object.fromEntries(patch.disabledModels.map((m) => [m, 'unavailable' as const]))
      : { ...patch.disabledModels };
  }
  if (patch.rateLimitWindow !== undefined) next.rateLimitWindow = patch.rateLimitWindow;
  if (patch.rateLimitWindowMs !== undefined) next.rateLimitWindowMs = patch.rateLimitWindowMs;
  if (patch.streamFrameDelayMs !== undefined) {
    if (!Number.isInteger(patch.streamFrameDelayMs) || patch.streamFrameDelayMs < 0) throw new Error('streamFrameDelayMs must be a non-negative integer');
    next.streamFrameDelayMs = patch.streamFrameDelayMs;
  }
  if (patch.cachedPromptTokens !== undefined) {
    if (!Number.isInteger(patch.cachedPromptTokens) || patch.cachedPromptTokens < 0) throw new Error('cachedPromptTokens must be a non-negative integer');
    next.cachedPromptTokens = patch.cachedPromptTokens;
  }
  validateConfig(next);
  return next;
}

function validateConfig(config: SimulatorConfig): void {
  const rates = [config.faults, ...Object.values(config.modelFaults)];
  for (const r of rates) {
    for (const [name, value] of Object.entries(r)) {
      if (!(FAULT_NAMES as readonly string[]).includes(name)) throw new Error(`unknown fault '${name}' (known: ${FAULT_NAMES.join(', ')})`);
      if (typeof value !== 'number' || value < 0 || value > 1) throw new Error(`fault rate '${name}' must be a number from 0 to 1`);
    }
  }
  for (const [model, behaviour] of Object.entries(config.disabledModels)) {
    if (behaviour !== 'unavailable' && behaviour !== 'reset') throw new Error(`disabledModels.${model} must be 'unavailable' or 'reset'`);
  }
  if (config.rateLimitWindow !== 'fixed' && config.rateLimitWindow !== 'sliding') throw new Error(`rateLimitWindow must be 'fixed' or 'sliding'`);
  if (!Number.isInteger(config.rateLimitWindowMs) || config.rateLimitWindowMs < 1_000) throw new Error('rateLimitWindowMs must be a whole number of milliseconds, at least 1000');
}

/** Draws at most one fault for a request to `model`. */
export function drawFault(config: SimulatorConfig, model: string, random: () => number): FaultName | undefined {
  const rates = { ...config.faults, ...config.modelFaults[model] };
  for (const name of FAULT_NAMES) {
    const rate = rates[name] ?? 0;
    if (rate >= 1 || (rate > 0 && random() < rate)) return name;
  }
  return undefined;
}
