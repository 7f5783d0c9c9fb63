import { createHash } from 'node:crypto';
import { FINGERPRINT_PATTERN, keyFingerprint } from '../../../functions/core/key-fingerprint';

describe('keyFingerprint', () => {
  it('is k_ plus the first 12 hex characters of SHA-256 of the key', () => {
    const key = 'sk-test-0123456789abcdef';
    const expected = 'k_' + createHash('sha256').update(key).digest('hex').slice(0, 12);
    expect(keyFingerprint(key)).toBe(expected);
    expect(keyFingerprint(key)).toMatch(FINGERPRINT_PATTERN);
  });

  it('tells keys apart and never contains the key', () => {
    const a = keyFingerprint('sk-aaaaaaaaaaaaaaaa');
    const b = keyFingerprint('sk-aaaaaaaaaaaaaaab');
    expect(a).not.toBe(b);
    expect(a).not.toContain('sk-');
    expect(keyFingerprint('sk-aaaaaaaaaaaaaaaa')).toBe(a);
  });
});
