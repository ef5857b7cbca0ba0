/**
 * Microsoft Entra ID's v2 token endpoint, for the one flow workload identity uses:
 * client credentials with a federated client assertion (the pod's service account token).
 *
 * @see https://learn.microsoft.com/entra/identity-platform/v2-oauth2-client-creds-grant-flow#third-case-access-token-request-with-a-federated-credential
 * @see https://learn.microsoft.com/entra/workload-id/workload-identity-federation
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { CryptoKey, JSONWebKeySet, JWTPayload } from 'jose';
import {
  calculateJwkThumbprint,
  createLocalJWKSet,
  decodeJwt,
  exportJWK,
  generateKeyPair,
  jwtVerify,
  SignJWT,
} from 'jose';
import type { Faults } from '../core/faults';
import { delay, readBody, sendJson } from '../core/http';
import type { CloudFederatedCredential, CloudIdentity, CloudModel } from '../core/model';
import type { LocalCloudStats } from '../core/stats';
import type { OidcIssuer } from './issuer';

/** Entra's host in the public cloud. */
export const ENTRA_HOST = 'login.microsoftonline.com';
/** Resources the local Entra issues tokens for. */
export const KNOWN_RESOURCES: readonly string[] = [
  'https://vault.azure.net',
  'https://storage.azure.com',
];
/** Lifetime of issued access tokens, in seconds. */
export const ACCESS_TOKEN_LIFETIME_SECONDS = 3599;

const ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
// Entra allows this much clock skew on a client assertion.
const CLOCK_SKEW_SECONDS = 300;
const OIDC_SCOPES = new Set(['openid', 'profile', 'offline_access']);

/** Finds the OIDC issuer served at an issuer URL, as Entra would by fetching its discovery document. */
export type IssuerResolver = (issuerUrl: string) => OidcIssuer | undefined;

/** An OAuth error as Entra words it: `AADSTS<code>: <message>`. */
class EntraError extends Error {
  constructor(
    readonly status: 400 | 401,
    readonly error: string,
    readonly code: number,
    message: string,
  ) {
    super(`AADSTS${code}: ${message}`);
  }
}

/** The local Entra: checks federated assertions against the model and issues access tokens signed with its own key. */
export class Entra {
  /**
   * Make the local Entra for `model`.
   *
   * `resolveIssuer` stands for fetching an issuer's discovery document and keys: it returns the issuer served at a URL.
   */
  static async create(
    model: CloudModel,
    resolveIssuer: IssuerResolver,
    faults: Faults,
    stats: LocalCloudStats,
  ): Promise<Entra> {
    const { privateKey, publicKey } = await generateKeyPair('RS256', { modulusLength: 2048 });
    const jwk = await exportJWK(publicKey);
    const kid = await calculateJwkThumbprint(jwk);
    return new Entra(model, resolveIssuer, faults, stats, privateKey, {
      keys: [{ ...jwk, use: 'sig', alg: 'RS256', kid }],
    });
  }

  private constructor(
    private readonly model: CloudModel,
    private readonly resolveIssuer: IssuerResolver,
    private readonly faults: Faults,
    private readonly stats: LocalCloudStats,
    private readonly privateKey: CryptoKey,
    /** Public keys that verify the access tokens this Entra issues. */
    readonly jwks: JSONWebKeySet,
  ) {}

  // Read from the model on each request: a later deploy may add tenants.
  private get tenants(): ReadonlySet<string> {
    return new Set([
      this.model.tenantId,
      ...this.model.identities.map((i) => i.tenantId),
      ...this.model.keyVaults.map((v) => v.tenantId),
    ]);
  }

  /** Serve `login.microsoftonline.com`. */
  async handle(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const [tenant, ...rest] = url.pathname.slice(1).split('/');
    const path = rest.join('/');
    if (req.method === 'POST' && path === 'oauth2/v2.0/token') {
      return this.token(req, res, tenant);
    }
    if (req.method === 'GET' && path === 'v2.0/.well-known/openid-configuration') {
      return this.openidConfiguration(res, tenant);
    }
    if (req.method === 'GET' && path === 'discovery/instance') {
      return this.instanceDiscovery(res, url);
    }
    if (req.method === 'GET' && path === 'discovery/v2.0/keys') {
      return sendJson(res, 200, this.jwks);
    }
    sendJson(res, 404, {
      error: 'not_found',
      error_description: `the local Entra does not serve ${req.method} ${url.pathname}`,
    });
  }

