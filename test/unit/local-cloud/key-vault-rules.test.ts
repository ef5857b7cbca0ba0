import { describe, expect, it } from 'vitest';
import {
  apiVersionRefusal,
  MAX_SECRET_VALUE_BYTES,
  secretValueRefusal,
} from '../../../local-cloud/azure/key-vault-rules';

describe("secretValueRefusal (Key Vault's 25 KB limit on a secret value)", () => {
  it('accepts a value of exactly 25 KB, and an empty one', () => {
    expect(MAX_SECRET_VALUE_BYTES).toBe(25_600);
    expect(secretValueRefusal('big', 'x'.repeat(25_600))).toBeUndefined();
    expect(secretValueRefusal('empty', '')).toBeUndefined();
  });

  it('fails when the value is one byte over 25 KB, with BadParameter and its size, never the value', () => {
    const refusal = secretValueRefusal('big', 'y'.repeat(25_601));

    expect(refusal).toEqual({
      status: 400,
      code: 'BadParameter',
      message:
        "The value of secret 'big' is 25601 bytes; a secret value may be at most 25600 bytes (25 KB).",
    });
    expect(refusal?.message).not.toContain('yyy');
  });

  it('fails when the value is under 25 600 characters but over 25 KB in UTF-8', () => {
    // 12 801 two-byte characters: 25 602 bytes.
    expect(secretValueRefusal('accents', 'é'.repeat(12_801))?.message).toContain('is 25602 bytes');
  });
});

describe('apiVersionRefusal', () => {
  it('accepts the versions of the Key Vault secrets API', () => {
    for (const version of ['2016-10-01', '7.0', '7.5', '7.6', '2025-07-01']) {
      expect(apiVersionRefusal(version)).toBeUndefined();
    }
  });

  it("fails when the version is missing or unknown, in Key Vault's words", () => {
    expect(apiVersionRefusal(null)).toEqual({
      status: 400,
      code: 'BadParameter',
      message: 'The request URI contains an invalid api-version parameter.',
    });
    expect(apiVersionRefusal('2026-01-01')).toEqual({
      status: 400,
      code: 'BadParameter',
      message:
        'The specified version (2026-01-01) is not recognized. Consider using the latest supported version (2025-07-01).',
    });
  });
});
