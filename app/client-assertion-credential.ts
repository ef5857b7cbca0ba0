import type { AccessToken, GetTokenOptions, TokenCredential } from '@azure/core-auth';
import type { HttpClient } from '@azure/core-rest-pipeline';
import { createClientLogger, getLogLevel } from '@azure/logger';
import { ConfidentialClientApplication, LogLevel } from '@azure/msal-node';
import { FederatedTokenFile } from './federated-token-file';
import { PipelineNetworkClient } from './msal-network-client';

const logger = createClientLogger('workload-id-app');

/** Options of {@link ClientAssertionCredential}; the webhook injects each as an `AZURE_*` variable. */
export interface ClientAssertionCredentialOptions {
  /** `AZURE_TENANT_ID`. */
  readonly tenantId: string;
  /** `AZURE_CLIENT_ID`. */
  readonly clientId: string;
  /** `AZURE_FEDERATED_TOKEN_FILE`. */
  readonly tokenFilePath: string;
  /** `AZURE_AUTHORITY_HOST`, e.g. `https://login.microsoftonline.com/`. */
  readonly authorityHost: string;
  /**
   * Sends the token requests.
   * @default - the Azure SDK's default client, behind a pipeline that honours HTTPS_PROXY
   */
  readonly httpClient?: HttpClient;
}

/**
 * The lab's `MyClientAssertionCredential`: exchanges the pod's service-account token for an Entra token.
 *
 * Built on MSAL's confidential client with a client-assertion callback, so MSAL's token cache
 * answers repeated calls until the token nears expiry, and the token file is read only when
 * MSAL actually asks Entra for a token.
 * @see https://learn.microsoft.com/entra/workload-id/workload-identity-federation
 */
export class ClientAssertionCredential implements TokenCredential {
  private readonly app: ConfidentialClientApplication;
  private readonly tenantId: string;

  /** Creates the credential; nothing is read or sent before the first `getToken`. */
  constructor(options: ClientAssertionCredentialOptions) {
    const tokenFile = new FederatedTokenFile(options.tokenFilePath);
    const authorityHost = options.authorityHost.endsWith('/')
      ? options.authorityHost
      : `${options.authorityHost}/`;
    this.tenantId = options.tenantId;
    this.app = new ConfidentialClientApplication({
      auth: {
        clientId: options.clientId,
        authority: `${authorityHost}${options.tenantId}`,
        clientAssertion: () => tokenFile.read(),
        // The injected host is trusted: MSAL skips instance discovery for it. For the public and
        // sovereign clouds MSAL also has the endpoints built in, so the token POST is the only request.
        knownAuthorities: [new URL(authorityHost).host],
      },
      system: {
        networkClient: new PipelineNetworkClient(options.httpClient),
        loggerOptions: {
          // SDK logging stays controlled by AZURE_LOG_LEVEL, as for @azure/identity.
          logLevel: msalLogLevels[getLogLevel() ?? 'error'],
          piiLoggingEnabled: false,
          loggerCallback: (level, message) => logger[azureLogLevels[level] ?? 'verbose'](message),
        },
      },
    });
  }

  /** Returns an access token for `scopes`, from MSAL's cache while it is fresh. */
  async getToken(scopes: string | string[], options: GetTokenOptions = {}): Promise<AccessToken> {
    // Key Vault passes the tenant named in its challenge: a different one cannot work with this identity.
    if (options.tenantId && options.tenantId.toLowerCase() !== this.tenantId.toLowerCase()) {
      throw new Error(
        `The vault asks for a token of tenant "${options.tenantId}", but AZURE_TENANT_ID is "${this.tenantId}"`,
      );
    }
    const result = await abortable(
      () =>
        this.app.acquireTokenByClientCredential({
          scopes: Array.isArray(scopes) ? scopes : [scopes],
          claims: options.claims,
        }),
      options.abortSignal,
    );
    if (!result) throw new Error('MSAL returned no token');
    return {
      token: result.accessToken,
      expiresOnTimestamp: result.expiresOn?.getTime() ?? Date.now(),
      refreshAfterTimestamp: result.refreshOn?.getTime(),
      tokenType: 'Bearer',
    };
  }
}

const msalLogLevels = {
  error: LogLevel.Error,
  warning: LogLevel.Warning,
  info: LogLevel.Info,
  verbose: LogLevel.Verbose,
} as const;
const azureLogLevels: Partial<Record<LogLevel, 'error' | 'warning' | 'info' | 'verbose'>> = {
  [LogLevel.Error]: 'error',
  [LogLevel.Warning]: 'warning',
  [LogLevel.Info]: 'info',
};

// MSAL takes no AbortSignal: stop waiting on abort so that SIGTERM ends the program promptly.
function abortable<T>(start: () => Promise<T>, signal: GetTokenOptions['abortSignal']): Promise<T> {
  if (!signal) return start();
  if (signal.aborted) return Promise.reject(abortError());
  const promise = start();
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(abortError());
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

function abortError(): Error {
  return Object.assign(new Error('The operation was aborted'), { name: 'AbortError' });
}
