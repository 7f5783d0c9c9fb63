/**
 * Skips a provider model that keeps failing, so a dead provider costs one fast skip instead of a
 * full set of timed-out retries on every request. Per provider + model, in the memory of one
 * function instance (module scope): after `failureThreshold` consecutive failures (unavailable,
 * timeout, malformed) the circuit opens; after `coolDownMs` one probe is let through (half-open);
 * its success closes the circuit, its failure opens it again for another cool-down.
 *
 * 429s and rejections do not count: a throttled provider is alive (the key pool deals with it),
 * and a rejection is a configuration fault.
 */
import type { ProviderFailureKind } from './model-call';
import type { ProviderKind } from './task-config';

export type CircuitState = 'closed' | 'open' | 'half-open';

export interface CircuitBreakerOptions {
  /** Consecutive failures that open the circuit. @default 3 */
  failureThreshold?: number;
  /** How long an open circuit skips the provider. @default 30000 */
  coolDownMs?: number;
  now?: () => number;
}

interface Circuit {
  failures: number;
  openedAt?: number;
  /** Half-open: when the probe was let through (a probe that never reports expires after a cool-down). */
  probeSince?: number;
}

const COUNTED: ReadonlySet<ProviderFailureKind> = new Set(['unavailable', 'timeout', 'malformed']);

export class CircuitBreaker {
  private readonly circuits = new Map<string, Circuit>();
  readonly failureThreshold: number;
  readonly coolDownMs: number;
  private readonly now: () => number;

  constructor(options: CircuitBreakerOptions = {}) {
    this.failureThreshold = options.failureThreshold ?? 3;
    this.coolDownMs = options.coolDownMs ?? 30_000;
    this.now = options.now ?? Date.now;
  }

  /** Whether an attempt may go out now. In half-open state only one probe is let through. */
  tryAcquire(provider: ProviderKind, model: string): boolean {
    const circuit = this.circuits.get(key(provider, model));
    if (!circuit || circuit.openedAt === undefined) return true;
    const now = this.now();
    if (now - circuit.openedAt < this.coolDownMs) return false;
    if (circuit.probeSince !== undefined && now - circuit.probeSince < this.coolDownMs) return false;
    circuit.probeSince = now;
    return true;
  }

  recordSuccess(provider: ProviderKind, model: string): void {
    this.circuits.delete(key(provider, model));
  }

  recordFailure(provider: ProviderKind, model: string, kind: ProviderFailureKind): void {
    const id = key(provider, model);
    const circuit = this.circuits.get(id) ?? { failures: 0 };
    if (!COUNTED.has(kind)) {
      // The probe learnt nothing about health; let the next caller probe.
      circuit.probeSince = undefined;
      if (circuit.openedAt !== undefined || circuit.failures > 0) this.circuits.set(id, circuit);
      return;
    }
    circuit.failures += 1;
    circuit.probeSince = undefined;
    const halfOpen = circuit.openedAt !== undefined;
    if (halfOpen || circuit.failures >= this.failureThreshold) circuit.openedAt = this.now();
    this.circuits.set(id, circuit);
  }

  state(provider: ProviderKind, model: string): CircuitState {
    const circuit = this.circuits.get(key(provider, model));
    if (!circuit || circuit.openedAt === undefined) return 'closed';
    return this.now() - circuit.openedAt < this.coolDownMs ? 'open' : 'half-open';
  }

  /** Milliseconds until an open circuit lets a probe through; 0 when not open. */
  remainingCoolDownMs(provider: ProviderKind, model: string): number {
    const circuit = this.circuits.get(key(provider, model));
    if (!circuit || circuit.openedAt === undefined) return 0;
    return Math.max(0, circuit.openedAt + this.coolDownMs - this.now());
  }
}

function key(provider: ProviderKind, model: string): string {
  return `${provider}\n${model}`;
}

/** The breaker of this function instance, shared by every request it serves. */
export const circuitBreaker = new CircuitBreaker();
