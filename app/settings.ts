import { statSync } from 'node:fs';
import { hostname } from 'node:os';

import { CREDENTIAL_MODES, type CredentialMode } from './credential-modes';

export { CREDENTIAL_MODES, type CredentialMode } from './credential-modes';

/** What the workload identity webhook injects into the pod. */
export interface WorkloadIdentitySettings {
  /** `AZURE_CLIENT_ID`: the managed identity's or app's client id. */
  readonly clientId: string;
  /** `AZURE_TENANT_ID`: the Entra tenant. */
  readonly tenantId: string;
  /** `AZURE_FEDERATED_TOKEN_FILE`: the projected service-account token kubelet rotates. */
  readonly tokenFilePath: string;
  /** `AZURE_AUTHORITY_HOST`, always ending with `/`. */
  readonly authorityHost: string;
}

/** The credential to build: `default` reads its own environment, the others need workload identity. */
export type CredentialSettings =
  | { readonly mode: 'default' }
  | {
      readonly mode: Exclude<CredentialMode, 'default'>;
      readonly workloadIdentity: WorkloadIdentitySettings;
    };

/** Everything the program reads from its environment, checked. */
export interface AppSettings {
  /** `KEYVAULT_URL`, e.g. `https://my-vault.vault.azure.net/`: https, no path, query, fragment or credentials. */
  readonly vaultUrl: string;
  /** `SECRET_NAME`. */
  readonly secretName: string;
  /** `CREDENTIAL_MODE` and what it needs. */
  readonly credential: CredentialSettings;
  /** `READ_INTERVAL_MS`: pause after a successful read. */
  readonly readIntervalInMs: number;
  /** `RETRY_MIN_MS`: first pause after a failed read, doubled on each further failure. */
  readonly retryMinInMs: number;
  /** `RETRY_MAX_MS`: upper bound of the pause after a failed read. */
  readonly retryMaxInMs: number;
  /** `READ_TIMEOUT_MS`: limit of one read, token exchange and the SDK's own retries included. */
  readonly readTimeoutInMs: number;
  /** `RUN_ONCE`: read once, then exit 0 on success or 1 on failure. */
  readonly runOnce: boolean;
  /** `SHOW_SECRET`: print the value instead of a mask. */
  readonly showSecret: boolean;
  /** `HOSTNAME` (the pod name in Kubernetes), for the START line. */
  readonly podName: string;
}

/** A missing or malformed environment variable; the message names it and its rule. */
export class SettingsError extends Error {
  /** Creates the error for one variable. */
  constructor(
    readonly variable: string,
    message: string,
  ) {
    super(message);
    this.name = 'SettingsError';
  }
}

/** The public cloud's authority host, as the webhook injects it. */
export const DEFAULT_AUTHORITY_HOST = 'https://login.microsoftonline.com/';

// setTimeout fires at once (with a warning) for delays above 2^31-1 ms, about 24.8 days.
const MAX_DELAY_MS = 2 ** 31 - 1;

/** Default of `READ_TIMEOUT_MS`: room for a token exchange and the SDK's retries of 429/5xx. */
export const DEFAULT_READ_TIMEOUT_MS = 60_000;

// An echoed value is cut: a variable can be large, and the message must stay one readable line.
const MAX_ECHO_LENGTH = 200;

/** `value` for an error message: cut when long, and without the password part of a URL. */
function echo(value: string): string {
  const shown = value.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^/?#@]*@/i, '$1***@');
  return shown.length > MAX_ECHO_LENGTH ? `${shown.slice(0, MAX_ECHO_LENGTH)}...` : shown;
}

/**
 * Refuses an `AZURE_FEDERATED_TOKEN_FILE` that exists and is not a file (a directory, a device).
 *
 * A missing file passes: kubelet may not have projected the token yet, and the read names the path when it fails.
 * @throws SettingsError naming the variable, the path and what it is
 */
export function checkTokenFile(path: string): void {
  let what: string;
  try {
    const stat = statSync(path);
    if (stat.isFile()) return;
    what = stat.isDirectory() ? 'a directory' : 'not a regular file';
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return;
    what = `unreadable (${code})`;
  }
  throw new SettingsError(
    'AZURE_FEDERATED_TOKEN_FILE',
    `AZURE_FEDERATED_TOKEN_FILE "${echo(path)}" is ${what}: it must name the projected service account token file, e.g. /var/run/secrets/azure/tokens/azure-identity-token`,
  );
}

/**
 * Reads and checks the program's environment once.
 *
 * @throws SettingsError naming the first bad variable and its rule
 */
