import { afterEach, describe, expect, test, vi } from 'vitest';
import { errorHint, formatFailureLine } from '../../../app/output';
import { readSecret } from '../../../app/read-secret';
import { createSecretClient } from '../../../app/secret-client';
import {
  type AccessToken,
  createHttpHeaders,
  type HttpClient,
  type PipelineRequest,
  type PipelineResponse,
  SecretClient,
  type TokenCredential,
} from '../../support/app-sdk';

const SECRET = 'hunter2-s3cr3t';
const VAULT = 'https://my-vault.vault.azure.net/';
const credential: TokenCredential = {
  getToken: async (): Promise<AccessToken> => ({
    token: 'access-token',
    expiresOnTimestamp: Date.now() + 3_600_000,
  }),
};

/** The real SecretClient over an HTTP client that gives `answer` to every request. */
function vaultAnswering(
  answer: (request: PipelineRequest) => Promise<Omit<PipelineResponse, 'request'>>,
  tokens: TokenCredential = credential,
): SecretClient {
  const httpClient: HttpClient = {
    sendRequest: async (request) => ({ request, ...(await answer(request)) }),
  };
  return new SecretClient(VAULT, tokens, { httpClient, retryOptions: { maxRetries: 0 } });
}

const answer = (status: number, contentType: string, body: string) => async () => ({
  status,
  headers: createHttpHeaders({ 'content-type': contentType }),
  bodyAsText: body,
});

/** The failure line the program would print for a read of `client`, and the error behind it. */
async function failureOf(client: SecretClient): Promise<{ line: string; err: unknown }> {
  const err = await readSecret(client, 'username', {
    abortSignal: new AbortController().signal,
    timeoutInMs: 5_000,
  }).then(
    () => {
      throw new Error('the read succeeded');
    },
    (e: unknown) => e,
  );
  return { line: formatFailureLine('username', err), err };
}

afterEach(() => {
  vi.useRealTimers();
});

describe('readSecret', () => {
  test('returns the value of a well-formed answer', async () => {
    const client = vaultAnswering(
      answer(200, 'application/json', JSON.stringify({ value: SECRET, id: `${VAULT}secrets/u/1` })),
    );
    expect(
      await readSecret(client, 'username', {
        abortSignal: new AbortController().signal,
        timeoutInMs: 5_000,
      }),
    ).toBe(SECRET);
  });

  test.each([
    [
      'a 200 is cut off inside the secret',
      answer(200, 'application/json; charset=utf-8', `{"value":"${SECRET}","id":"${VAULT}secr`),
      'Key Vault answered 200 (application/json, 69 bytes) with a body that is not valid JSON',
    ],
    [
      'a 200 is an HTML page',
      answer(200, 'text/html', `<html><body>${SECRET}</body></html>`),
      'Key Vault answered 200 (text/html, 40 bytes) with something that is not a secret',
    ],
    [
      'a 200 is JSON without value',
      answer(200, 'application/json', JSON.stringify({ id: `${VAULT}secrets/${SECRET}/1` })),
      'Key Vault answered 200 (application/json, 66 bytes) without a secret value',
    ],
    [
      'a 200 is JSON null',
      answer(200, 'application/json', 'null'),
      'Key Vault answered 200 (application/json, 4 bytes) with something that is not a secret',
    ],
    [
      'a 200 has a number for value',
      answer(200, 'application/json', '{"value":42}'),
      'Key Vault answered 200 (application/json, 12 bytes) with something that is not a secret',
    ],
    [
      'a 200 is empty',
      answer(200, 'text/plain', ''),
      'Key Vault answered 200 (text/plain, 0 bytes) with something that is not a secret',
    ],
    [
      'a 502 is cut off JSON',
      answer(502, 'application/json', `{"error":{"message":"${SECRET}`),
      'Key Vault answered 502 (application/json, 35 bytes) with a body that is not valid JSON',
    ],
  ])('fails when %s: one line with a hint, never the body', async (_, respond, summary) => {
    const { line, err } = await failureOf(vaultAnswering(respond));

    expect(line).toBe(`Failed to read secret "username": ${summary} (hint: ${errorHint(err)})`);
    expect(errorHint(err)).toBeTruthy();
    expect(line).not.toContain(SECRET);
    expect(line).not.toMatch(/TypeError|SyntaxError/);
  });

  test("fails when the answer's content type is hostile: it is cut to a media type", async () => {
    const { line } = await failureOf(
      vaultAnswering(answer(200, `text/html; x=${SECRET}${'a'.repeat(500)}`, '<p>')),
    );
    expect(line).toMatch(/answered 200 \(text\/html, 3 bytes\)/);
    expect(line).not.toContain(SECRET);
  });

  test('fails when the vault never answers: a ReadTimeoutError after timeoutInMs', async () => {
    // The clock is the test's: the read ends when 200 ms have passed on it, not before, whatever the machine's load.
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const client = vaultAnswering(() => new Promise(() => {}));
    let settled = false;
    const read = readSecret(client, 'username', {
      abortSignal: new AbortController().signal,
      timeoutInMs: 200,
    })
      .catch((e: unknown) => e)
      .finally(() => {
        settled = true;
      });

    await vi.advanceTimersByTimeAsync(199);
    expect(settled).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    const err = await read;

    expect(err).toMatchObject({
      name: 'ReadTimeoutError',
      message: 'no answer from Key Vault within 200ms (READ_TIMEOUT_MS)',
    });
    expect(formatFailureLine('username', err)).toBe(
      'Failed to read secret "username": no answer from Key Vault within 200ms (READ_TIMEOUT_MS) (hint: is the vault reachable from the pod (network policy, firewall, private endpoint, HTTPS_PROXY)? READ_TIMEOUT_MS sets the limit)',
    );
  });

  test('fails when the credential ignores the abort signal: the read still ends at once on abort', async () => {
    // GIVEN a vault that asks for a token, and a credential whose getToken never settles and ignores the signal
    const challenge = answer(401, 'application/json', '{"error":{"code":"Unauthorized"}}');
    const client = vaultAnswering(
      async () => ({
        ...(await challenge()),
        headers: createHttpHeaders({
          'www-authenticate':
            'Bearer authorization="https://login.microsoftonline.com/00000000-0000-0000-0000-000000000002", resource="https://vault.azure.net"',
        }),
      }),
      {
        getToken: () => {
          // WHEN SIGTERM aborts the read while the credential hangs
          queueMicrotask(() => controller.abort());
          return new Promise<AccessToken>(() => {});
        },
      },
    );
    const controller = new AbortController();

    const read = readSecret(client, 'username', {
      abortSignal: controller.signal,
      timeoutInMs: 600_000,
    }).catch((e: unknown) => e);

    // THEN the read ends with the abort: nothing else could end it, its timeout is ten minutes away
    expect(await read).toMatchObject({ name: 'AbortError' });
  });
});

