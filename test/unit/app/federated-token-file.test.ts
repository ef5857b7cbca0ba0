import { mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, test, vi } from 'vitest';
import { FederatedTokenFile, jwtExpiresAtMs } from '../../../app/federated-token-file';

const NOW = Date.parse('2026-03-04T05:00:00Z');

/** An unsigned JWT whose payload has `exp`: enough for the client, which never verifies it. */
function jwt(expiresAtMs: number, subject = 'system:serviceaccount:demo:workload'): string {
  const part = (o: object): string => Buffer.from(JSON.stringify(o)).toString('base64url');
  return `${part({ alg: 'RS256' })}.${part({ sub: subject, exp: Math.floor(expiresAtMs / 1000) })}.signature`;
}

let dir: string;
let path: string;

/** Writes the token as kubelet would, with an explicit mtime so that the test does not depend on clock resolution. */
function writeToken(token: string, mtimeMs: number): void {
  writeFileSync(path, token);
  utimesSync(path, mtimeMs / 1000, mtimeMs / 1000);
}

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['Date'] });
  vi.setSystemTime(NOW);
  dir = mkdtempSync(join(tmpdir(), 'app-token-'));
  path = join(dir, 'azure-identity-token');
});

afterEach(() => {
  vi.useRealTimers();
  rmSync(dir, { recursive: true, force: true });
});

describe('FederatedTokenFile', () => {
  // The tests see a read by its result: the file's content is swapped behind the cache's back (same size and
  // mtime, another subject), so a cached answer returns the first token and a read of the file the second.
  const first = (exp: number) => jwt(exp, 'system:serviceaccount:demo:workload-1');
  const second = (exp: number) => jwt(exp, 'system:serviceaccount:demo:workload-2');
  function swapBehindTheCache(token: string, mtimeMs: number): void {
    writeToken(token, mtimeMs);
  }

  test('reads the file once while it is unchanged and fresh', async () => {
    // GIVEN a token valid for an hour, read once
    writeToken(first(NOW + 3_600_000), NOW - 1000);
    const file = new FederatedTokenFile(path);
    expect(await file.read()).toBe(first(NOW + 3_600_000));
    swapBehindTheCache(second(NOW + 3_600_000), NOW - 1000);

    // WHEN it is asked for twice more within four minutes
    vi.setSystemTime(NOW + 60_000);
    const later = await file.read();
    vi.setSystemTime(NOW + 4 * 60_000);
    const latest = await file.read();

    // THEN both answers came from the cache, not from the file
    expect([later, latest]).toEqual([first(NOW + 3_600_000), first(NOW + 3_600_000)]);
  });

  test('re-reads when kubelet rotated the file', async () => {
    writeToken(jwt(NOW + 3_600_000, 'old'), NOW - 1000);
    const file = new FederatedTokenFile(path);
    await file.read();

    const rotated = jwt(NOW + 7_200_000, 'new');
    writeToken(rotated, NOW);

    expect(await file.read()).toBe(rotated);
  });

  test('re-reads when only the mtime changed', async () => {
    writeToken(first(NOW + 3_600_000), NOW - 1000);
    const file = new FederatedTokenFile(path);
    await file.read();

    swapBehindTheCache(second(NOW + 3_600_000), NOW);

    expect(await file.read()).toBe(second(NOW + 3_600_000));
  });

  test('re-reads after 5 minutes even when unchanged', async () => {
    writeToken(first(NOW + 3_600_000), NOW - 1000);
    const file = new FederatedTokenFile(path);
    await file.read();
    swapBehindTheCache(second(NOW + 3_600_000), NOW - 1000);

    vi.setSystemTime(NOW + 5 * 60_000);

    expect(await file.read()).toBe(second(NOW + 3_600_000));
  });

  test('re-reads when the cached token is within 5 minutes of its exp', async () => {
    writeToken(first(NOW + 4 * 60_000), NOW - 1000);
    const file = new FederatedTokenFile(path);
    await file.read();
    swapBehindTheCache(second(NOW + 4 * 60_000), NOW - 1000);

    expect(await file.read()).toBe(second(NOW + 4 * 60_000));
  });

  test('trims the trailing newline some tools write', async () => {
    const token = jwt(NOW + 3_600_000);
    writeToken(`${token}\n`, NOW);
    expect(await new FederatedTokenFile(path).read()).toBe(token);
  });

  test('fails when the file is empty', async () => {
    writeToken('', NOW);
    await expect(new FederatedTokenFile(path).read()).rejects.toThrow(
      `AZURE_FEDERATED_TOKEN_FILE "${path}" cannot be read: it is empty`,
    );
  });

  test('fails when the file is missing, naming the variable and the path', async () => {
    const missing = join(dir, 'missing');
    await expect(new FederatedTokenFile(missing).read()).rejects.toThrow(
      `AZURE_FEDERATED_TOKEN_FILE "${missing}" cannot be read: ENOENT: no such file or directory`,
    );
  });

  test('fails when the path is a directory, naming the variable and the path (not a bare EISDIR)', async () => {
    await expect(new FederatedTokenFile(dir).read()).rejects.toThrow(
      `AZURE_FEDERATED_TOKEN_FILE "${dir}" cannot be read: it is a directory`,
    );
  });
});

describe('jwtExpiresAtMs', () => {
  test('decodes exp without verifying the signature', () => {
    expect(jwtExpiresAtMs(jwt(NOW + 3_600_000))).toBe(NOW + 3_600_000);
  });

  test.each(['', 'not-a-jwt', 'a.b.c', `a.${Buffer.from('null').toString('base64url')}.c`])(
    'is +Infinity for %j',
    (token) => {
      expect(jwtExpiresAtMs(token)).toBe(Number.POSITIVE_INFINITY);
    },
  );
});
