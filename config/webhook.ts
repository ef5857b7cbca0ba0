/**
 * The names the Azure Workload Identity webhook reads: the contract between the manifests we write and the webhook.
 *
 * @see https://azure.github.io/azure-workload-identity/docs/topics/service-account-labels-and-annotations.html
 */

/** Pod label the webhook selects on; a label on the service account is ignored. */
export const USE_WORKLOAD_IDENTITY_LABEL = 'azure.workload.identity/use';
/** Service account annotation: the identity's client id (`AZURE_CLIENT_ID`). */
export const CLIENT_ID_ANNOTATION = 'azure.workload.identity/client-id';
/** Service account annotation: the tenant the workload asks for tokens (`AZURE_TENANT_ID`). */
export const TENANT_ID_ANNOTATION = 'azure.workload.identity/tenant-id';
/** Pod or service account annotation: lifetime of the projected token, 3600..86400 seconds. */
export const TOKEN_EXPIRATION_ANNOTATION =
  'azure.workload.identity/service-account-token-expiration';
/** Pod annotation: containers (separated by `;`) the webhook leaves alone. */
export const SKIP_CONTAINERS_ANNOTATION = 'azure.workload.identity/skip-containers';
/** Pod annotation: inject the webhook's token proxy sidecar (for programs on old SDKs); Linux only. */
export const INJECT_PROXY_SIDECAR_ANNOTATION = 'azure.workload.identity/inject-proxy-sidecar';
/** The audience Entra expects in a federated service-account token. */
export const TOKEN_AUDIENCE = 'api://AzureADTokenExchange';
