import type { TokenCredential } from '@azure/core-auth';
import type { CredentialSettings } from './settings';

/**
 * Builds the credential for `CREDENTIAL_MODE`: the one place that chooses how the program authenticates.
 *
 * `default` is the lab's sample and reads its own `AZURE_*` variables; the other modes get the
 * webhook's values as checked by `readSettings`. Each mode loads only the package it needs:
 * `client-assertion` never loads `@azure/identity` (nor its browser, broker and CLI credentials),
 * which keeps the program's memory down.
 * @see https://learn.microsoft.com/azure/aks/workload-identity-overview
 */
export async function createCredential(settings: CredentialSettings): Promise<TokenCredential> {
  if (settings.mode === 'client-assertion') {
    const { ClientAssertionCredential } = await import('./client-assertion-credential');
    return new ClientAssertionCredential(settings.workloadIdentity);
  }
  const identity = await import('@azure/identity');
  switch (settings.mode) {
    case 'default':
      return new identity.DefaultAzureCredential();
    case 'chained':
      return new identity.ChainedTokenCredential(
        new identity.WorkloadIdentityCredential(settings.workloadIdentity),
      );
    case 'workload-identity':
      return new identity.WorkloadIdentityCredential(settings.workloadIdentity);
  }
}
