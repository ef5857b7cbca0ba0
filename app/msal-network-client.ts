import {
  createDefaultHttpClient,
  createHttpHeaders,
  createPipelineFromOptions,
  createPipelineRequest,
  type HttpClient,
  type HttpMethods,
  type Pipeline,
  type PipelineResponse,
} from '@azure/core-rest-pipeline';
import {
  AuthError,
  type INetworkModule,
  type NetworkRequestOptions,
  type NetworkResponse,
} from '@azure/msal-node';
import { redirectHost } from './bounded-http-client';

/**
 * MSAL's network module on the Azure SDK's HTTP pipeline.
 *
 * MSAL's own client uses `fetch`, which ignores `HTTPS_PROXY` on Node 20; the pipeline's proxy
 * policy honours it, so token requests take the same route as the Key Vault requests, and they
 * get the same retries on 429/5xx with `Retry-After`.
 */
export class PipelineNetworkClient implements INetworkModule {
  // No redirects: the POST carries the client assertion, and Entra never redirects its token endpoint.
  private readonly pipeline: Pipeline = createPipelineFromOptions({
    redirectOptions: { maxRetries: 0 },
  });

  /** Sends through `httpClient`; tests pass a fake one. */
  constructor(private readonly httpClient: HttpClient = createDefaultHttpClient()) {}

  /** Sends a GET, as MSAL does for metadata it does not already know. */
  sendGetRequestAsync<T>(
    url: string,
    options?: NetworkRequestOptions,
    timeout?: number,
  ): Promise<NetworkResponse<T>> {
    return this.send<T>('GET', url, options, timeout);
  }

  /** Sends a POST, as MSAL does to the token endpoint. */
  sendPostRequestAsync<T>(
    url: string,
    options?: NetworkRequestOptions,
  ): Promise<NetworkResponse<T>> {
    return this.send<T>('POST', url, options);
  }

  private async send<T>(
    method: HttpMethods,
    url: string,
    options?: NetworkRequestOptions,
    timeout = 0,
  ): Promise<NetworkResponse<T>> {
    const request = createPipelineRequest({
      url,
      method,
      headers: createHttpHeaders(options?.headers),
      body: options?.body,
      timeout,
    });
    let response: PipelineResponse;
    try {
      response = await this.pipeline.sendRequest(this.httpClient, request);
    } catch (err) {
      // MSAL replaces any error that is not its own by a bare "network_error": keep the cause (proxy, DNS, TLS).
      throw new AuthError(
        'network_error',
        options?.correlationId ?? '',
        `${method} ${new URL(url).origin} failed: ${(err as Error).message}`,
      );
    }
    if (response.status >= 300 && response.status < 400) {
      throw new AuthError(
        'invalid_response',
        options?.correlationId ?? '',
        `${method} ${new URL(url).origin} answered ${response.status} redirecting to ${redirectHost(response.headers.get('location'), url)}, not followed`,
      );
    }
    let body: T;
    try {
      // MSAL reads the error body too (AADSTS codes), so every status is returned, not thrown.
      body = JSON.parse(response.bodyAsText ?? '') as T;
    } catch {
      // Entra always answers JSON; anything else (a proxy refusing the tunnel, an HTML error page)
      // would otherwise surface as MSAL's bare "network_error".
      throw new AuthError(
        'invalid_response',
        options?.correlationId ?? '',
        `${method} ${new URL(url).origin} answered ${response.status} without a JSON body`,
      );
    }
    return { status: response.status, headers: response.headers.toJSON(), body };
  }
}
