import type { GetSecretOptions, KeyVaultSecret } from '@azure/keyvault-secrets';
import { type AnswerTooLargeError, redirectHost } from './bounded-http-client';
import { formatDuration } from './output';

/** The part of `SecretClient` the program uses. */
export interface SecretGetter {
  /** Reads the latest version of a secret. */
  getSecret(name: string, options?: GetSecretOptions): Promise<KeyVaultSecret>;
}

/** Options of {@link readSecret}. */
export interface ReadSecretOptions {
  /** Ends the read at once (SIGTERM): the promise rejects even if the SDK or the credential ignores the signal. */
  readonly abortSignal: AbortSignal;
  /** `READ_TIMEOUT_MS`: the whole read (token exchange and the SDK's own retries included) must end by then. */
  readonly timeoutInMs: number;
}

/** Key Vault (or whatever answered in its place) did not answer in time. */
export class ReadTimeoutError extends Error {
  /** Creates the error for a limit of `timeoutInMs`. */
  constructor(readonly timeoutInMs: number) {
    super(`no answer from Key Vault within ${formatDuration(timeoutInMs)} (READ_TIMEOUT_MS)`);
    this.name = 'ReadTimeoutError';
  }
}

/**
 * An answer that is not a secret: cut-off JSON, an HTML page, JSON without `value`.
 *
 * The message describes the answer (status, content type, size) and never holds its body: a cut-off body
 * can hold the secret itself.
 */
export class UnexpectedAnswerError extends Error {
  /** Creates the error for an answer of `statusCode`. */
  constructor(
    readonly statusCode: number | undefined,
    what: string,
    answer: AnswerShape | undefined,
  ) {
    super(`Key Vault answered ${describeAnswer(answer)} ${what}`);
    this.name = 'UnexpectedAnswerError';
  }
}

/** What is safe to say about an HTTP answer: never its body. */
interface AnswerShape {
  readonly status: number;
  readonly contentType: string | undefined;
  /** The body's size, e.g. `120 bytes`, or `more than 1048576 bytes` for a long answer that announced none. */
  readonly size: string;
  /** Where a 3xx points: a host, never the path or query, which can carry anything. */
  readonly locationHost?: string;
}

/**
 * Reads the secret's current value once.
 *
 * @throws ReadTimeoutError when the read takes longer than `timeoutInMs`
 * @throws UnexpectedAnswerError when the answer is not a secret
 * @throws the abort reason, at once, when `abortSignal` fires
 */
export async function readSecret(
  client: SecretGetter,
  secretName: string,
  options: ReadSecretOptions,
): Promise<string> {
  const { abortSignal, timeoutInMs } = options;
  // One controller per read, linked to the program's signal by hand: AbortSignal.any on a long-lived
  // signal has leaked dependent signals in some Node versions, and this runs thousands of times.
  const read = new AbortController();
  const onAbort = (): void => read.abort(abortSignal.reason);
  abortSignal.addEventListener('abort', onAbort, { once: true });
  // A ref'd timer: a credential whose promise never settles leaves nothing else keeping the process alive.
  const timer = setTimeout(() => read.abort(new ReadTimeoutError(timeoutInMs)), timeoutInMs);
  let answer: AnswerShape | undefined;
  try {
    if (abortSignal.aborted) throw abortSignal.reason;
    const secret = await untilAborted(
      client.getSecret(secretName, {
        abortSignal: read.signal,
        onResponse: (response) => {
          answer = {
            status: response.status,
            contentType: response.headers.get('content-type'),
            size: `${Buffer.byteLength(response.bodyAsText ?? '')} bytes`,
            locationHost: redirectHost(response.headers.get('location'), response.request.url),
          };
        },
      }),
      read.signal,
    );
    if (typeof secret?.value !== 'string') {
      throw new UnexpectedAnswerError(answer?.status, 'without a secret value', answer);
    }
    return secret.value;
  } catch (err) {
    if (read.signal.aborted) throw read.signal.reason;
    if (err instanceof UnexpectedAnswerError) throw err;
    throw explainAnswer(err, answer);
  } finally {
    clearTimeout(timer);
    abortSignal.removeEventListener('abort', onAbort);
  }
}

// The SDK's errors for answers it cannot read: a RestError PARSE_ERROR whose message quotes the body, or a
// bare TypeError when the body parses but is not a secret bundle (HTML, `null`, a number).
function explainAnswer(err: unknown, answer: AnswerShape | undefined): unknown {
  const e = (typeof err === 'object' && err !== null ? err : {}) as Record<string, unknown>;
  const status = typeof e.statusCode === 'number' ? e.statusCode : answer?.status;
  if (e.name === 'AnswerTooLargeError') {
    const { statusCode, contentType, size, maxBytes } = err as AnswerTooLargeError;
    return new UnexpectedAnswerError(
      statusCode,
      `that is larger than the ${maxBytes} bytes an answer may have: not read`,
      { status: statusCode, contentType, size },
    );
  }
  // Key Vault never redirects, and the client follows no redirect (the next request would carry the token).
  if (answer && answer.status >= 300 && answer.status < 400) {
    return new UnexpectedAnswerError(
      answer.status,
      `redirecting to ${answer.locationHost}, not followed`,
      answer,
    );
  }
  if (e.name === 'RestError' && e.code === 'PARSE_ERROR') {
    return new UnexpectedAnswerError(status, 'with a body that is not valid JSON', answer);
  }
  const isAzureError =
    typeof e.name === 'string' && /^(RestError|AbortError|\w*Authentication\w*Error)$/.test(e.name);
  if (answer && answer.status >= 200 && answer.status < 300 && !isAzureError) {
    return new UnexpectedAnswerError(answer.status, 'with something that is not a secret', answer);
  }
  return err;
}

function describeAnswer(answer: AnswerShape | undefined): string {
  if (!answer) return 'unexpectedly';
  // The content type comes from whoever answered: keep only a media type's characters, and not many.
  const type = /^[\w.+/-]{1,60}/.exec(answer.contentType ?? '')?.[0] ?? 'no content type';
  return `${answer.status} (${type}, ${answer.size})`;
}

/** `promise`, or the abort reason as soon as `signal` fires, whether or not the work behind it stops. */
function untilAborted<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}
