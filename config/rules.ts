/**
 * Azure and Kubernetes naming rules, each with the words an error message uses.
 *
 * @see https://learn.microsoft.com/azure/azure-resource-manager/management/resource-name-rules
 * @see https://kubernetes.io/docs/concepts/overview/working-with-objects/names/
 */

/** One naming rule: a test and the sentence that explains it. */
export interface NameRule {
  readonly test: (value: string) => boolean;
  readonly description: string;
}

const matches = (re: RegExp, min: number, max: number) => (value: string) =>
  value.length >= min && value.length <= max && re.test(value);

/** Microsoft Entra accepts at most this many federated identity credentials on one identity. */
export const MAX_FEDERATED_CREDENTIALS_PER_IDENTITY = 20;

/** A GUID as Entra and Azure write tenant, client and subscription ids (any case). */
export const GUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Tenant, client or subscription id. */
export const guid: NameRule = {
  test: (v) => GUID_PATTERN.test(v),
  description: 'a GUID such as "72f988bf-86f1-41af-91ab-2d7cd011db47"',
};

/** The lifetime of a projected service-account token that the workload identity webhook accepts, in seconds. */
export const TOKEN_EXPIRATION_SECONDS = { min: 3600, max: 86400 } as const;

/** A token lifetime the webhook accepts: a whole number of seconds in `TOKEN_EXPIRATION_SECONDS`. */
export const tokenExpirationSeconds = {
  test: (seconds: number): boolean =>
    Number.isInteger(seconds) &&
    seconds >= TOKEN_EXPIRATION_SECONDS.min &&
    seconds <= TOKEN_EXPIRATION_SECONDS.max,
  description: `a whole number of seconds from ${TOKEN_EXPIRATION_SECONDS.min} to ${TOKEN_EXPIRATION_SECONDS.max} (the webhook refuses others)`,
} as const;

/** Kubernetes DNS-1123 label: namespaces, and workload names (they also become Terraform names). */
export const dns1123Label: NameRule = {
  test: matches(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, 1, 63),
  description:
    'a DNS-1123 label: 1-63 lowercase letters, digits and "-", starting and ending with a letter or digit',
};

/** Kubernetes DNS-1123 subdomain: service accounts and pods. */
export const dns1123Subdomain: NameRule = {
  test: matches(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/, 1, 253),
  description:
    'a DNS-1123 subdomain: at most 253 lowercase letters, digits, "-" and ".", starting and ending with a letter or digit',
};

/** Azure region name as the CLI prints it. */
export const azureLocation: NameRule = {
  test: matches(/^[a-z][a-z0-9]*$/, 2, 40),
  description: 'an Azure region name such as "westeurope": lowercase letters and digits',
};

/** Resource group name. */
export const resourceGroupName: NameRule = {
  test: (v) => matches(/^[-\w.()]+$/, 1, 90)(v) && !v.endsWith('.'),
  description:
    'a resource group name: 1-90 letters, digits, "_", "-", ".", "(" and ")", not ending with "."',
};

/**
 * The most characters AKS allows in a cluster's node resource group name: its own default,
 * `MC_<group>_<cluster>_<location>`, included. Longer is refused at create (InvalidParameter "The length of the node
 * resource group name is too long. The maximum length is 80 ..."), and azurerm does not check it before.
 * @see https://aka.ms/aks-naming-rules
 */
export const MAX_NODE_RESOURCE_GROUP_LENGTH = 80;

/** The name AKS gives the node resource group when none is set. */
export function defaultNodeResourceGroup(group: string, cluster: string, location: string): string {
  return `MC_${group}_${cluster}_${location}`;
}

/** A node resource group name: a resource group name of at most 80 characters (AKS's limit). */
export const aksNodeResourceGroup: NameRule = {
  test: (v) => resourceGroupName.test(v) && v.length <= MAX_NODE_RESOURCE_GROUP_LENGTH,
  description: `a resource group name of at most ${MAX_NODE_RESOURCE_GROUP_LENGTH} characters (AKS's limit): letters, digits, "_", "-", ".", "(" and ")", not ending with "."`,
};

/** AKS cluster name. */
export const aksClusterName: NameRule = {
  test: matches(/^[A-Za-z0-9]([-\w]*[A-Za-z0-9])?$/, 1, 63),
  description:
    'an AKS cluster name: 1-63 letters, digits, "_" and "-", starting and ending with a letter or digit',
};

/** Key Vault name (globally unique, part of the vault's DNS name). */
export const keyVaultName: NameRule = {
  test: (v) => matches(/^[A-Za-z][A-Za-z0-9-]*[A-Za-z0-9]$/, 3, 24)(v) && !v.includes('--'),
  description:
    'a Key Vault name: 3-24 letters, digits and "-", starting with a letter, ending with a letter or digit, no "--"',
};

