import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect as tlsConnect } from 'node:tls';
import { parse } from 'yaml';
import { DEFAULT_CONFIG_PATH } from '../../config/load-config';

/** A fresh temp folder for one test. */
export function tempDir(prefix = 'wi-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** The default config file as a plain object, to edit in a test. */
export function defaultConfigData(): any {
  return parse(readFileSync(DEFAULT_CONFIG_PATH, 'utf8'));
}

/** The project root (tests run from it). */
export const ROOT = process.cwd();
/** The compiled command line (test/support/global-setup.ts builds it), as `npm run cli` runs it. */
export const CLI = join(ROOT, 'build', 'main.mjs');

/** The pids of processes whose environment carries `marker`: a run's children, grandchildren and any orphan of them. */
export function pidsMarked(marker: string): number[] {
  return readdirSync('/proc')
    .filter((pid) => /^\d+$/.test(pid))
    .filter((pid) => {
      try {
        return readFileSync(`/proc/${pid}/environ`, 'utf8').includes(marker);
      } catch {
        return false;
      }
    })
    .map(Number);
}

/** The command lines of the processes whose environment carries `marker` (the pid of one that is gone meanwhile). */
export function processesMarked(marker: string): string[] {
  return pidsMarked(marker).map((pid) => {
    try {
      return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ').trim();
    } catch {
      return String(pid);
    }
  });
}

/** What a service of the local cloud answered. */
export interface Answer {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

/**
 * An HTTPS request to a real Azure URL through a local cloud's proxy (`CONNECT <host>:443`), trusting only the local
 * CA, as a client with `HTTPS_PROXY` and `NODE_EXTRA_CA_CERTS` sends it. Rejects when the proxy refuses the tunnel.
 */
export async function sendThroughProxy(
  cloud: { readonly proxyUrl: string; readonly caCertPath: string },
  url: string,
  init: { method?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<Answer> {
  const target = new URL(url);
  const proxy = new URL(cloud.proxyUrl);
  const socket = await new Promise<Socket>((done, fail) =>
    httpRequest({
      host: proxy.hostname,
      port: proxy.port,
      method: 'CONNECT',
      path: `${target.hostname}:443`,
    })
      .on('connect', (res, s) =>
        res.statusCode === 200
          ? done(s)
          : fail(new Error(`the proxy refused CONNECT ${target.hostname}:443 (${res.statusCode})`)),
      )
      .on('error', fail)
      .end(),
  );
  const ca = readFileSync(cloud.caCertPath);
  return new Promise((done, fail) => {
    const req = httpsRequest(
      {
        host: target.hostname,
        path: target.pathname + target.search,
        method: init.method ?? 'GET',
        headers: init.headers,
        createConnection: () => tlsConnect({ socket, servername: target.hostname, ca }),
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
        res.on('end', () => done({ status: res.statusCode ?? 0, headers: res.headers, body }));
      },
    );
    req.on('error', fail);
    req.end(init.body);
  });
}
