/**
 * One attempt's abort signal: fires when the attempt's time is up or the caller aborts. It is the
 * fetch adapters' only timeout and covers the headers and the whole body, a stream's included, so
 * a provider that stops sending half-way cannot hold an attempt past its time.
 */
import type { ProviderCallOptions } from '../model-call';

export interface AttemptSignal {
  signal: AbortSignal;
  timedOut(): boolean;
  /** Clears the timer and aborts whatever is still open (a stream the consumer left early). */
  dispose(): void;
}

export function attemptSignal(options: ProviderCallOptions): AttemptSignal {
  const controller = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort();
  }, Math.max(1, options.timeoutMs));
  const onCallerAbort = () => controller.abort();
  if (options.signal?.aborted) controller.abort();
  else options.signal?.addEventListener('abort', onCallerAbort, { once: true });
  return {
    signal: controller.signal,
    timedOut: () => timedOut,
    dispose() {
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onCallerAbort);
      controller.abort();
    },
  };
}
