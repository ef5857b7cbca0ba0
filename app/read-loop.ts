import { setTimeout as delay } from 'node:timers/promises';
import { formatFailureLine, formatSecretLine } from './output';
import { readSecret, type SecretGetter } from './read-secret';

export type { SecretGetter } from './read-secret';

/** Options of {@link runReadLoop}; the durations and flags come from `AppSettings`. */
export interface ReadLoopOptions {
  /** The secret to read. */
  readonly secretName: string;
  /** Pause after a successful read. */
  readonly readIntervalInMs: number;
  /** First pause after a failed read; doubled on each further failure. */
  readonly retryMinInMs: number;
  /** Upper bound of the pause after a failed read. */
  readonly retryMaxInMs: number;
  /** Limit of one read, token exchange and the SDK's retries included; a read that takes longer failed. */
  readonly readTimeoutInMs: number;
  /** Read once and return instead of looping. */
  readonly runOnce: boolean;
  /** Print the value instead of a mask. */
  readonly showSecret: boolean;
  /** Ends the loop at once, also during a read (even one whose credential ignores it) or a pause. */
  readonly abortSignal: AbortSignal;
}

/**
 * Reads the secret, prints it (masked unless asked), pauses and repeats until aborted.
 *
 * A failed read prints one line to stderr and is retried with exponential backoff, reset by the
 * next success: a new federated credential or role assignment takes minutes to propagate, so
 * early failures are expected. Throttling and 5xx are retried inside the SDK first. A read that
 * outlasts `readTimeoutInMs` is a failure like any other: retried in a loop, exit 1 with `runOnce`.
 * @returns the exit code: 0 when aborted or when a single read succeeded, 1 when a single read failed
 */
export async function runReadLoop(client: SecretGetter, options: ReadLoopOptions): Promise<number> {
  const { secretName, abortSignal } = options;
  let failures = 0;
  while (!abortSignal.aborted) {
    let pauseInMs: number;
    try {
      const value = await readSecret(client, secretName, {
        abortSignal,
        timeoutInMs: options.readTimeoutInMs,
      });
      console.log(formatSecretLine(value, options.showSecret));
      if (options.runOnce) return 0;
      failures = 0;
      pauseInMs = options.readIntervalInMs;
    } catch (err) {
      // A read cut short by SIGTERM is not a failure.
      if (abortSignal.aborted) break;
      if (options.runOnce) {
        console.error(formatFailureLine(secretName, err));
        return 1;
      }
      pauseInMs = backoffInMs(failures++, options.retryMinInMs, options.retryMaxInMs);
      console.error(formatFailureLine(secretName, err, pauseInMs));
    }
    await sleep(pauseInMs, abortSignal);
  }
  return 0;
}

/** The pause after the `failures`+1-th failure in a row: `minInMs` doubled each time, capped at `maxInMs`. */
export function backoffInMs(failures: number, minInMs: number, maxInMs: number): number {
  // Capping the exponent keeps 2 ** failures finite however long the outage lasts.
  return Math.min(minInMs * 2 ** Math.min(failures, 31), maxInMs);
}

async function sleep(ms: number, signal: AbortSignal): Promise<void> {
  try {
    await delay(ms, undefined, { signal });
  } catch (err) {
    // The only rejection is the abort, which the loop condition handles.
    if (!signal.aborted) throw err;
  }
}
