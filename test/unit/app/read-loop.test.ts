import { afterEach, beforeEach, describe, expect, type MockInstance, test, vi } from 'vitest';
import {
  backoffInMs,
  type ReadLoopOptions,
  runReadLoop,
  type SecretGetter,
} from '../../../app/read-loop';
import type { KeyVaultSecret } from '../../support/app-sdk';

const forbidden = Object.assign(
  new Error('Caller is not authorized to perform action on resource.'),
  { name: 'RestError', statusCode: 403, code: 'Forbidden' },
);
const secret = (value: string): KeyVaultSecret => ({
  name: 'username',
  value,
  properties: { name: 'username', vaultUrl: 'https://my-vault.vault.azure.net' },
});

/** A client that plays `script` in order (a value or an error per call), then aborts the loop. */
function scripted(
  script: Array<string | Error>,
  controller: AbortController,
): SecretGetter & { calls: number } {
  return {
    calls: 0,
    async getSecret() {
      const step = script[this.calls++];
      if (this.calls >= script.length) controller.abort();
      if (step instanceof Error) throw step;
      return secret(step ?? '');
    },
  };
}

let stdout: MockInstance;
let stderr: MockInstance;
let controller: AbortController;

function options(overrides: Partial<ReadLoopOptions> = {}): ReadLoopOptions {
  return {
    secretName: 'username',
    readIntervalInMs: 1,
    retryMinInMs: 1,
    retryMaxInMs: 4,
    readTimeoutInMs: 5_000,
    runOnce: false,
    showSecret: false,
    abortSignal: controller.signal,
    ...overrides,
  };
}

beforeEach(() => {
  stdout = vi.spyOn(console, 'log').mockImplementation(() => {});
  stderr = vi.spyOn(console, 'error').mockImplementation(() => {});
  controller = new AbortController();
});

afterEach(() => {
  vi.restoreAllMocks();
});

