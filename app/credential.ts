import type { TokenCredential } from '@azure/core-auth';
import type { HttpClient } from '@azure/core-rest-pipeline';
import type { CredentialSettings } from './settings';

/**
 * Builds the credential for `CREDENTIAL_MODE`: the one place that chooses how the program authenticates.
 *
 * `default` is the lab's sample and reads its own `AZURE_*` variables; the other modes get the
 * webhook's values as checked by `readSettings`. Each mode loads only the package it needs:
 * `client-assertion` never loads `@azure/identity` (nor its browser, broker and CLI credentials),
 * which keeps the program's memory down. Token requests go through `httpClient`, as the vault's do
 * (bounded answers), and never follow a redirect: the request carries the client assertion.
 * @see https://learn.microsoft.com/azure/aks/workload-identity-overview
 */
export async function createCredential(
  settings: CredentialSettings,
  httpClient: HttpClient,
): Promise<TokenCredential> {
  if (settings.mode === 'client-assertion') {
    const { ClientAssertionCredential } = await import('./client-assertion-credential');
    return new ClientAssertionCredential({ ...settings.workloadIdentity, httpClient });
  }
  const identity = await import('@azure/identity');
  const pipeline = { httpClient, redirectOptions: { maxRetries: 0 } };
  switch (settings.mode) {
    case 'default':
      return new identity.DefaultAzureCredential(pipeline);
    case 'chained':
      return new identity.ChainedTokenCredential(
        new identity.WorkloadIdentityCredential({ ...settings.workloadIdentity, ...pipeline }),
      );
    case 'workload-identity':
      return new identity.WorkloadIdentityCredential({ ...settings.workloadIdentity, ...pipeline });
  }
}
