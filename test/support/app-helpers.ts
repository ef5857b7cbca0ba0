/**
 * Helpers of the workload program's tests: run the program as a process, and stand in for Key Vault over HTTPS.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import { type AddressInfo, connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createCertificates, type LocalCertificates } from '../../local-cloud/core/certificates';

const ROOT = new URL('../..', import.meta.url).pathname;

/**
 * The command that runs the workload program: `WI_APP_NODE` (CI sets it to the image's Node 24), else this Node.
 *
 * It runs what the image runs: the program compiled to one file with the image's bundle options (build/app/main.cjs,
 * which the suite's global setup builds from app/; the lab's pods run it too), not its TypeScript sources. It then
 * starts in about 0.2 s of CPU instead of 1 s through a TypeScript loader.
 */
export function appCommand(): { command: string; args: string[] } {
  return {
    command: process.env.WI_APP_NODE || process.execPath,
    args: [join(ROOT, 'build', 'app', 'main.cjs')],
  };
}

/** A running workload program. */
export interface AppRun {
  readonly child: ChildProcess;
  stdout(): string;
  stderr(): string;
  readonly exit: Promise<number | null>;
}

const running = new Set<ChildProcess>();

/** Starts app/main.ts with only `env` (plus PATH): the program must need nothing else. `nodeFlags` go to Node. */
export function startApp(env: Record<string, string>, nodeFlags: readonly string[] = []): AppRun {
  const { command, args } = appCommand();
  const child = spawn(command, [...nodeFlags, ...args], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', ...env },
  });
  running.add(child);
  child.on('exit', () => running.delete(child));
  let out = '';
  let err = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    out += chunk.toString();
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    err += chunk.toString();
  });
  const exit = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, stdout: () => out, stderr: () => err, exit };
}

/** Kills the programs a test started and left running (a failed assertion must not leave a loop behind). */
export function killRunningApps(): void {
  for (const child of running) child.kill('SIGKILL');
  running.clear();
}

/** One answer of the stand-in vault: `never` holds the request open without answering. */
export type VaultAnswer =
  | {
      readonly status: number;
      readonly contentType: string;
      readonly body: string;
      /** Further headers, e.g. `location` or `www-authenticate`. */
      readonly headers?: Readonly<Record<string, string>>;
      /** Send the body chunked, without a `Content-Length`. */
      readonly chunked?: boolean;
    }
  | 'never';

/** Key Vault's host names over HTTPS, answering what the test says; reached through a CONNECT proxy. */
export interface VaultStandIn {
  /** The environment that sends the program's HTTPS through the stand-in and trusts its CA. */
  readonly env: Readonly<Record<string, string>>;
  /** What the next requests get; the last answer repeats. */
  answer(...answers: VaultAnswer[]): void;
  /** How many requests reached the vault. */
  readonly requests: number;
  /** How many CONNECT tunnels the proxy opened. */
  readonly connects: number;
  close(): Promise<void>;
}

let certificates: Promise<{ dir: string; certs: LocalCertificates }> | undefined;

/** Starts the stand-in: a TLS server for `*.vault.azure.net` and a proxy that tunnels every CONNECT to it. */
export async function startVaultStandIn(): Promise<VaultStandIn> {
  certificates ??= (async () => {
    const dir = mkdtempSync(join(tmpdir(), 'app-vault-'));
    return { dir, certs: await createCertificates(dir, ['*.vault.azure.net', 'localhost']) };
  })();
  const { certs } = await certificates;
  let answers: VaultAnswer[] = [{ status: 500, contentType: 'text/plain', body: 'no answer set' }];
  let requests = 0;
  let connects = 0;
  const held = new Set<Socket>();
  const vault: HttpsServer = createHttpsServer(
    { cert: certs.certPem, key: certs.keyPem },
    (req, res) => {
      requests++;
      const next = answers.length > 1 ? answers.shift()! : answers[0]!;
      req.resume();
      if (next === 'never') return;
      // writeHead fixes the headers: without a Content-Length here, Node sends the body chunked.
      const length = next.chunked ? {} : { 'content-length': Buffer.byteLength(next.body) };
      res.writeHead(next.status, { ...next.headers, ...length, 'content-type': next.contentType });
      res.end(next.body);
    },
  );
  vault.on('secureConnection', (socket) => {
    held.add(socket);
    socket.on('close', () => held.delete(socket));
  });
  const proxy: HttpServer = createHttpServer().on('connect', (_req, client: Socket) => {
    connects++;
    const upstream = connect((vault.address() as AddressInfo).port, '127.0.0.1', () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      upstream.pipe(client).pipe(upstream);
    });
    for (const socket of [client, upstream]) {
      held.add(socket);
      socket.on('error', () => socket.destroy());
      socket.on('close', () => held.delete(socket));
    }
  });
  await new Promise<void>((resolve) => vault.listen(0, '127.0.0.1', resolve));
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  return {
    env: {
      HTTPS_PROXY: `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`,
      NODE_EXTRA_CA_CERTS: certs.caCertPath,
    },
    answer(...next) {
      answers = next;
    },
    get requests() {
      return requests;
    },
    get connects() {
      return connects;
    },
    async close() {
      for (const socket of held) socket.destroy();
      await Promise.all(
        [vault, proxy].map((server) => new Promise((resolve) => server.close(resolve))),
      );
    },
  };
}

/** Removes the stand-in's certificates; call once after all tests of a file. */
export async function removeVaultCertificates(): Promise<void> {
  if (!certificates) return;
  const { dir } = await certificates;
  rmSync(dir, { recursive: true, force: true });
  certificates = undefined;
}
