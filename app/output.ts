/** The line printed in place of the secret unless `SHOW_SECRET=true`. */
export const MASKED_SECRET_LINE =
  'Your secret is ******** (masked; set SHOW_SECRET=true to print it)';

/** The lab's first line: `START MM/DD/YYYY HH:mm:ss (pod)`, in UTC. */
export function formatStartLine(now: Date, podName: string): string {
  const two = (n: number): string => String(n).padStart(2, '0');
  const date = `${two(now.getUTCMonth() + 1)}/${two(now.getUTCDate())}/${now.getUTCFullYear()}`;
  const time = `${two(now.getUTCHours())}:${two(now.getUTCMinutes())}:${two(now.getUTCSeconds())}`;
  return `START ${date} ${time} (${podName})`;
}

/** The line for a successful read: the value only when the operator asked for it. */
export function formatSecretLine(value: string | undefined, showSecret: boolean): string {
  return showSecret ? `Your secret is ${value ?? ''}` : MASKED_SECRET_LINE;
}

/**
 * The one stderr line for a failed read.
 *
 * @param retryInMs - the pause before the next attempt; omitted when the program gives up
 */
export function formatFailureLine(secretName: string, err: unknown, retryInMs?: number): string {
  const hint = errorHint(err);
  const retry = retryInMs === undefined ? '' : ` - retrying in ${formatDuration(retryInMs)}`;
  return `Failed to read secret "${secretName}": ${errorSummary(err)}${hint ? ` (hint: ${hint})` : ''}${retry}`;
}

// Long service messages (Key Vault's 403 lists caller, action and resource) are cut to keep one readable line.
const MAX_SUMMARY_LENGTH = 400;

/** A one-line description of an error from the SDK, MSAL or Node, starting at the AADSTS code when there is one. */
export function errorSummary(err: unknown): string {
  const { name, code, statusCode, message } = errorFields(err);
  // Entra appends trace and correlation ids and a timestamp on further lines: useful in a ticket, noise here.
  let text = withoutBodies(err, message)
    .split(/\s+Trace ID:/)[0]
    .replace(/\s+/g, ' ')
    .trim();
  const aadsts = /AADSTS\d+/.exec(text);
  if (aadsts) {
    text = text.slice(aadsts.index);
  } else if (OWN_ERRORS.has(name)) {
    // The program's own errors already say what happened in the line's words.
  } else if (name === 'RestError' && statusCode !== undefined) {
    text = `${statusCode}${code ? ` ${code}` : ''}: ${text}`;
  } else {
    text = `${name}: ${text}`;
  }
  return text.length > MAX_SUMMARY_LENGTH ? `${text.slice(0, MAX_SUMMARY_LENGTH - 3)}...` : text;
}

// Errors of read-secret.ts and federated-token-file.ts, by name (errors are read by their fields, see errorFields).
const OWN_ERRORS = new Set(['ReadTimeoutError', 'UnexpectedAnswerError', 'TokenFileError']);

// core-client's parse error quotes the whole body, and on newer Node its SyntaxError a piece of it too.
const PARSE_ERROR = /occurred (while parsing the response body|in deserializing the responseBody)/;
// @azure/identity's AuthenticationError quotes an answer that is not JSON after these words.
const QUOTED_BODY = /(Response body:|The service indicated that the request was invalid\.)[\s\S]*$/;
const BODY_NOT_SHOWN = '(body not shown)';

/** `message` without any response body it quotes: a cut-off body can hold the secret or a token. */
function withoutBodies(err: unknown, message: string): string {
  if (PARSE_ERROR.test(message)) return `the answer could not be parsed ${BODY_NOT_SHOWN}`;
  let text = message.replace(QUOTED_BODY, `$1 ${BODY_NOT_SHOWN}`);
  // Also where another layer pasted the body of the response the error carries.
  const body = (err as { response?: { bodyAsText?: unknown } } | null)?.response?.bodyAsText;
  if (typeof body === 'string' && body.trim().length >= 8) {
    text = text.split(body.trim()).join(BODY_NOT_SHOWN);
  }
  return text;
}

