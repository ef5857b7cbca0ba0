/**
 * Key Vault's own rules, shared by every part of the local cloud that touches a vault: the data plane that serves
 * secrets and whatever writes them (the deploy stand-in, the Terraform provider's secret resource).
 *
 * A refusal is returned, not thrown, so each caller words it as its real counterpart does (a REST error body,
 * a Terraform diagnostic).
 *
 * @see https://learn.microsoft.com/azure/key-vault/general/service-limits
 * @see https://learn.microsoft.com/azure/key-vault/secrets/about-secrets
 */

/** Key Vault's limit on a secret's value: 25 KB, counted in bytes of its UTF-8 form. */
export const MAX_SECRET_VALUE_BYTES = 25 * 1024;

/** Data-plane api-versions Key Vault recognizes for secrets; the last one is what Key Vault names as the latest. */
export const KEY_VAULT_API_VERSIONS: readonly string[] = [
  '2015-06-01',
  '2016-10-01',
  '7.0',
  '7.1',
  '7.2',
  '7.3',
  '7.4',
  '7.5',
  '7.6',
  '2025-07-01',
];

/** Why Key Vault refuses a request: its HTTP status and its `error.code` and `error.message`. */
export interface KeyVaultRefusal {
  readonly status: 400;
  readonly code: 'BadParameter';
  readonly message: string;
}

/** Key Vault's answer to setting secret `name` to `value`: a refusal, or undefined when the value is accepted. */
export function secretValueRefusal(name: string, value: string): KeyVaultRefusal | undefined {
  const size = Buffer.byteLength(value, 'utf8');
  if (size <= MAX_SECRET_VALUE_BYTES) {
    return undefined;
  }
  // The value itself is never echoed: only its size.
  return {
    status: 400,
    code: 'BadParameter',
    message: `The value of secret '${name}' is ${size} bytes; a secret value may be at most ${MAX_SECRET_VALUE_BYTES} bytes (25 KB).`,
  };
}

/** Key Vault's answer to a request's `api-version`: a refusal, or undefined when the version is one it knows. */
export function apiVersionRefusal(apiVersion: string | null): KeyVaultRefusal | undefined {
  if (apiVersion === null || apiVersion === '') {
    return {
      status: 400,
      code: 'BadParameter',
      message: 'The request URI contains an invalid api-version parameter.',
    };
  }
  if (KEY_VAULT_API_VERSIONS.includes(apiVersion)) {
    return undefined;
  }
  // Key Vault's own wording; the echoed version is cut so that a hostile query cannot make the answer large.
  const shown = apiVersion.length > 40 ? `${apiVersion.slice(0, 40)}...` : apiVersion;
  return {
    status: 400,
    code: 'BadParameter',
    message: `The specified version (${shown}) is not recognized. Consider using the latest supported version (${KEY_VAULT_API_VERSIONS.at(-1)}).`,
  };
}