describe('createSecretClient against a vault that redirects', () => {
  const CHALLENGE = {
    status: 401,
    headers: createHttpHeaders({
      'content-type': 'application/json',
      'www-authenticate':
        'Bearer authorization="https://login.microsoftonline.com/00000000-0000-0000-0000-000000000002", resource="https://vault.azure.net"',
    }),
    bodyAsText: '{"error":{"code":"Unauthorized"}}',
  };

  /** The program's client over a vault that asks for a token, then answers `status` with `location`. */
  function redirecting(status: number, location: string) {
    const sent: { url: string; authorization: string | undefined }[] = [];
    const httpClient: HttpClient = {
      sendRequest: async (request) => {
        sent.push({ url: request.url, authorization: request.headers.get('authorization') });
        if (!request.headers.has('authorization')) return { request, ...CHALLENGE };
        if (new URL(request.url).pathname.startsWith('/secrets/username')) {
          return {
            request,
            status,
            headers: createHttpHeaders({ 'content-type': 'text/html', location }),
            bodyAsText: '',
          };
        }
        return {
          request,
          status: 200,
          headers: createHttpHeaders({ 'content-type': 'application/json' }),
          bodyAsText: JSON.stringify({ value: SECRET, id: `${VAULT}secrets/elsewhere/1` }),
        };
      },
    };
    return { client: createSecretClient(VAULT, credential, httpClient), sent };
  }

  test.each([
    [302, 'https://evil.example.com/collect?from=vault', 'evil.example.com'],
    [307, 'https://evil.example.com:8443/collect', 'evil.example.com:8443'],
    [307, '/secrets/elsewhere?api-version=7.6', 'my-vault.vault.azure.net'],
    [308, `${VAULT}secrets/elsewhere`, 'my-vault.vault.azure.net'],
  ])(
    'fails when the vault answers %i to %s: the status and the host, and the redirect is not followed with the token',
    async (status, location, host) => {
      const { client, sent } = redirecting(status, location);

      const { line, err } = await failureOf(client);

      expect(line).toBe(
        `Failed to read secret "username": Key Vault answered ${status} (text/html, 0 bytes) redirecting to ${host}, not followed (hint: ${errorHint(err)})`,
      );
      expect(errorHint(err)).toBeTruthy();
      // The challenge, then the read with the token: nothing goes to the location.
      expect(sent.map((r) => [new URL(r.url).pathname, r.authorization])).toEqual([
        ['/secrets/username/', undefined],
        ['/secrets/username/', 'Bearer access-token'],
      ]);
    },
  );

  test('fails when a redirect has no location: the status, and no location', async () => {
    const { client } = redirecting(301, '');
    const { line } = await failureOf(client);
    expect(line).toMatch(
      /Key Vault answered 301 \(text\/html, 0 bytes\) redirecting to no location, not followed/,
    );
  });
});

describe('formatFailureLine', () => {
  test.each([
    [
      "core-client's parse error",
      {
        name: 'RestError',
        code: 'PARSE_ERROR',
        statusCode: 200,
        message: `Error "SyntaxError: Unexpected token 'h', "${SECRET}"... is not valid JSON" occurred while parsing the response body - {"value":"${SECRET}`,
      },
    ],
    [
      "@azure/identity's error for a token answer that is not JSON",
      {
        name: 'AuthenticationError',
        statusCode: 500,
        message: `unknown_error Status code: 500\nMore details:\nAn unknown error has occurred. Response body:\n\n{"access_token":"${SECRET}`,
      },
    ],
    [
      'an error quoting the body of the response it carries',
      {
        name: 'RestError',
        statusCode: 400,
        message: `Bad answer: {"x":"${SECRET}"}`,
        response: { bodyAsText: `{"x":"${SECRET}"}` },
      },
    ],
  ])('fails when the SDK quotes a body (%s): the body is not shown', (_, err) => {
    const line = formatFailureLine('username', err);
    expect(line).not.toContain(SECRET);
    expect(line).toContain('(body not shown)');
  });
});
