/**
 * A provider client with the task's PHI policy in front of it, decided per target: a target inside
 * the BAA boundary, or a task whose policy is `allow`, gets the request as it is; a target outside
 * it gets the request scrubbed (`scrub`) or never sees a request with an identifier in it (`block`;
 * the runtime refuses or routes around such requests first, this is the last line).
 *
 * Because the wrapper sits on the client, the decision is per attempt: a chain whose primary is
 * outside and whose fallback is inside scrubs only what it sends to the primary.
 */
import { ProviderCallError, type ModelRequest, type ModelResponse, type ModelStreamEvent, type ProviderCallOptions, type ProviderClient } from '../model-call';
import type { PhiPolicy, ProviderTarget } from '../task-config';
import { insideBaaBoundary } from './boundary';
import type { PhiKind } from './kinds';
import { detectPhiInRequest, scrubModelRequest } from './model-request';

/** Told the kinds and counts of what was scrubbed for one attempt (never the identifiers). */
export type PhiScrubListener = (event: { target: ProviderTarget; counts: Partial<Record<PhiKind, number>> }) => void;

export function phiGuardedClient(client: ProviderClient, target: ProviderTarget, policy: PhiPolicy, onScrub?: PhiScrubListener): ProviderClient {
  if (policy === 'allow' || insideBaaBoundary(target)) return client;
  return policy === 'scrub' ? new ScrubbingClient(client, target, onScrub) : new BlockingClient(client);
}

class ScrubbingClient implements ProviderClient {
  constructor(
    private readonly inner: ProviderClient,
    private readonly target: ProviderTarget,
    private readonly onScrub?: PhiScrubListener,
  ) {}

  get provider() {
    return this.inner.provider;
  }
  get model() {
    return this.inner.model;
  }

  async complete(request: ModelRequest, options: ProviderCallOptions): Promise<ModelResponse> {
    const scrubbed = this.scrub(request);
    const response = await this.inner.complete(scrubbed.request, options);
    return { ...response, text: scrubbed.restore(response.text, request.responseFormat) };
  }

  async *stream(request: ModelRequest, options: ProviderCallOptions): AsyncIterable<ModelStreamEvent> {
    const scrubbed = this.scrub(request);
    const restorer = scrubbed.streamRestorer();
    for await (const event of this.inner.stream(scrubbed.request, options)) {
      if (event.type === 'delta') {
        const text = restorer.push(event.text);
        if (text !== '') yield { type: 'delta', text };
        continue;
      }
      const rest = restorer.flush();
      if (rest !== '') yield { type: 'delta', text: rest };
      yield event;
    }
  }

  private scrub(request: ModelRequest) {
    const scrubbed = scrubModelRequest(request);
    if (Object.keys(scrubbed.counts).length > 0) {
      try {
        this.onScrub?.({ target: this.target, counts: scrubbed.counts });
      } catch {
        // Logging and metrics must not fail the model call.
      }
    }
    return scrubbed;
  }
}

class BlockingClient implements ProviderClient {
  constructor(private readonly inner: ProviderClient) {}

  get provider() {
    return this.inner.provider;
  }
  get model() {
    return this.inner.model;
  }

  async complete(request: ModelRequest, options: ProviderCallOptions): Promise<ModelResponse> {
    this.check(request);
    return this.inner.complete(request, options);
  }

  async *stream(request: ModelRequest, options: ProviderCallOptions): AsyncIterable<ModelStreamEvent> {
    this.check(request);
    yield* this.inner.stream(request, options);
  }

  private check(request: ModelRequest): void {
    const kinds = detectPhiInRequest(request);
    if (kinds.length > 0) {
      throw new ProviderCallError('rejected', this.inner.provider, this.inner.model, `${this.inner.provider} ${this.inner.model}: not sent, the request holds patient identifiers (${kinds.join(', ')}) and the task's PHI policy is block`);
    }
  }
}
