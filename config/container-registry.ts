import { createHash } from 'node:crypto';
import type { NameRule } from './rules';

/**
 * Names of an Azure Container Registry: like a vault's, global (`<name>.azurecr.io`), so generated per subscription
 * and resource group when the config names none.
 * @see https://learn.microsoft.com/azure/container-registry/container-registry-get-started-portal#create-a-container-registry
 */

/** A registry name: 5-50 letters and digits. */
export const containerRegistryName: NameRule = {
  test: (v) => /^[a-zA-Z0-9]{5,50}$/.test(v),
  description: 'a container registry name: 5-50 letters and digits',
};

/** First characters of a generated registry name. */
export const GENERATED_REGISTRY_NAME_PREFIX = 'wiacr';
/** Hex digits of the SHA-1 in a generated name: 64 bits, 21 characters in all. */
export const GENERATED_REGISTRY_NAME_HASH_LENGTH = 16;

/** The name Terraform gives a registry of this subscription and resource group when the config names none. */
export function generatedRegistryName(subscriptionId: string, resourceGroupName: string): string {
  const hash = createHash('sha1')
    .update(`${subscriptionId}/${resourceGroupName}`.toLowerCase())
    .digest('hex');
  return `${GENERATED_REGISTRY_NAME_PREFIX}${hash.slice(0, GENERATED_REGISTRY_NAME_HASH_LENGTH)}`;
}