  private async token(req: IncomingMessage, res: ServerResponse, tenant: string): Promise<void> {
    this.stats.tokenRequests += 1;
    const body = new URLSearchParams(await readBody(req));
    if (this.faults.tokenEndpointDelayInMs > 0) {
      await delay(this.faults.tokenEndpointDelayInMs);
    }
    const status = this.faults.takeTokenEndpointError();
    if (status !== undefined) {
      this.stats.faultsInjected.tokenEndpointErrors += 1;
      return sendError(
        res,
        status,
        'temporarily_unavailable',
        90033,
        'A transient error has occurred. Please try again.',
      );
    }
    try {
      const { identity, resource } = await this.check(tenant, body);
      const accessToken = await this.issueAccessToken(tenant, identity, resource);
      this.stats.tokensIssued += 1;
      sendJson(res, 200, {
        token_type: 'Bearer',
        expires_in: ACCESS_TOKEN_LIFETIME_SECONDS,
        ext_expires_in: ACCESS_TOKEN_LIFETIME_SECONDS,
        access_token: accessToken,
      });
    } catch (err) {
      if (!(err instanceof EntraError)) {
        throw err;
      }
      this.stats.tokenErrors[`AADSTS${err.code}`] =
        (this.stats.tokenErrors[`AADSTS${err.code}`] ?? 0) + 1;
      sendError(res, err.status, err.error, err.code, err.message.replace(/^AADSTS\d+: /, ''));
    }
  }

  // The order follows Entra: request shape, then the application, then the assertion. Entra looks up a federated
  // credential by the assertion's claims before it fetches that issuer's keys: it never contacts an issuer nobody trusts.
  private async check(
    tenant: string,
    body: URLSearchParams,
  ): Promise<{ identity: CloudIdentity; resource: string }> {
    if (!this.tenants.has(tenant)) {
      throw new EntraError(
        400,
        'invalid_request',
        90002,
        `Tenant '${tenant}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud. ` +
          'Check with your subscription administrator, this may happen if there are no active subscriptions for the tenant.',
      );
    }
    const grantType = required(body, 'grant_type');
    if (grantType !== 'client_credentials') {
      throw new EntraError(
        400,
        'unsupported_grant_type',
        70003,
        `The app requested an unsupported grant type '${grantType}'.`,
      );
    }
    const clientId = required(body, 'client_id');
    const identity = this.model.identities.find(
      (i) => i.clientId === clientId && i.tenantId === tenant,
    );
    if (!identity) {
      throw new EntraError(
        400,
        'unauthorized_client',
        700016,
        `Application with identifier '${clientId}' was not found in the directory '${tenant}'. This can happen if the application ` +
          'has not been installed by the administrator of the tenant or consented to by any user in the tenant. ' +
          'You may have sent your authentication request to the wrong tenant.',
      );
    }
    const resource = this.resourceOf(tenant, required(body, 'scope'));
    const assertion = body.get('client_assertion');
    if (body.get('client_assertion_type') !== ASSERTION_TYPE || !assertion) {
      throw new EntraError(
        401,
        'invalid_client',
        7000218,
        "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.",
      );
    }
    await this.checkAssertion(clientId, assertion);
    return { identity, resource };
  }

  // Client credentials take exactly one `<resource>/.default` scope; MSAL may add the OIDC scopes, which do not count.
  private resourceOf(tenant: string, scope: string): string {
    const scopes = scope.split(' ').filter((s) => s && !OIDC_SCOPES.has(s));
    if (scopes.length !== 1 || !scopes[0].endsWith('/.default')) {
      throw new EntraError(
        400,
        'invalid_scope',
        70011,
        `The provided value for the input parameter 'scope' is not valid. The scope ${scope} is not valid.`,
      );
    }
    const resource = scopes[0].slice(0, -'/.default'.length).replace(/\/$/, '');
    if (!KNOWN_RESOURCES.includes(resource)) {
      throw new EntraError(
        400,
        'invalid_resource',
        500011,
        `The resource principal named ${resource} was not found in the tenant named ${tenant}. This can happen if the application ` +
          'has not been installed by the administrator of the tenant or consented to by any user in the tenant. ' +
          'You might have sent your authentication request to the wrong tenant.',
      );
    }
    return resource;
  }

