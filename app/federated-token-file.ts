import { readFile, stat } from 'node:fs/promises';
import { createClientLogger } from '@azure/logger';

const logger = createClientLogger('workload-id-app');

// Re-read at the latest after this long, and this long before the token's own expiry.
const MAX_AGE_MS = 5 * 60_000;

/**
 * The projected service-account token that the workload presents to Entra as its client assertion.
 *
 * kubelet rotates the file at 80% of the token's lifetime, so a token read once goes stale
 * (AADSTS700024). The content is cached and read again when the file changed (mtime or size),
 * when the cached token is within 5 minutes of its `exp`, or when it is 5 minutes old.
 * @see https://learn.microsoft.com/azure/aks/workload-identity-overview
 */
export class FederatedTokenFile {
  private cached?: {
    token: string;
    mtimeMs: number;
    size: number;
    readAtMs: number;
    expiresAtMs: number;
  };

  /** Reads from `path`, normally `AZURE_FEDERATED_TOKEN_FILE`. */
  constructor(readonly path: string) {}

  /**
   * Returns the current token, reading the file only when the cached copy may be stale.
   *
   * @throws TokenFileError naming `AZURE_FEDERATED_TOKEN_FILE` and the path when the file cannot be read
   */
  async read(): Promise<string> {
    try {
      return await this.readCached();
    } catch (err) {
      throw new TokenFileError(this.path, err);
    }
  }

  private async readCached(): Promise<string> {
    // stat follows kubelet's ..data symlink, so an atomic swap shows up as a new mtime.
    const info = await stat(this.path);
    if (!info.isFile())
      throw new Error(info.isDirectory() ? 'it is a directory' : 'it is not a regular file');
    const { mtimeMs, size } = info;
    const now = Date.now();
    const cached = this.cached;
    if (
      cached &&
      cached.mtimeMs === mtimeMs &&
      cached.size === size &&
      now - cached.readAtMs < MAX_AGE_MS &&
      cached.expiresAtMs - now > MAX_AGE_MS
    ) {
      return cached.token;
    }
    const token = (await readFile(this.path, 'utf8')).trim();
    logger.verbose(`Read the federated token file ${this.path} (${size} bytes)`);
    if (!token) throw new Error('it is empty');
    this.cached = { token, mtimeMs, size, readAtMs: now, expiresAtMs: jwtExpiresAtMs(token) };
    return token;
  }
}

/** The token file could not be read; the message names the variable, the path and the cause. */
export class TokenFileError extends Error {
  /** Wraps `cause`, a Node file system error or the program's own finding. */
  constructor(
    readonly path: string,
    cause: unknown,
  ) {
    const e = cause as NodeJS.ErrnoException;
    // Node's messages repeat the path ("ENOENT: no such file or directory, stat '/x'"): keep the code's words only.
    const why = e.code ? `${e.code}: ${e.message.split(',')[0]?.replace(/^\w+: /, '')}` : e.message;
    super(`AZURE_FEDERATED_TOKEN_FILE "${path}" cannot be read: ${why}`, { cause });
    this.name = 'TokenFileError';
  }
}

/**
 * The `exp` of a JWT in milliseconds, or +Infinity when it has none or cannot be decoded.
 *
 * The client needs no signature check: Entra verifies the token, the client only decides when to re-read it.
 */
export function jwtExpiresAtMs(jwt: string): number {
  try {
    const payload: unknown = JSON.parse(
      Buffer.from(jwt.split('.')[1] ?? '', 'base64url').toString('utf8'),
    );
    const exp = (payload as { exp?: unknown }).exp;
    return typeof exp === 'number' ? exp * 1000 : Number.POSITIVE_INFINITY;
  } catch {
    // An undecodable token is still sent: Entra's answer explains the problem better than we can.
    return Number.POSITIVE_INFINITY;
  }
}
