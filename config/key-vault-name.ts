import { createHash } from 'node:crypto';

/**
 * The Key Vault name used when the config names none.
 *
 * A vault name is a global DNS name, also while soft-deleted in someone else's subscription: a fixed default would
 * deploy for its first user only. The generated name hashes the subscription and the resource group, so it differs
 * between subscriptions and stays the same on every re-deploy of one config (which is what lets azurerm recover the
 * vault after a destroy). Terraform computes it at plan time (`KeyVault`); `generatedKeyVaultName` is its twin for
 * code that knows the subscription.
 * @see https://learn.microsoft.com/azure/key-vault/general/about-keys-secrets-certificates#vault-name-and-object-name
 */

/** First characters of a generated vault name: a letter, as Key Vault names must start with one. */
export const GENERATED_KEY_VAULT_NAME_PREFIX = 'wi-kv-';
/** Hex digits of the SHA-1 in a generated name: 64 bits, and 22 characters in all (at most 24 allowed). */
export const GENERATED_KEY_VAULT_NAME_HASH_LENGTH = 16;
/** What a generated vault name looks like. */
export const GENERATED_KEY_VAULT_NAME = new RegExp(
  `^${GENERATED_KEY_VAULT_NAME_PREFIX}[0-9a-f]{${GENERATED_KEY_VAULT_NAME_HASH_LENGTH}}$`,
);

/** What the hash covers: subscription ids and group names are case-insensitive in Azure, so lower case. */
export function generatedKeyVaultNameSeed(
  subscriptionId: string,
  resourceGroupName: string,
): string {
  return `${subscriptionId}/${resourceGroupName}`.toLowerCase();
}

/** The name Terraform gives a vault of this subscription and resource group when the config names none. */
export function generatedKeyVaultName(subscriptionId: string, resourceGroupName: string): string {
  const hash = createHash('sha1')
    .update(generatedKeyVaultNameSeed(subscriptionId, resourceGroupName))
    .digest('hex');
  return `${GENERATED_KEY_VAULT_NAME_PREFIX}${hash.slice(0, GENERATED_KEY_VAULT_NAME_HASH_LENGTH)}`;
}
