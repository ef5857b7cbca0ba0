import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { CREDENTIAL_MODES } from '../../../app/credential-modes';
import { imageNodeFlags } from '../../../lab/lab';
import {
  killRunningApps,
  removeVaultCertificates,
  startApp as start,
  startVaultStandIn,
  type VaultAnswer,
  type VaultStandIn,
} from '../../support/app-helpers';

// A ceiling on waiting for a program's output, far above what it needs even on a busy machine: it only ends a hung
// test, no result depends on it. The tests themselves get vitest.config.ts's ceiling.
const EVENT_CEILING_MS = 300_000;

let proxy: Server | undefined;
const tunnels: Socket[] = [];

afterEach(async () => {
  killRunningApps();
  // Tunnel sockets are no longer the server's: close them, or close() waits for them.
  for (const socket of tunnels.splice(0)) socket.destroy();
  if (proxy) await new Promise((resolve) => proxy!.close(resolve));
  proxy = undefined;
});

describe('app/main.ts', () => {
  test('fails with exit code 2 and one line naming the variable when KEYVAULT_URL is missing', async () => {
    const run = start({ SECRET_NAME: 'username' });

    expect(await run.exit).toBe(2);
    expect(run.stderr()).toBe(
      'KEYVAULT_URL is not set: the vault URL, e.g. https://my-vault.vault.azure.net/\n',
    );
    expect(run.stdout()).toBe('');
  });

  test('ends with exit code 0 within a second of SIGTERM, even during a read', async () => {
    // GIVEN a proxy that accepts the tunnel request and never answers, so the read hangs
    proxy = createServer().on('connect', (_req, socket: Socket) => tunnels.push(socket));
    await new Promise<void>((resolve) => proxy!.listen(0, '127.0.0.1', resolve));
    const run = start({
      KEYVAULT_URL: 'https://my-vault.vault.azure.net/',
      SECRET_NAME: 'username',
      HOSTNAME: 'workload-7d9f',
      HTTPS_PROXY: `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`,
      CREDENTIAL_MODE: 'client-assertion',
      AZURE_CLIENT_ID: '00000000-0000-0000-0000-000000000001',
      AZURE_TENANT_ID: '00000000-0000-0000-0000-000000000002',
      AZURE_FEDERATED_TOKEN_FILE: '/nonexistent',
      READ_TIMEOUT_MS: '86400000',
    });
    // WHEN the pod is stopped while its read is in flight (its tunnel request reached the proxy)
    await expect.poll(() => tunnels.length, { timeout: EVENT_CEILING_MS }).toBeGreaterThan(0);
    expect(run.stdout()).toMatch(/^START \d\d\/\d\d\/\d{4} \d\d:\d\d:\d\d \(workload-7d9f\)\n$/);
    run.child.kill('SIGTERM');

    // THEN it exits cleanly, without a failure line: nothing but SIGTERM ends a read whose timeout is a day away
    // (the bench measures how fast: SIGTERM to exit, budget 1 s)
    expect(await run.exit).toBe(0);
    expect(run.stderr()).toBe('');
  });

  test("ends with exit code 0 by its deadline after SIGTERM when the abort's listeners never return", async () => {
    // GIVEN a read that hangs (a proxy that never answers, a read timeout a day away), in a program whose abort
    // listeners are each replaced by one that never settles, as a request that ignores the abort (MSAL, IMDS probing):
    // nothing the abort should end ends, so only main.ts's deadline can stop the program
    proxy = createServer().on('connect', (_req, socket: Socket) => tunnels.push(socket));
    await new Promise<void>((resolve) => proxy!.listen(0, '127.0.0.1', resolve));
    const neverReturns = [
      'const add = EventTarget.prototype.addEventListener;',
      'EventTarget.prototype.addEventListener = function (type, listener, options) {',
      "  return add.call(this, type, type === 'abort' ? () => new Promise(() => {}) : listener, options);",
      '};',
    ].join('\n');
    const run = start(
      {
        KEYVAULT_URL: 'https://my-vault.vault.azure.net/',
        SECRET_NAME: 'username',
        HTTPS_PROXY: `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`,
        CREDENTIAL_MODE: 'client-assertion',
        AZURE_CLIENT_ID: '00000000-0000-0000-0000-000000000001',
        AZURE_TENANT_ID: '00000000-0000-0000-0000-000000000002',
        AZURE_FEDERATED_TOKEN_FILE: '/nonexistent',
        READ_TIMEOUT_MS: '86400000',
      },
      [`--import=data:text/javascript,${encodeURIComponent(neverReturns)}`],
    );
    await expect.poll(() => tunnels.length, { timeout: EVENT_CEILING_MS }).toBeGreaterThan(0);
    // WHEN the pod is stopped
    const sent = performance.now();
    run.child.kill('SIGTERM');
    // THEN the deadline ends it with 0, and not before it (so the deadline, not the abort, ended it): under a second,
    // counted in generous seconds on a busy machine, where a missing deadline leaves the program running for a day
    const ended = await Promise.race([
      run.exit,
      new Promise<'still running'>((resolve) => setTimeout(() => resolve('still running'), 20_000)),
    ]);
    const elapsed = performance.now() - sent;
    expect(ended).toBe(0);
    expect(elapsed).toBeGreaterThanOrEqual(900);
    expect(run.stderr()).toBe('');
  });
});

