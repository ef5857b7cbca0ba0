import type { TokenCredential } from '@azure/core-auth';
import {
  ChainedTokenCredential,
  DefaultAzureCredential,
  WorkloadIdentityCredential,
} from '@azure/identity';
import { ClientAssertionCredential } from './client-assertion-credential';
import type { CredentialSettings } from './settings';

/**
 * Builds the credential for `CREDENTIAL_MODE`: the one place that chooses how the program authenticates.
 *
 * `default` is the lab's sample and reads its own `AZURE_*` variables; the other modes get the
 * webhook's values as checked by `readSettings`.
 * @see https://learn.microsoft.com/azure/aks/workload-identity-overview
 */
export function createCredential(settings: CredentialSettings): TokenCredential {
  switch (settings.mode) {
    case 'default':
      return new DefaultAzureCredential();
    case 'chained':
      return new ChainedTokenCredential(new WorkloadIdentityCredential(settings.workloadIdentity));
    case 'workload-identity':
      return new WorkloadIdentityCredential(settings.workloadIdentity);
    case 'client-assertion':
      return new ClientAssertionCredential(settings.workloadIdentity);
  }
}
