import { type ChildProcess, spawn } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { afterEach, describe, expect, test } from 'vitest';

const ROOT = new URL('..', import.meta.url).pathname;

/** Starts app/main.ts with only `env` (plus PATH): the program must need nothing else. */
function start(env: Record<string, string>): {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  exit: Promise<number | null>;
} {
  const child = spawn(process.execPath, ['--import', 'tsx', 'app/main.ts'], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', ...env },
  });
  let out = '';
  let err = '';
  child.stdout!.on('data', (chunk: Buffer) => (out += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (err += chunk.toString()));
  const exit = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, stdout: () => out, stderr: () => err, exit };
}

let proxy: Server | undefined;
const tunnels: Socket[] = [];

afterEach(async () => {
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
    });
    await expect
      .poll(run.stdout, { timeout: 10_000 })
      .toMatch(/^START \d\d\/\d\d\/\d{4} \d\d:\d\d:\d\d \(workload-7d9f\)\n$/);
    await new Promise((resolve) => setTimeout(resolve, 300));

    // WHEN the pod is stopped
    const stoppedAt = Date.now();
    run.child.kill('SIGTERM');

    // THEN it exits cleanly and at once, without a failure line
    expect(await run.exit).toBe(0);
    // The program's own deadline is 0.9 s; the margin absorbs a loaded CI machine (the bench measures the real figure).
    expect(Date.now() - stoppedAt).toBeLessThan(3000);
    expect(run.stderr()).toBe('');
  }, 15_000);
});
