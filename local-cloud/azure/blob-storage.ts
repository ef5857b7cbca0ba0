/**
 * Azure Blob Storage for the local cloud: Azurite (Microsoft's Storage emulator) behind the front door, which does
 * what Azurite does not: it checks the Entra token's signature, refuses shared keys where the account turned them
 * off, honours Azure RBAC (a `Storage Blob Data *` role on the container or above), and keeps an overwritten blob's
 * earlier content where the account keeps versions.
 *
 * Azurite 3.35 (the last that runs on Node 20: 3.36 declares node >=21) serves the Blob API itself: blobs, leases,
 * metadata, snapshots, listings, on production-style URLs (`<account>.blob.core.windows.net`, account in the host
 * name). It runs on 127.0.0.1, one process per blob folder shared by every process of the local cloud on it
 * (shared-azurite.ts), with the local CA's server certificate and `--oauth basic`, which
 * checks a bearer token's issuer, audience and lifetime but neither its signature nor any permission.
 * @see https://github.com/Azure/Azurite/blob/v3.35.0/README.md#oauth-configuration
 * @see https://learn.microsoft.com/rest/api/storageservices/blob-service-error-codes
 */
import { randomUUID } from 'node:crypto';
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import { request } from 'node:https';
import { createLocalJWKSet, type JSONWebKeySet, jwtVerify } from 'jose';
import type { LocalCertificates } from '../core/certificates';
import type { CloudModel, CloudStorageAccount } from '../core/model';
import { joinAzurite, type SharedAzurite } from './shared-azurite';

/** The blob endpoint's DNS suffix in Azure's public cloud. */
export const BLOB_HOST_SUFFIX = '.blob.core.windows.net';

/**
 * Built-in roles and the blob data actions they allow (prefix
 * `Microsoft.Storage/storageAccounts/blobServices/containers/blobs/`).
 * @see https://learn.microsoft.com/azure/role-based-access-control/built-in-roles/storage
 */
export const BLOB_DATA_ROLES: Readonly<Record<string, readonly string[]>> = {
  'Storage Blob Data Owner': ['read', 'write', 'delete', 'add/action', 'move/action'],
  'Storage Blob Data Contributor': ['read', 'write', 'delete', 'add/action', 'move/action'],
  'Storage Blob Data Reader': ['read'],
};

/** The blob data action a request needs: reads for GET and HEAD, else writes (a lease or metadata is a write). */
function actionOf(method: string | undefined): string {
  if (method === 'GET' || method === 'HEAD') return 'read';
  if (method === 'DELETE') return 'delete';
  return 'write';
}

/**
 * Whether a PUT to a blob writes its content or metadata, so that a versioned account keeps the content before it:
 * "every write operation to a blob ... results in the creation of a new version", a metadata update included (Blob
 * versioning overview, learn.microsoft.com/azure/storage/blobs/versioning-overview, read 2026-12-07). Put Blob and
 * Copy Blob have no `comp`; Terraform's backend writes a large state as blocks, committed by Put Block List
 * (`comp=blocklist`). Put Block, a lease or a snapshot changes no committed content.
 */
function rewrites(url: URL): boolean {
  const comp = url.searchParams.get('comp');
  return comp === null || comp === 'blocklist' || comp === 'metadata';
}

/** An error as the Blob service words it: XML body, `x-ms-error-code` header, a request id. */
function sendBlobError(
  res: ServerResponse,
  status: number,
  code: string,
  message: string,
  headers: Record<string, string> = {},
): void {
  const requestId = randomUUID();
  const body = `<?xml version="1.0" encoding="utf-8"?><Error><Code>${code}</Code><Message>${message}\nRequestId:${requestId}\nTime:${new Date().toISOString()}</Message></Error>`;
  res.writeHead(status, {
    'content-type': 'application/xml',
    'x-ms-error-code': code,
    'x-ms-request-id': requestId,
    ...headers,
  });
  res.end(body);
}

/** How to start the blob service. */
export interface BlobStorageOptions {
  readonly model: CloudModel;
  /** Entra's signing keys: a token they did not sign is refused. */
  readonly entraJwks: JSONWebKeySet;
  readonly certificates: LocalCertificates;
  /** Where Azurite keeps blobs: keep it across runs to keep the state. */
  readonly dir: string;
}

/** The running Azurite this blob service uses (shared with the other processes on the same folder). */
type Azurite = SharedAzurite;