describe('app/main.ts against a stand-in vault', () => {
  const SECRET = 'hunter2-s3cr3t';
  const base = { KEYVAULT_URL: 'https://my-vault.vault.azure.net/', SECRET_NAME: 'username' };
  let vault: VaultStandIn;

  beforeAll(async () => {
    vault = await startVaultStandIn();
  });
  afterAll(async () => {
    await vault?.close();
    await removeVaultCertificates();
  });

  test('reads the secret the stand-in answers (the harness works)', async () => {
    vault.answer({
      status: 200,
      contentType: 'application/json; charset=utf-8',
      body: JSON.stringify({
        value: SECRET,
        id: 'https://my-vault.vault.azure.net/secrets/username/0123456789abcdef',
      }),
    });
    const run = start({ ...base, ...vault.env, RUN_ONCE: 'true', SHOW_SECRET: 'true' });

    expect(await run.exit).toBe(0);
    expect(run.stdout()).toMatch(/\nYour secret is hunter2-s3cr3t\n$/);
  });

  test('fails when each read opens a new tunnel: reads through HTTPS_PROXY share one kept-alive tunnel', async () => {
    vault.answer({
      status: 200,
      contentType: 'application/json',
      body: JSON.stringify({ value: SECRET, id: `${base.KEYVAULT_URL}secrets/username/01` }),
    });
    const before = { connects: vault.connects, requests: vault.requests };
    const run = start({ ...base, ...vault.env, READ_INTERVAL_MS: '1' });

    await expect
      .poll(
        () =>
          run
            .stdout()
            .split('\n')
            .filter((l) => l.startsWith('Your secret')).length,
        { timeout: EVENT_CEILING_MS },
      )
      .toBeGreaterThanOrEqual(20);
    run.child.kill('SIGTERM');
    expect(await run.exit).toBe(0);
    expect(vault.requests - before.requests).toBeGreaterThanOrEqual(20);
    expect(vault.connects - before.connects).toBe(1);
  });

  test.each<[string, VaultAnswer, RegExp]>([
    [
      'is a 200 whose JSON is cut off in the middle of the secret',
      {
        status: 200,
        contentType: 'application/json; charset=utf-8',
        body: `{"value":"${SECRET}","id":"https://my-vault.vault.azure.net/secrets/username/01`,
      },
      /^Key Vault answered 200 \(application\/json, \d+ bytes\) with a body that is not valid JSON$/,
    ],
    [
      'is an HTML page that holds the secret',
      {
        status: 200,
        contentType: 'text/html',
        body: `<html><body>Sign in to continue ${SECRET}</body></html>`,
      },
      /^Key Vault answered 200 \(text\/html, \d+ bytes\) with something that is not a secret$/,
    ],
    [
      'is JSON without a value',
      {
        status: 200,
        contentType: 'application/json',
        body: JSON.stringify({ id: `https://my-vault.vault.azure.net/secrets/username/${SECRET}` }),
      },
      /^Key Vault answered 200 \(application\/json, \d+ bytes\) without a secret value$/,
    ],
  ])(
    'fails when the answer %s: one line with a hint, no body, exit 1',
    async (_, answer, summary) => {
      vault.answer(answer);
      const run = start({ ...base, ...vault.env, RUN_ONCE: 'true', SHOW_SECRET: 'false' });

      expect(await run.exit).toBe(1);
      const lines = run.stderr().split('\n').filter(Boolean);
      expect(lines).toHaveLength(1);
      const [, text, hint] =
        /^Failed to read secret "username": (.*) \(hint: (.*)\)$/.exec(lines[0]!) ?? [];
      expect(text).toMatch(summary);
      expect(hint).toBeTruthy();
      expect(run.stdout() + run.stderr()).not.toContain(SECRET);
      expect(run.stderr()).not.toMatch(/TypeError|SyntaxError|<html>/);
    },
  );

  test('fails when the vault never answers a RUN_ONCE read: one line, exit 1, within READ_TIMEOUT_MS', async () => {
    vault.answer('never');
    const run = start({ ...base, ...vault.env, RUN_ONCE: 'true', READ_TIMEOUT_MS: '1500' });

    // The vault never answers: only READ_TIMEOUT_MS can end the read.
    expect(await run.exit).toBe(1);
    expect(run.stderr()).toBe(
      'Failed to read secret "username": no answer from Key Vault within 1.5s (READ_TIMEOUT_MS) (hint: is the vault reachable from the pod (network policy, firewall, private endpoint, HTTPS_PROXY)? READ_TIMEOUT_MS sets the limit)\n',
    );
  });

  test('fails when the vault never answers in loop mode: the read is retried after the timeout', async () => {
    vault.answer('never');
    const run = start({
      ...base,
      ...vault.env,
      READ_TIMEOUT_MS: '500',
      RETRY_MIN_MS: '10',
      RETRY_MAX_MS: '10',
    });

    await expect
      .poll(() => run.stderr().split('\n').filter(Boolean).length, { timeout: EVENT_CEILING_MS })
      .toBeGreaterThanOrEqual(2);
    run.child.kill('SIGTERM');
    expect(await run.exit).toBe(0);
    // Each attempt is counted by its line, not by the vault's requests: on a busy machine an attempt can time out
    // before its request even reaches the vault (the tunnel and TLS take longer than 500 ms), and that is a retry too.
    const [first, second] = run.stderr().split('\n');
    const timedOut =
      'Failed to read secret "username": no answer from Key Vault within 500ms (READ_TIMEOUT_MS) (hint: is the vault reachable from the pod (network policy, firewall, private endpoint, HTTPS_PROXY)? READ_TIMEOUT_MS sets the limit) - retrying in 10ms';
    expect([first, second]).toEqual([timedOut, timedOut]);
  });

  // 64 MB of a well-formed secret bundle: without a bound, the image's 24 MB heap aborts the process (SIGABRT).
  const HUGE = JSON.stringify({
    value: SECRET.padEnd(64 * 2 ** 20, 'x'),
    id: `${base.KEYVAULT_URL}secrets/username/01`,
  });

  test.each([
    ['with its length', false, `${Buffer.byteLength(HUGE)} bytes`],
    ['chunked, without a length', true, 'more than 1048576 bytes'],
  ])(
    "fails when the vault answers 64 MB %s, on the image's Node flags: a failed read naming the size, no crash",
    async (_, chunked, size) => {
      vault.answer({ status: 200, contentType: 'application/json', body: HUGE, chunked });
      const run = start({ ...base, ...vault.env, RUN_ONCE: 'true' }, imageNodeFlags());

      expect(await run.exit).toBe(1);
      const lines = run.stderr().split('\n').filter(Boolean);
      expect(lines).toHaveLength(1);
      const [, text, hint] =
        /^Failed to read secret "username": (.*) \(hint: (.*)\)$/.exec(lines[0]!) ?? [];
      expect(text).toBe(
        `Key Vault answered 200 (application/json, ${size}) that is larger than the 1048576 bytes an answer may have: not read`,
      );
      expect(hint).toBeTruthy();
      expect(run.stdout() + run.stderr()).not.toContain(SECRET);
    },
  );

  test.each([
    [302, 'https://collector.example.com/steal?from=vault'],
    [307, 'https://other-vault.vault.azure.net/secrets/username'],
  ])(
    'fails when the vault answers %i to another host: its status and the host, never followed, no TypeError',
    async (status, location) => {
      vault.answer({ status, contentType: 'text/html', body: '', headers: { location } });
      const before = vault.requests;
      const run = start({ ...base, ...vault.env, RUN_ONCE: 'true' });

      expect(await run.exit).toBe(1);
      const host = new URL(location).host;
      expect(run.stderr()).toMatch(
        new RegExp(
          `^Failed to read secret "username": Key Vault answered ${status} \\(text/html, 0 bytes\\) redirecting to ${host.replaceAll('.', '\\.')}, not followed \\(hint: .+\\)\n$`,
        ),
      );
      // Every host is served by the stand-in: one request means the redirect was not followed.
      expect(vault.requests - before).toBe(1);
    },
  );

  test.each([
    ['a path', 'https://my-vault.vault.azure.net/secrets/username'],
    ['a query', 'https://my-vault.vault.azure.net/?api-version=7.5'],
  ])('fails at start with exit 2 when KEYVAULT_URL has %s, before any request', async (_, url) => {
    const before = vault.requests;
    const run = start({ ...base, ...vault.env, KEYVAULT_URL: url });

    expect(await run.exit).toBe(2);
    expect(run.stderr()).toBe(
      `KEYVAULT_URL "${url}" must be the vault's URL alone, without a path, query or fragment, e.g. https://my-vault.vault.azure.net/\n`,
    );
    expect(vault.requests).toBe(before);
  });
});

describe('app/main.ts with AZURE_FEDERATED_TOKEN_FILE naming a directory', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'app-token-dir-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test.each(CREDENTIAL_MODES)(
    'fails in CREDENTIAL_MODE=%s at start with exit 2 and one line naming the variable and the path',
    async (mode) => {
      const run = start({
        KEYVAULT_URL: 'https://my-vault.vault.azure.net/',
        SECRET_NAME: 'username',
        CREDENTIAL_MODE: mode,
        AZURE_CLIENT_ID: '00000000-0000-0000-0000-000000000001',
        AZURE_TENANT_ID: '00000000-0000-0000-0000-000000000002',
        AZURE_FEDERATED_TOKEN_FILE: dir,
      });

      expect(await run.exit).toBe(2);
      expect(run.stderr()).toBe(
        `AZURE_FEDERATED_TOKEN_FILE "${dir}" is a directory: it must name the projected service account token file, e.g. /var/run/secrets/azure/tokens/azure-identity-token\n`,
      );
      expect(run.stdout()).toBe('');
    },
  );
});
