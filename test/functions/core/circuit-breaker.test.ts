/** The circuit breaker's states on a controlled clock. */
import { CircuitBreaker } from '#core/circuit-breaker';

describe('CircuitBreaker', () => {
  let clock: number;
  let breaker: CircuitBreaker;
  beforeEach(() => {
    clock = 0;
    breaker = new CircuitBreaker({ failureThreshold: 2, coolDownMs: 10_000, now: () => clock });
  });

  it('opens after N consecutive failures and skips the provider during the cool-down', () => {
    breaker.recordFailure('openai', 'gpt-5.4', 'unavailable');
    expect(breaker.tryAcquire('openai', 'gpt-5.4')).toBe(true);
    breaker.recordFailure('openai', 'gpt-5.4', 'timeout');
    expect(breaker.state('openai', 'gpt-5.4')).toBe('open');
    expect(breaker.tryAcquire('openai', 'gpt-5.4')).toBe(false);
    expect(breaker.remainingCoolDownMs('openai', 'gpt-5.4')).toBe(10_000);
    // Other models of the same provider are not affected.
    expect(breaker.tryAcquire('openai', 'gpt-5.4-mini')).toBe(true);
  });

  it('a success resets the count; 429s and rejections do not count', () => {
    breaker.recordFailure('anthropic', 'claude-sonnet-5-5', 'malformed');
    breaker.recordSuccess('anthropic', 'claude-sonnet-5-5');
    breaker.recordFailure('anthropic', 'claude-sonnet-5-5', 'unavailable');
    breaker.recordFailure('anthropic', 'claude-sonnet-5-5', 'throttled');
    breaker.recordFailure('anthropic', 'claude-sonnet-5-5', 'rejected');
    expect(breaker.state('anthropic', 'claude-sonnet-5-5')).toBe('closed');
  });

  it('lets one probe through after the cool-down; its success closes, its failure reopens', () => {
    breaker.recordFailure('openai', 'gpt-5.4', 'unavailable');
    breaker.recordFailure('openai', 'gpt-5.4', 'unavailable');
    clock += 10_000;
    expect(breaker.state('openai', 'gpt-5.4')).toBe('half-open');
    expect(breaker.tryAcquire('openai', 'gpt-5.4')).toBe(true);
    expect(breaker.tryAcquire('openai', 'gpt-5.4')).toBe(false);
    breaker.recordFailure('openai', 'gpt-5.4', 'timeout');
    expect(breaker.state('openai', 'gpt-5.4')).toBe('open');
    expect(breaker.tryAcquire('openai', 'gpt-5.4')).toBe(false);

    clock += 10_000;
    expect(breaker.tryAcquire('openai', 'gpt-5.4')).toBe(true);
    breaker.recordSuccess('openai', 'gpt-5.4');
    expect(breaker.state('openai', 'gpt-5.4')).toBe('closed');
    expect(breaker.tryAcquire('openai', 'gpt-5.4')).toBe(true);
  });

  it('gives the probe back when it ended in a 429, so the next caller can probe', () => {
    breaker.recordFailure('openai', 'gpt-5.4', 'unavailable');
    breaker.recordFailure('openai', 'gpt-5.4', 'unavailable');
    clock += 10_000;
    expect(breaker.tryAcquire('openai', 'gpt-5.4')).toBe(true);
    breaker.recordFailure('openai', 'gpt-5.4', 'throttled');
    expect(breaker.tryAcquire('openai', 'gpt-5.4')).toBe(true);
  });
});