/** The blob endpoints of the model's storage accounts. */
export class BlobStorage {
  private azurite?: Promise<Azurite>;
  private readonly ensured = new Set<string>();

  constructor(private readonly options: BlobStorageOptions) {}

  /** `<account>.blob.core.windows.net` of every storage account: the hosts to route here. */
  get hosts(): string[] {
    return (this.options.model.storageAccounts ?? []).map((a) => `${a.name}${BLOB_HOST_SUFFIX}`);
  }

  /** Serve one request to `<account>.blob.core.windows.net`. */
  async handle(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const name = url.hostname.slice(0, -BLOB_HOST_SUFFIX.length);
    const account = (this.options.model.storageAccounts ?? []).find((a) => a.name === name);
    if (!account)
      return sendBlobError(res, 404, 'ResourceNotFound', 'The specified resource does not exist.');
    const auth = req.headers.authorization ?? '';
    if (!auth.startsWith('Bearer ')) {
      if (auth && !account.sharedAccessKeyEnabled)
        return sendBlobError(
          res,
          403,
          'KeyBasedAuthenticationNotPermitted',
          'Key based authentication is not permitted on this storage account.',
        );
      return sendBlobError(
        res,
        401,
        'NoAuthenticationInformation',
        'Server failed to authenticate the request. Please refer to the information in the www-authenticate header.',
        {
          'www-authenticate': `Bearer authorization_uri=https://login.microsoftonline.com/${account.tenantId}/oauth2/authorize resource_id=https://storage.azure.com`,
        },
      );
    }
    let principal: string;
    try {
      const { payload } = await jwtVerify(
        auth.slice('Bearer '.length),
        createLocalJWKSet(this.options.entraJwks),
        {
          algorithms: ['RS256'],
          issuer: `https://sts.windows.net/${account.tenantId}/`,
          audience: ['https://storage.azure.com', `https://${account.name}${BLOB_HOST_SUFFIX}`],
        },
      );
      principal = String(payload.oid ?? '');
    } catch (err) {
      return sendBlobError(
        res,
        401,
        'InvalidAuthenticationInfo',
        `Server failed to authenticate the request. Please refer to the information in the www-authenticate header.\nAuthenticationErrorDetail:${(err as Error).message}`,
      );
    }
    const container = decodeURIComponent(url.pathname.split('/')[1] ?? '');
    const scope = `${account.id}/blobServices/default/containers/${container}`;
    if (!this.allowed(principal, actionOf(req.method), scope))
      return sendBlobError(
        res,
        403,
        'AuthorizationPermissionMismatch',
        'This request is not authorized to perform this operation using this permission.',
      );
    if (!account.containers.includes(container))
      return sendBlobError(
        res,
        404,
        'ContainerNotFound',
        'The specified container does not exist.',
      );
    // Copy Blob, Put Blob From URL and Put Block From URL read their source with the caller's rights: reading it
    // needs the read data action there too, which Azurite does not check (Azure/Azurite#2317). Storage refuses a
    // source the caller may not read with the same 403 as a direct read (seen in rclone/rclone#8052: a Copy Blob of
    // an account whose reader role the caller lacked).
    const source = this.copySource(req.headers['x-ms-copy-source']);
    if (source && !this.allowed(principal, 'read', source))
      return sendBlobError(
        res,
        403,
        'AuthorizationPermissionMismatch',
        'This request is not authorized to perform this operation using this permission.',
      );

    const azurite = await this.start();
    const headers = { ...req.headers };
    await this.ensureContainer(azurite, account, container, headers);
    const blobPath = url.pathname.split('/').length > 2;
    if (account.versioningEnabled && req.method === 'PUT' && blobPath && rewrites(url))
      await this.keepVersion(azurite, url, headers);
    await new Promise<void>((done) => {
      const upstream = request(
        this.target(azurite, `${url.pathname}${url.search}`, req.method ?? 'GET', headers),
        (answer) => {
          res.writeHead(answer.statusCode ?? 500, answer.headers);
          answer.pipe(res).on('finish', done);
        },
      );
      upstream.on('error', (err) => {
        if (!res.headersSent) sendBlobError(res, 500, 'InternalError', `Azurite: ${err.message}`);
        done();
      });
      req.pipe(upstream);
    });
  }