/** Key Vault secret name. */
export const keyVaultSecretName: NameRule = {
  test: matches(/^[A-Za-z0-9-]+$/, 1, 127),
  description: 'a Key Vault secret name: 1-127 letters, digits and "-"',
};

/** User-assigned managed identity name. */
export const managedIdentityName: NameRule = {
  test: matches(/^[A-Za-z0-9][-\w]*$/, 3, 128),
  description:
    'a managed identity name: 3-128 letters, digits, "_" and "-", starting with a letter or digit',
};

/** Azure VM size of a node pool. */
export const vmSize: NameRule = {
  test: matches(/^Standard_[A-Za-z0-9_]+$/, 10, 64),
  description: 'an Azure VM size such as "Standard_D2s_v5"',
};

/** Container image reference. */
export const imageReference: NameRule = {
  test: matches(/^[a-z0-9]+([._/:@-][A-Za-z0-9]+)*$/, 1, 512),
  description:
    'a container image reference such as "myregistry.azurecr.io/app:1.0" (lowercase repository, no spaces)',
};

/**
 * Storage account name (globally unique, part of `<name>.blob.core.windows.net`).
 * @see hashicorp/terraform-provider-azurerm v4.55.0 internal/services/storage/validate/storage_account_name.go:14
 */
export const storageAccountName: NameRule = {
  test: matches(/^[a-z0-9]+$/, 3, 24),
  description: 'a storage account name: 3-24 lowercase letters and digits',
};

/**
 * Blob container name: Azure's rule, stricter than azurerm's own check (which lets `--` and a trailing `-` through).
 * @see https://learn.microsoft.com/rest/api/storageservices/naming-and-referencing-containers--blobs--and-metadata#container-names
 * @see hashicorp/terraform-provider-azurerm v4.55.0 internal/services/storage/validate/storage_container.go:18
 */
export const storageContainerName: NameRule = {
  test: (v) => matches(/^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/, 3, 63)(v) && !v.includes('--'),
  description:
    'a blob container name: 3-63 lowercase letters, digits and "-", starting and ending with a letter or digit, no "--"',
};

/**
 * The start of a blob name that holds Terraform state. Azure allows 1-1024 characters in a blob name and at most 254
 * path segments (Storage REST docs, "Naming and Referencing Containers, Blobs, and Metadata", read 2026-12-07); this
 * keeps to characters that need no URL escaping, and `/` only between segments (a virtual folder, as `prod/`). A
 * segment `.` or `..` is refused: a blob name travels in the URL's path, where an HTTP client removes dot segments
 * (RFC 3986, section 5.2.4), so `prod/../other/` would name a blob outside the prefix.
 * @see https://learn.microsoft.com/rest/api/storageservices/naming-and-referencing-containers--blobs--and-metadata#blob-names
 */
export const blobKeyPrefix: NameRule = {
  test: (v) =>
    v === '' ||
    (matches(/^([A-Za-z0-9_.-]+\/)*[A-Za-z0-9_.-]*$/, 1, 900)(v) &&
      // the stack's file name is one more segment
      v.split('/').length <= 254 &&
      !v.split('/').some((segment) => segment === '.' || segment === '..')),
  description:
    'a blob name prefix such as "prod/": letters, digits, "_", "-", "." and "/" between segments, no segment "." or "..", at most 253 segments and 900 characters, not starting with "/"',
};

/**
 * GitHub repository `owner/name`: an owner of 1-39 letters, digits and single hyphens, a name of 1-100 letters,
 * digits, "_", "-" and ".".
 * @see https://docs.github.com/en/repositories/creating-and-managing-repositories/creating-a-new-repository
 */
export const githubRepository: NameRule = {
  test: (v) =>
    matches(/^[A-Za-z0-9](-?[A-Za-z0-9])*\/[A-Za-z0-9_.-]+$/, 3, 140)(v) &&
    v.split('/')[0].length <= 39 &&
    v.split('/')[1].length <= 100 &&
    !['.', '..'].includes(v.split('/')[1]),
  description: 'a GitHub repository "owner/name" such as "contoso/platform"',
};

/**
 * GitHub Actions environment name, as it appears in the OIDC subject `repo:<owner>/<repo>:environment:<name>`:
 * 1-255 characters; `:` would make the subject ambiguous, and Entra compares subjects exactly.
 * @see https://docs.github.com/en/actions/reference/workflows-and-actions/deployments-and-environments
 */
export const githubEnvironment: NameRule = {
  test: matches(/^[A-Za-z0-9_.-]+$/, 1, 255),
  description: 'a GitHub environment name: 1-255 letters, digits, "_", "-" and "."',
};