  private async checkAssertion(clientId: string, assertion: string): Promise<void> {
    let claims: JWTPayload;
    try {
      claims = decodeJwt(assertion);
    } catch {
      throw new EntraError(401, 'invalid_client', 50027, 'JWT token is invalid or malformed.');
    }
    const audiences = typeof claims.aud === 'string' ? [claims.aud] : (claims.aud ?? []);
    const match = this.matchingCredential(clientId, claims.iss ?? '', claims.sub ?? '', audiences);
    const issuer = this.resolveIssuer(match.issuer);
    if (!issuer) {
      throw new EntraError(
        400,
        'invalid_request',
        90061,
        `Request to External OIDC endpoint failed. Issuer: '${match.issuer}'.`,
      );
    }
    try {
      // An assertion without `exp` has no valid time range: Entra reads the missing claim as 0 (1970), as it does a missing nbf.
      await jwtVerify(assertion, createLocalJWKSet(issuer.jwks), {
        algorithms: ['RS256'],
        clockTolerance: CLOCK_SKEW_SECONDS,
        requiredClaims: ['exp'],
      });
    } catch (err) {
      const { code, claim } = err as { code?: string; claim?: string };
      if (
        code === 'ERR_JWT_EXPIRED' ||
        (code === 'ERR_JWT_CLAIM_VALIDATION_FAILED' && (claim === 'nbf' || claim === 'exp'))
      ) {
        throw new EntraError(
          401,
          'invalid_client',
          700024,
          `Client assertion is not within its valid time range. Current time: ${entraTime(Date.now() / 1000)}, ` +
            `assertion valid from ${entraTime(claims.nbf ?? claims.iat ?? 0)}, expiry time of assertion ${entraTime(claims.exp ?? 0)}. ` +
            'Review the documentation at https://docs.microsoft.com/azure/active-directory/develop/active-directory-certificate-credentials .',
        );
      }
      throw new EntraError(
        401,
        'invalid_client',
        700027,
        'Client assertion failed signature validation.',
      );
    }
  }

  // Entra finds the credentials by issuer, then by subject, then checks the audience, comparing exact strings (a
  // missing trailing '/' on the issuer is the classic mismatch), and names the first claim that matched nothing.
  private matchingCredential(
    clientId: string,
    issuer: string,
    subject: string,
    audiences: readonly string[],
  ): CloudFederatedCredential {
    const byIssuer = this.model.federatedCredentials.filter(
      (c) => c.clientId === clientId && c.issuer === issuer,
    );
    if (byIssuer.length === 0) {
      throw noMatchingCredential(700211, 'issuer', issuer);
    }
    const bySubject = byIssuer.filter((c) => c.subject === subject);
    if (bySubject.length === 0) {
      throw noMatchingCredential(700213, 'subject', subject);
    }
    const match = bySubject.find((c) => audiences.some((a) => c.audiences.includes(a)));
    if (!match) {
      throw noMatchingCredential(700212, 'audience', audiences.join(','));
    }
    return match;
  }

  private async issueAccessToken(
    tenant: string,
    identity: CloudIdentity,
    resource: string,
  ): Promise<string> {
    const now = Math.floor(Date.now() / 1000);
    const issuer = `https://sts.windows.net/${tenant}/`;
    return new SignJWT({
      appid: identity.clientId,
      appidacr: '2',
      idp: issuer,
      idtyp: 'app',
      oid: identity.principalId,
      tid: tenant,
      uti: randomUUID(),
      ver: '1.0',
    })
      .setProtectedHeader({ alg: 'RS256', typ: 'JWT', kid: this.jwks.keys[0].kid })
      .setIssuer(issuer)
      .setSubject(identity.principalId)
      .setAudience(resource)
      .setIssuedAt(now)
      .setNotBefore(now)
      .setExpirationTime(now + ACCESS_TOKEN_LIFETIME_SECONDS)
      .sign(this.privateKey);
  }