  /** Leave Azurite: the last process on its folder stops it. */
  async close(): Promise<void> {
    const running = await this.azurite?.catch(() => undefined);
    this.azurite = undefined;
    await running?.release();
  }

  /** The container scope of a copy source in one of the local cloud's accounts (undefined for another URL). */
  private copySource(header: string | string[] | undefined): string | undefined {
    if (typeof header !== 'string') return undefined;
    let url: URL;
    try {
      url = new URL(header);
    } catch {
      return undefined;
    }
    if (!url.hostname.endsWith(BLOB_HOST_SUFFIX)) return undefined;
    const name = url.hostname.slice(0, -BLOB_HOST_SUFFIX.length);
    const account = (this.options.model.storageAccounts ?? []).find((a) => a.name === name);
    if (!account) return undefined;
    const container = decodeURIComponent(url.pathname.split('/')[1] ?? '');
    return `${account.id}/blobServices/default/containers/${container}`;
  }

  private allowed(principal: string, action: string, scope: string): boolean {
    const target = scope.toLowerCase();
    return this.options.model.roleAssignments.some((a) => {
      const at = a.scope.toLowerCase().replace(/\/+$/, '');
      return (
        a.principalId === principal &&
        (target === at || target.startsWith(`${at}/`)) &&
        (BLOB_DATA_ROLES[a.roleDefinitionName] ?? []).includes(action)
      );
    });
  }

  private target(azurite: Azurite, path: string, method: string, headers: IncomingHttpHeaders) {
    return {
      host: '127.0.0.1',
      port: azurite.port,
      method,
      path,
      headers,
      ca: azurite.caCertPem,
      servername: 'localhost',
    };
  }

  /** Send a request of our own to Azurite (with the caller's token, which Azurite accepts) and read the status. */
  private call(
    azurite: Azurite,
    method: string,
    path: string,
    headers: IncomingHttpHeaders,
  ): Promise<number> {
    // Only what identifies the caller and the API: a header of the original request (`x-ms-blob-type`) would make
    // Azurite read this as that request's operation (an upload) instead.
    const kept = ['host', 'authorization', 'x-ms-version', 'x-ms-date', 'x-ms-lease-id'];
    const own = Object.fromEntries(
      Object.entries(headers).filter(([name]) => kept.includes(name.toLowerCase())),
    );
    return new Promise((done, fail) => {
      const r = request(
        this.target(azurite, path, method, { ...own, 'content-length': '0' }),
        (answer) => {
          answer.resume();
          answer.on('end', () => done(answer.statusCode ?? 500));
        },
      );
      r.on('error', fail);
      r.end();
    });
  }

  /** Azurite holds the containers the account has (made by Resource Manager on Azure, so by the store here). */
  private async ensureContainer(
    azurite: Azurite,
    account: CloudStorageAccount,
    container: string,
    headers: IncomingHttpHeaders,
  ): Promise<void> {
    const key = `${azurite.port}/${account.name}/${container}`;
    if (this.ensured.has(key)) return;
    const status = await this.call(
      azurite,
      'PUT',
      `/${encodeURIComponent(container)}?restype=container`,
      headers,
    );
    if (status !== 201 && status !== 409)
      throw new Error(`Azurite refused to create container ${container} (${status})`);
    this.ensured.add(key);
  }

  /** Before a Put Blob replaces a blob, keep its content (as a snapshot: Azurite has no blob versions). */
  private async keepVersion(
    azurite: Azurite,
    url: URL,
    headers: IncomingHttpHeaders,
  ): Promise<void> {
    const status = await this.call(azurite, 'PUT', `${url.pathname}?comp=snapshot`, headers);
    if (status !== 201 && status !== 404)
      throw new Error(`Azurite refused to keep a version of ${url.pathname} (${status})`);
  }

  /** Join the folder's Azurite with the model's accounts, or again when an account was added since. */
  private start(): Promise<Azurite> {
    const accounts = (this.options.model.storageAccounts ?? [])
      .map((a) => a.name)
      .sort()
      .join(';');
    const current = this.azurite;
    this.azurite = (async () => {
      const running = await current?.catch(() => undefined);
      const serves = (a: string) => running?.accounts.split(';').includes(a);
      if (running && accounts.split(';').filter(Boolean).every(serves)) return running;
      await running?.release();
      return joinAzurite(this.options.dir, accounts, this.options.certificates);
    })();
    return this.azurite;
  }
}
