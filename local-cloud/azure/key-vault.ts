/**
 * Key Vault's secrets data plane, in RBAC mode: `GET /secrets/<name>[/<version>]`.
 *
 * @see https://learn.microsoft.com/rest/api/keyvault/secrets/get-secret/get-secret
 * @see https://learn.microsoft.com/azure/key-vault/general/rbac-guide
 */
import { randomBytes, randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { JSONWebKeySet, JWTPayload } from 'jose';
import { createLocalJWKSet, jwtVerify } from 'jose';
import type { Faults } from '../core/faults';
import { sendJson } from '../core/http';
import type { CloudKeyVault, CloudModel } from '../core/model';
import type { LocalCloudStats } from '../core/stats';
import { apiVersionRefusal } from './key-vault-rules';

/** The DNS suffix of Key Vault in the public cloud. */
export const KEY_VAULT_DNS_SUFFIX = '.vault.azure.net';
/** The resource Key Vault tokens are issued for, as its challenge names it. */
export const KEY_VAULT_RESOURCE = 'https://vault.azure.net';
/** The data action reading a secret's value needs. */
export const GET_SECRET_ACTION = 'Microsoft.KeyVault/vaults/secrets/getSecret/action';
/** Built-in roles whose data actions include {@link GET_SECRET_ACTION}. */
export const SECRET_READER_ROLES: readonly string[] = [
  'Key Vault Secrets User',
  'Key Vault Secrets Officer',
  'Key Vault Administrator',
];

/** A secret's current version, made up when the local cloud starts. */
interface SecretVersion {
  /** The name as stored: lookups ignore case, as Key Vault's do. */
  readonly name: string;
  readonly value: string;
  readonly version: string;
  readonly created: number;
}

/** The local Key Vault service: every vault of the model, told apart by host name. */
export class KeyVaultService {
  private readonly entraKeys: ReturnType<typeof createLocalJWKSet>;
  // Versions are made up once per value, so repeated reads of an unchanged secret see one version.
  private readonly versions = new Map<string, SecretVersion>();

  /** Serve `model`'s vaults (read again on each request), trusting access tokens signed with `entraJwks`. */
  constructor(
    private readonly model: CloudModel,
    entraJwks: JSONWebKeySet,
    private readonly faults: Faults,
    private readonly stats: LocalCloudStats,
  ) {
    this.entraKeys = createLocalJWKSet(entraJwks);
  }

  /** Host names served, one per vault. */
  get hosts(): string[] {
    return this.model.keyVaults.map((vault) =>
      `${vault.name}${KEY_VAULT_DNS_SUFFIX}`.toLowerCase(),
    );
  }

  private entry(
    host: string,
  ): { vault: CloudKeyVault; secrets: ReadonlyMap<string, SecretVersion> } | undefined {
    const vault = this.model.keyVaults.find(
      (v) => `${v.name}${KEY_VAULT_DNS_SUFFIX}`.toLowerCase() === host,
    );
    if (!vault) return undefined;
    const secrets = new Map<string, SecretVersion>();
    for (const [name, value] of vault.secrets) {
      const key = `${vault.id}\n${name}\n${value}`;
      let version = this.versions.get(key);
      if (!version) {
        const created = Math.floor(Date.now() / 1000);
        version = { name, value, version: randomBytes(16).toString('hex'), created };
        this.versions.set(key, version);
      }
      secrets.set(name.toLowerCase(), version);
    }
    return { vault, secrets };
  }

  /** Serve one request to `<vault>.vault.azure.net`. */
  async handle(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const entry = this.entry(url.hostname.toLowerCase());
    const match = /^\/secrets\/([^/]+)(?:\/([^/]*))?\/?$/.exec(url.pathname);
    if (!entry || req.method !== 'GET' || !match) {
      const served = 'The local Key Vault serves only GET /secrets/<name>[/<version>]';
      return kvError(res, 400, 'BadParameter', `${served}, not ${req.method} ${url.pathname}.`);
    }
    // A malformed escape (`%zz`, a lone `%`) is the client's error: Key Vault answers 400 before anything else.
    const name = decodePathSegment(match[1]);
    const version = match[2] ? decodePathSegment(match[2]) : undefined;
    if (name === null || version === null) {
      return kvError(
        res,
        400,
        'BadParameter',
        'The request URI is invalid: it holds a malformed percent-encoded sequence.',
      );
    }
    const badVersion = apiVersionRefusal(url.searchParams.get('api-version'));
    if (badVersion) {
      return kvError(res, badVersion.status, badVersion.code, badVersion.message);
    }
    const retryAfter = this.faults.takeKeyVaultThrottling();
    if (retryAfter !== undefined) {
      this.stats.faultsInjected.keyVaultThrottling += 1;
      const message =
        'Request was not processed because too many requests were received. Reason: VaultRequestTypeLimitReached';
      return kvError(res, 429, 'Throttled', message, { 'retry-after': String(retryAfter) });
    }
    const { vault, secrets } = entry;
    const claims = await this.authenticate(req, res, vault);
    if (!claims) {
      return;
    }
    // Authorization comes before existence: a caller without the role learns nothing about which secrets exist.
    if (!this.canReadSecret(String(claims.oid), `${vault.id}/secrets/${name}`)) {
      this.stats.forbidden += 1;
      return kvError(
        res,
        403,
        'Forbidden',
        'Caller is not authorized to perform action on resource.\r\n' +
          'If role assignments, deny assignments or role definitions were changed recently, please observe propagation time.\r\n' +
          `Caller: appid=${String(claims.appid)};oid=${String(claims.oid)};iss=${String(claims.iss)}\r\n` +
          `Action: '${GET_SECRET_ACTION}'\r\n` +
          `Resource: '${vault.id.toLowerCase()}/secrets/${name.toLowerCase()}'\r\n` +
          'Assignment: (not found)\r\nDenyAssignmentId: null\r\nDecisionReason: null \r\n' +
          `Vault: ${vault.name};location=local-cloud\r\n`,
        {},
        { code: 'ForbiddenByRbac' },
      );
    }
    const secret = secrets.get(name.toLowerCase());
    if (!secret || (version !== undefined && version !== secret.version)) {
      this.stats.notFound += 1;
      return kvError(
        res,
        404,
        'SecretNotFound',
        `A secret with (name/id) ${version ? `${name}/${version}` : name} was not found in this key vault. ` +
          'If you recently deleted this secret you may be able to recover it using the correct recovery command. ' +
          'For help resolving this issue, please see https://go.microsoft.com/fwlink/?linkid=2125182',
      );
    }
    this.stats.secretReads += 1;
    sendJson(
      res,
      200,
      {
        value: secret.value,
        id: `https://${vault.name}${KEY_VAULT_DNS_SUFFIX}/secrets/${secret.name}/${secret.version}`,
        // The model does not say whether purge protection is on; without it, this is what Key Vault reports.
        attributes: {
          enabled: true,
          created: secret.created,
          updated: secret.created,
          recoveryLevel: 'Recoverable+Purgeable',
          recoverableDays: 90,
        },
        tags: {},
      },
      requestHeaders(),
    );
  }

  // Returns the token's claims, or answers 401 with the Bearer challenge the SDK follows to Entra.
  private async authenticate(
    req: IncomingMessage,
    res: ServerResponse,
    vault: CloudKeyVault,
  ): Promise<JWTPayload | undefined> {
    const challenge = `Bearer authorization="https://login.microsoftonline.com/${vault.tenantId}", resource="${KEY_VAULT_RESOURCE}"`;
    const unauthorized = (message: string) => {
      this.stats.challenges += 1;
      kvError(res, 401, 'Unauthorized', message, { 'www-authenticate': challenge });
      return undefined;
    };
    const token = /^Bearer (.+)$/i.exec(req.headers.authorization ?? '')?.[1];
    if (!token) {
      return unauthorized('AKV10000: Request is missing a Bearer or PoP token.');
    }
    let claims: JWTPayload;
    try {
      // A token without `exp` would never expire: Key Vault refuses it, so `exp` is required here too.
      claims = (
        await jwtVerify(token, this.entraKeys, { algorithms: ['RS256'], requiredClaims: ['exp'] })
      ).payload;
    } catch (err) {
      const { code, claim } = err as { code?: string; claim?: string };
      if (code === 'ERR_JWT_EXPIRED') {
        return unauthorized('AKV10021: Token has expired.');
      }
      if (code === 'ERR_JWT_CLAIM_VALIDATION_FAILED' && claim === 'exp') {
        return unauthorized(
          'AKV10000: Token validation failed: the token has no expiration time (exp).',
        );
      }
      return unauthorized('AKV10000: Token validation failed: the signature is not valid.');
    }
    const audience = Array.isArray(claims.aud) ? claims.aud.join(',') : String(claims.aud);
    if (audience !== KEY_VAULT_RESOURCE && audience !== `${KEY_VAULT_RESOURCE}/`) {
      return unauthorized(
        `AKV10022: Invalid audience. Expected ${KEY_VAULT_RESOURCE}, found: ${audience}.`,
      );
    }
    const expectedIssuer = `https://sts.windows.net/${vault.tenantId}/`;
    if (claims.tid !== vault.tenantId || claims.iss !== expectedIssuer) {
      return unauthorized(
        `AKV10032: Invalid issuer. Expected one of ${expectedIssuer}, found ${String(claims.iss)}.`,
      );
    }
    return claims;
  }

  // Azure RBAC: a role assigned at a scope applies to every resource below it, ids compared case-insensitively.
  private canReadSecret(principalId: string, secretScope: string): boolean {
    const target = secretScope.toLowerCase();
    return this.model.roleAssignments.some((a) => {
      const scope = a.scope.toLowerCase().replace(/\/+$/, '');
      return (
        a.principalId === principalId &&
        SECRET_READER_ROLES.includes(a.roleDefinitionName) &&
        (target === scope || target.startsWith(`${scope}/`))
      );
    });
  }
}

// null marks a malformed escape, which decodeURIComponent throws on.
function decodePathSegment(segment: string): string | null {
  try {
    return decodeURIComponent(segment);
  } catch {
    return null;
  }
}

function requestHeaders(): Record<string, string> {
  return { 'x-ms-request-id': randomUUID(), 'x-ms-keyvault-service-version': '1.9.0.0' };
}

// Key Vault's error body: `{ error: { code, message, innererror? } }`.
function kvError(
  res: ServerResponse,
  status: number,
  code: string,
  message: string,
  headers: Record<string, string> = {},
  inner?: { code: string },
): void {
  sendJson(
    res,
    status,
    { error: { code, message, ...(inner ? { innererror: inner } : {}) } },
    { ...requestHeaders(), ...headers },
  );
}
