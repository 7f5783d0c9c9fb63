/**
 * Where a model server lives, judged from its URL alone (no DNS): on this machine (loopback), on a
 * private network (RFC 1918, RFC 4193, link-local, or a name that only private DNS resolves), or
 * on the public internet. The stack uses it to decide which functions need a VPC and whether a
 * plain-http target is acceptable; nothing here resolves a name.
 */

export type EndpointReach = 'loopback' | 'private' | 'public';

/** Host names that only resolve inside a network of one's own (RFC 6761/6762, AWS private zones). */
const PRIVATE_NAME_SUFFIXES = ['.internal', '.local', '.lan', '.home.arpa', '.intranet', '.corp', '.private'];

/** The reach of `url`'s host; `undefined` when the URL does not parse. */
export function endpointReach(url: string): EndpointReach | undefined {
  let host: string;
  try {
    host = new URL(url).hostname.toLowerCase();
  } catch {
    return undefined;
  }
  if (host.startsWith('[') && host.endsWith(']')) host = host.slice(1, -1);
  if (host === 'localhost' || host.endsWith('.localhost') || host === '::1' || /^127(\.\d{1,3}){3}$/.test(host)) return 'loopback';
  const v4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(host);
  if (v4) {
    const [a, b] = [Number(v4[1]), Number(v4[2])];
    if (a === 10 || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168) || (a === 169 && b === 254) || (a === 100 && b >= 64 && b <= 127)) return 'private';
    return 'public';
  }
  if (host.includes(':')) return /^f[cd]/.test(host) || /^fe[89ab]/.test(host) ? 'private' : 'public';
  if (!host.includes('.') || PRIVATE_NAME_SUFFIXES.some((suffix) => host.endsWith(suffix))) return 'private';
  return 'public';
}

/** The host as an IPv4 literal, or undefined for a name or an IPv6 address. */
export function ipv4HostOf(url: string): string | undefined {
  const host = new URL(url).hostname;
  return /^\d{1,3}(\.\d{1,3}){3}$/.test(host) ? host : undefined;
}

/** The TCP port a URL connects to (its explicit port, else the scheme's default). */
export function portOf(url: string): number {
  const parsed = new URL(url);
  if (parsed.port) return Number(parsed.port);
  return parsed.protocol === 'https:' ? 443 : 80;
}