describe('runReadLoop', () => {
  test('RUN_ONCE: prints the masked line and returns 0', async () => {
    const code = await runReadLoop(
      scripted(['p@ssw0rd'], new AbortController()),
      options({ runOnce: true }),
    );

    expect(code).toBe(0);
    expect(stdout.mock.calls).toEqual([
      ['Your secret is ******** (masked; set SHOW_SECRET=true to print it)'],
    ]);
    expect(JSON.stringify(stderr.mock.calls)).not.toContain('p@ssw0rd');
  });

  test('RUN_ONCE: prints one failure line without retrying and returns 1', async () => {
    const client = scripted([forbidden, 'never read'], new AbortController());

    const code = await runReadLoop(client, options({ runOnce: true }));

    expect(code).toBe(1);
    expect(client.calls).toBe(1);
    expect(stderr).toHaveBeenCalledTimes(1);
    expect(stderr.mock.calls[0]![0]).toMatch(
      /^Failed to read secret "username": 403 Forbidden: .* \(hint: .*Key Vault Secrets User.*\)$/,
    );
  });

  test('backs off exponentially up to RETRY_MAX_MS, resets after a success and goes on until aborted', async () => {
    // GIVEN four failures, a success, then a failure
    const client = scripted(
      [forbidden, forbidden, forbidden, forbidden, 's3cr3t', forbidden],
      controller,
    );

    // WHEN the loop runs until the script aborts it
    const code = await runReadLoop(client, options({ showSecret: true }));

    // THEN every failure printed one line, the pause doubled to the cap, and the success reset it
    expect(code).toBe(0);
    expect(stdout.mock.calls).toEqual([['Your secret is s3cr3t']]);
    expect(
      stderr.mock.calls.map(([line]) => /retrying in (\S+)$/.exec(line as string)?.[1]),
    ).toEqual(['1ms', '2ms', '4ms', '4ms']);
  });

  test('fails when the backoff does not reset after a success: fail, fail, success, fail waits 1, 2, 1', async () => {
    // GIVEN two failures, a success, a failure, and one more read that ends the script
    const client = scripted([forbidden, forbidden, 's3cr3t', forbidden, 'last'], controller);

    // WHEN the loop runs until the script aborts it
    await runReadLoop(client, options({ retryMinInMs: 1, retryMaxInMs: 1000 }));

    // THEN the pause after the third failure is the first pause again, not the third
    expect(
      stderr.mock.calls.map(([line]) => /retrying in (\S+)$/.exec(line as string)?.[1]),
    ).toEqual(['1ms', '2ms', '1ms']);
    expect(client.calls).toBe(5);
  });

  test('fails when a read outlasts READ_TIMEOUT_MS: one line, and the read is retried', async () => {
    // GIVEN a vault that never answers the first read, then answers
    let calls = 0;
    const client: SecretGetter = {
      getSecret: () => {
        calls++;
        if (calls === 1) return new Promise(() => {});
        controller.abort();
        return Promise.resolve(secret('s3cr3t'));
      },
    };

    // WHEN the loop runs with a short timeout
    const code = await runReadLoop(client, options({ readTimeoutInMs: 50, showSecret: true }));

    // THEN the hung read failed with the timeout and the next one was made
    expect(code).toBe(0);
    expect(calls).toBe(2);
    expect(stderr.mock.calls.map(([line]) => line)).toEqual([
      expect.stringMatching(
        /^Failed to read secret "username": no answer from Key Vault within 50ms \(READ_TIMEOUT_MS\) \(hint: .*\) - retrying in 1ms$/,
      ),
    ]);
  });

  test('fails when RUN_ONCE meets a vault that never answers: one line and exit code 1', async () => {
    const client: SecretGetter = { getSecret: () => new Promise(() => {}) };

    const code = await runReadLoop(client, options({ runOnce: true, readTimeoutInMs: 50 }));

    expect(code).toBe(1);
    expect(stderr.mock.calls).toEqual([
      [
        expect.stringMatching(
          /^Failed to read secret "username": no answer from Key Vault within 50ms/,
        ),
      ],
    ]);
  });

  test('fails when the read ignores the abort: the loop still returns 0 at once', async () => {
    // GIVEN a read that never settles and ignores the signal, as a credential stuck in MSAL would
    // (and SIGTERM comes while it hangs: the abort is sent once the read has started)
    const client: SecretGetter = {
      getSecret: () => {
        queueMicrotask(() => controller.abort());
        return new Promise(() => {});
      },
    };

    // WHEN SIGTERM aborts the loop, THEN it ends without a failure line: nothing else could end the read, as its
    // timeout is ten minutes away (the bench measures how fast: SIGTERM to exit)
    expect(await runReadLoop(client, options({ readTimeoutInMs: 600_000 }))).toBe(0);
    expect(stderr).not.toHaveBeenCalled();
  });

  test('a read cut short by the abort is not a failure', async () => {
    const client: SecretGetter = {
      getSecret: (_name, opts) => {
        const read = new Promise<KeyVaultSecret>((_, reject) =>
          opts?.abortSignal?.addEventListener('abort', () =>
            reject(Object.assign(new Error('aborted'), { name: 'AbortError' })),
          ),
        );
        queueMicrotask(() => controller.abort());
        return read;
      },
    };

    expect(await runReadLoop(client, options())).toBe(0);
    expect(stderr).not.toHaveBeenCalled();
  });

  test('the pause between reads ends at once on abort', async () => {
    const client = scripted(['s3cr3t', 'never read'], new AbortController());
    // SIGTERM comes once the first secret is printed, during the ten-minute pause: only the abort can end it.
    stdout.mockImplementation(() => queueMicrotask(() => controller.abort()));

    expect(await runReadLoop(client, options({ readIntervalInMs: 600_000 }))).toBe(0);
    expect(client.calls).toBe(1);
  });
});

describe('backoffInMs', () => {
  test('doubles from the minimum and stops at the maximum', () => {
    expect([0, 1, 2, 5, 6, 7, 1000].map((n) => backoffInMs(n, 1000, 60_000))).toEqual([
      1000, 2000, 4000, 32_000, 60_000, 60_000, 60_000,
    ]);
  });
});