export function readSettings(env: NodeJS.ProcessEnv = process.env): AppSettings {
  const get = (name: string): string | undefined => (env[name] === '' ? undefined : env[name]);
  const required = (name: string, why: string): string => {
    const value = get(name);
    if (value === undefined) throw new SettingsError(name, `${name} is not set: ${why}`);
    return value;
  };
  const httpsUrl = (name: string, value: string): URL => {
    let url: URL | undefined;
    try {
      url = new URL(value);
    } catch {
      // reported below with the rule
    }
    if (url?.protocol !== 'https:')
      throw new SettingsError(name, `${name} "${echo(value)}" must be an https:// URL`);
    return url;
  };
  // Key Vault answers a URL with a path or query with a permanent 400: retrying it for ever helps nobody.
  const vaultUrl = (name: string, value: string): string => {
    const url = httpsUrl(name, value);
    if (url.username || url.password) {
      throw new SettingsError(
        name,
        `${name} "${echo(value)}" must not carry credentials: the program signs in with its workload identity`,
      );
    }
    if (url.pathname !== '/' || url.search || url.hash) {
      throw new SettingsError(
        name,
        `${name} "${echo(value)}" must be the vault's URL alone, without a path, query or fragment, e.g. https://my-vault.vault.azure.net/`,
      );
    }
    return value;
  };
  const duration = (name: string, fallback: number): number => {
    const value = get(name);
    if (value === undefined) return fallback;
    const n = Number(value);
    if (!/^\d+$/.test(value) || n < 1 || n > MAX_DELAY_MS) {
      throw new SettingsError(
        name,
        `${name} "${echo(value)}" must be a whole number of milliseconds from 1 to ${MAX_DELAY_MS}`,
      );
    }
    return n;
  };
  const flag = (name: string): boolean => {
    const value = get(name);
    if (value === undefined || value === 'false') return false;
    if (value === 'true') return true;
    throw new SettingsError(name, `${name} "${echo(value)}" must be "true" or "false"`);
  };

  const keyVaultUrl = vaultUrl(
    'KEYVAULT_URL',
    required('KEYVAULT_URL', 'the vault URL, e.g. https://my-vault.vault.azure.net/'),
  );
  const secretName = required('SECRET_NAME', 'the name of the secret to read');
  if (!/^[0-9A-Za-z-]{1,127}$/.test(secretName)) {
    throw new SettingsError(
      'SECRET_NAME',
      `SECRET_NAME "${echo(secretName)}" must be 1-127 letters, digits and "-"`,
    );
  }

  const mode = get('CREDENTIAL_MODE') ?? 'default';
  if (!CREDENTIAL_MODES.includes(mode as CredentialMode)) {
    throw new SettingsError(
      'CREDENTIAL_MODE',
      `CREDENTIAL_MODE "${echo(mode)}" must be one of: ${CREDENTIAL_MODES.join(', ')}`,
    );
  }
  // Every mode reads this file when the variable is set (DefaultAzureCredential through its WorkloadIdentityCredential):
  // a path that is not a file is a bad environment, said once at start rather than as EISDIR on every read.
  const tokenFile = get('AZURE_FEDERATED_TOKEN_FILE');
  if (tokenFile !== undefined) checkTokenFile(tokenFile);
  const credential: CredentialSettings =
    mode === 'default'
      ? { mode }
      : {
          mode: mode as Exclude<CredentialMode, 'default'>,
          workloadIdentity: readWorkloadIdentity(),
        };

  const retryMinInMs = duration('RETRY_MIN_MS', 1_000);
  const retryMaxInMs = duration('RETRY_MAX_MS', 60_000);
  if (retryMaxInMs < retryMinInMs) {
    throw new SettingsError(
      'RETRY_MAX_MS',
      `RETRY_MAX_MS ${retryMaxInMs} must not be less than RETRY_MIN_MS ${retryMinInMs}`,
    );
  }

  return {
    vaultUrl: keyVaultUrl,
    secretName,
    credential,
    readIntervalInMs: duration('READ_INTERVAL_MS', 600_000),
    retryMinInMs,
    retryMaxInMs,
    readTimeoutInMs: duration('READ_TIMEOUT_MS', DEFAULT_READ_TIMEOUT_MS),
    runOnce: flag('RUN_ONCE'),
    showSecret: flag('SHOW_SECRET'),
    podName: get('HOSTNAME') ?? hostname(),
  };

  function readWorkloadIdentity(): WorkloadIdentitySettings {
    // The webhook injects all four only into pods labelled azure.workload.identity/use=true.
    const why = `CREDENTIAL_MODE=${mode} needs workload identity; the webhook sets it when the pod has the label azure.workload.identity/use: "true" and its service account the client-id annotation`;
    const clientId = required('AZURE_CLIENT_ID', why);
    const tenantId = required('AZURE_TENANT_ID', why);
    // The same rule as @azure/identity's tenant check: a GUID or a domain name.
    if (!/^[0-9A-Za-z.-]+$/.test(tenantId)) {
      throw new SettingsError(
        'AZURE_TENANT_ID',
        `AZURE_TENANT_ID "${echo(tenantId)}" must be a tenant GUID or domain: letters, digits, "-" and "."`,
      );
    }
    const tokenFilePath = required('AZURE_FEDERATED_TOKEN_FILE', why);
    const host = get('AZURE_AUTHORITY_HOST') ?? DEFAULT_AUTHORITY_HOST;
    httpsUrl('AZURE_AUTHORITY_HOST', host);
    return {
      clientId,
      tenantId,
      tokenFilePath,
      authorityHost: host.endsWith('/') ? host : `${host}/`,
    };
  }
}
