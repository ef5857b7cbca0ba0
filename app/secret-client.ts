import type { TokenCredential } from '@azure/core-auth';
import type { HttpClient } from '@azure/core-rest-pipeline';
import { SecretClient } from '@azure/keyvault-secrets';
import { keepAliveProxyPolicy } from './keep-alive-proxy';

/**
 * The program's Key Vault client: answers read through `httpClient`, the tunnel through `HTTPS_PROXY` kept alive,
 * and no redirect followed.
 *
 * Key Vault never redirects. The SDK would follow a same-host redirect with the token (its signing policy runs again
 * for the new request), so a redirect is reported as an answer that is not a secret instead.
 */
export function createSecretClient(
  vaultUrl: string,
  credential: TokenCredential,
  httpClient: HttpClient,
): SecretClient {
  return new SecretClient(vaultUrl, credential, {
    httpClient,
    redirectOptions: { maxRetries: 0 },
    additionalPolicies: [{ policy: keepAliveProxyPolicy(), position: 'perRetry' }],
  });
}
