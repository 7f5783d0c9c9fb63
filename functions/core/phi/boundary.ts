/**
 * Which providers sit inside the business-associate (BAA) boundary. Inside: Amazon Bedrock (covered
 * by the AWS BAA) and a self-hosted model server on a loopback or private address (it runs in our
 * own network). Outside: OpenAI, Anthropic and an openai-compatible server on a public address.
 *
 * The decision reads the catalog's target (its `baseUrl`), never a local override: the laptop
 * points every provider at the simulator on 127.0.0.1, and that must not move OpenAI inside.
 */
import { endpointReach } from '../model-endpoint';

/** The parts of a provider target the decision needs; `provider` is a string so new kinds compile. */
export interface BoundaryTarget {
  readonly provider: string;
  readonly baseUrl?: string;
}

export function insideBaaBoundary(target: BoundaryTarget): boolean {
  if (target.provider === 'bedrock') return true;
  if (target.provider !== 'openai-compatible' || target.baseUrl === undefined) return false;
  const reach = endpointReach(target.baseUrl);
  return reach === 'loopback' || reach === 'private';
}
