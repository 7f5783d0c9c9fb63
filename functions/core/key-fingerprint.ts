/**
 * A provider key's public name. The raw key exists only in memory; logs, metrics, the ledger and
 * the usage report know a key by this hash prefix, which is enough to tell keys apart and far too
 * short to recover anything from.
 */
import { createHash } from 'node:crypto';

export const FINGERPRINT_PATTERN = /^k_[0-9a-f]{12}$/;

/** `k_` + the first 12 hex characters of SHA-256(apiKey). */
export function keyFingerprint(apiKey: string): string {
  return `k_${createHash('sha256').update(apiKey, 'utf8').digest('hex').slice(0, 12)}`;
}