/** Entra error codes and their usual cause in a workload identity setup. */
const AADSTS_HINTS: Record<string, string> = {
  // Entra used to answer every federated credential mismatch with AADSTS70021; it now names the claim that matched nothing.
  AADSTS70021:
    "the credential's issuer, subject and audience must equal the token's exactly (newer Entra names the part: AADSTS700211 issuer, AADSTS700212 audience, AADSTS700213 subject); a new credential can take minutes to propagate",
  AADSTS700211:
    'no federated credential of this identity has the token\'s issuer: use the cluster\'s oidc_issuer_url exactly, trailing "/" included; older Entra answers AADSTS70021; a new credential can take minutes to propagate',
  AADSTS700212:
    "the credential's audience must be api://AzureADTokenExchange, the projected token's; older Entra answers AADSTS70021; a new credential can take minutes to propagate",
  AADSTS700213:
    "the credential's subject must be system:serviceaccount:<namespace>:<service account> of this pod; older Entra answers AADSTS70021; a new credential can take minutes to propagate",
  AADSTS700024:
    "the service account token expired: re-read the token file (AZURE_FEDERATED_TOKEN_FILE), which kubelet rotates, before each exchange; check the node's clock",
  AADSTS90061:
    "Entra could not fetch the cluster's OIDC issuer metadata: is the issuer enabled and publicly reachable?",
  AADSTS700016:
    'unknown client id: check the service account annotation azure.workload.identity/client-id and the tenant',
};

/** What the operator should check for a failure, or undefined when nothing specific is known. */
export function errorHint(err: unknown): string | undefined {
  const { name, code, statusCode, message } = errorFields(err);
  const aadsts = /AADSTS\d+/.exec(message)?.[0];
  if (aadsts && AADSTS_HINTS[aadsts]) return AADSTS_HINTS[aadsts];
  if (message.includes('AdditionallyAllowedTenants')) {
    return "the vault is in another tenant than AZURE_TENANT_ID: annotate the service account's azure.workload.identity/tenant-id with the vault's tenant";
  }
  if (name === 'ReadTimeoutError') {
    return 'is the vault reachable from the pod (network policy, firewall, private endpoint, HTTPS_PROXY)? READ_TIMEOUT_MS sets the limit';
  }
  if (name === 'UnexpectedAnswerError') {
    if (statusCode === 429 || (statusCode !== undefined && statusCode >= 500))
      return 'Key Vault is throttling or unavailable, or a proxy answers in its place';
    return "KEYVAULT_URL must be the vault's URL (https://<vault>.vault.azure.net/); a proxy, firewall or captive portal may answer in the vault's place";
  }
  if (name === 'CredentialUnavailableError') {
    return 'workload identity is not configured: the pod needs the label azure.workload.identity/use: "true" and its service account the client-id annotation';
  }
  // AuthenticationError also carries a statusCode (Entra's 400/401): only Key Vault's answers are meant below.
  if (name !== 'RestError') return undefined;
  if (statusCode === 403) {
    return 'the identity needs the role "Key Vault Secrets User" on the vault or the secret; a new role assignment can take minutes to propagate';
  }
  if (statusCode === 404 && code === 'SecretNotFound')
    return 'no secret of that name in the vault: check SECRET_NAME and KEYVAULT_URL';
  if (statusCode === 429 || (statusCode !== undefined && statusCode >= 500)) {
    return 'Key Vault is throttling or unavailable; the SDK already retried, honouring Retry-After';
  }
  return undefined;
}

/** A pause as `250ms`, `2s` or `1.5s`. */
export function formatDuration(ms: number): string {
  return ms < 1000 ? `${ms}ms` : `${Number((ms / 1000).toFixed(1))}s`;
}

// Errors cross package boundaries (identity, MSAL, core-rest-pipeline): read fields, never instanceof.
function errorFields(err: unknown): {
  name: string;
  code?: string;
  statusCode?: number;
  message: string;
} {
  const e = (typeof err === 'object' && err !== null ? err : { message: String(err) }) as Record<
    string,
    unknown
  >;
  return {
    name: typeof e.name === 'string' ? e.name : 'Error',
    code: typeof e.code === 'string' ? e.code : undefined,
    statusCode: typeof e.statusCode === 'number' ? e.statusCode : undefined,
    message: typeof e.message === 'string' ? e.message : String(err),
  };
}