  private openidConfiguration(res: ServerResponse, tenant: string): void {
    if (!this.tenants.has(tenant) && tenant !== 'common' && tenant !== 'organizations') {
      sendError(res, 400, 'invalid_tenant', 90002, `Tenant '${tenant}' not found.`);
      return;
    }
    const base = `https://${ENTRA_HOST}/${tenant}`;
    sendJson(res, 200, {
      token_endpoint: `${base}/oauth2/v2.0/token`,
      token_endpoint_auth_methods_supported: [
        'client_secret_post',
        'private_key_jwt',
        'client_secret_basic',
      ],
      jwks_uri: `${base}/discovery/v2.0/keys`,
      response_modes_supported: ['query', 'fragment', 'form_post'],
      subject_types_supported: ['pairwise'],
      id_token_signing_alg_values_supported: ['RS256'],
      response_types_supported: ['code', 'id_token', 'code id_token', 'id_token token'],
      scopes_supported: ['openid', 'profile', 'email', 'offline_access'],
      issuer: `https://${ENTRA_HOST}/${this.tenants.has(tenant) ? tenant : '{tenantid}'}/v2.0`,
      request_uri_parameter_supported: false,
      authorization_endpoint: `${base}/oauth2/v2.0/authorize`,
      device_authorization_endpoint: `${base}/oauth2/v2.0/devicecode`,
      end_session_endpoint: `${base}/oauth2/v2.0/logout`,
      http_logout_supported: true,
      frontchannel_logout_supported: true,
      cloud_instance_name: 'microsoftonline.com',
      cloud_graph_host_name: 'graph.windows.net',
      msgraph_host: 'graph.microsoft.com',
    });
  }

  // MSAL knows the public cloud's aliases already; this answers in case a client asks anyway.
  private instanceDiscovery(res: ServerResponse, url: URL): void {
    const authorize =
      url.searchParams.get('authorization_endpoint') ??
      `https://${ENTRA_HOST}/common/oauth2/v2.0/authorize`;
    const tenant = new URL(authorize).pathname.split('/')[1] || 'common';
    sendJson(res, 200, {
      tenant_discovery_endpoint: `https://${ENTRA_HOST}/${tenant}/v2.0/.well-known/openid-configuration`,
      'api-version': '1.1',
      metadata: [
        {
          preferred_network: ENTRA_HOST,
          preferred_cache: 'login.windows.net',
          aliases: [ENTRA_HOST, 'login.windows.net', 'login.microsoft.com', 'sts.windows.net'],
        },
      ],
    });
  }
}

// Entra's current answer to a federated credential mismatch; it used to be AADSTS70021 for all three.
function noMatchingCredential(
  code: 700211 | 700212 | 700213,
  claim: 'issuer' | 'audience' | 'subject',
  value: string,
): EntraError {
  return new EntraError(
    401,
    'invalid_client',
    code,
    `No matching federated identity record found for presented assertion ${claim} '${value}'. ` +
      'Check the issuer, subject and audience of the federated identity credentials against the assertion: they must match exactly. ' +
      'https://learn.microsoft.com/entra/workload-id/workload-identity-federation',
  );
}

function required(body: URLSearchParams, name: string): string {
  const value = body.get(name);
  if (!value) {
    throw new EntraError(
      400,
      'invalid_request',
      900144,
      `The request body must contain the following parameter: '${name}'.`,
    );
  }
  return value;
}

// Entra's error body: the description ends with trace and correlation ids, as support asks for them.
function sendError(
  res: ServerResponse,
  status: number,
  error: string,
  code: number,
  message: string,
): void {
  const traceId = randomUUID();
  const correlationId = randomUUID();
  const timestamp = new Date()
    .toISOString()
    .replace('T', ' ')
    .replace(/\.\d+Z$/, 'Z');
  sendJson(
    res,
    status,
    {
      error,
      error_description: `AADSTS${code}: ${message}\r\nTrace ID: ${traceId}\r\nCorrelation ID: ${correlationId}\r\nTimestamp: ${timestamp}`,
      error_codes: [code],
      timestamp,
      trace_id: traceId,
      correlation_id: correlationId,
      error_uri: `https://${ENTRA_HOST}/error?code=${code}`,
    },
    { 'x-ms-request-id': traceId },
  );
}

// Entra prints times with seven fractional digits.
function entraTime(epochSeconds: number): string {
  return new Date(epochSeconds * 1000).toISOString().replace(/\.(\d{3})Z$/, '.$10000Z');
}
