/**
 * The door into the local cloud: an HTTP proxy that tunnels `CONNECT <azure host>:443` to one local TLS server.
 *
 * Programs keep their production settings (real host names, TLS, the SDK's challenge checks) and only get
 * `HTTPS_PROXY` and `NODE_EXTRA_CA_CERTS`, which the Azure SDK's HTTP pipeline honours.
 */

import type { Server } from 'node:http';
import { createServer as createHttpServer } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { connect } from 'node:net';
import type { LocalCertificates } from './certificates';
import type { RequestHandler } from './http';
import { sendJson } from './http';
import type { LocalCloudStats } from './stats';

/** A stand-in service behind one host name. */
export interface Route {
  /** Which counter of `stats.requests` its requests go to. */
  readonly kind: keyof LocalCloudStats['requests'];
  readonly handle: RequestHandler;
}

/** What the proxy serves. */
export interface ProxyOptions {
  readonly certificates: LocalCertificates;
  /** Services by lower-case host name; CONNECT to any other host is refused. */
  readonly routes: Pick<ReadonlyMap<string, Route>, 'get' | 'keys'>;
  readonly stats: LocalCloudStats;
  /** Told of every request a service failed to answer (it threw): the client gets a 500 and may retry forever. */
  readonly onFailure?: (host: string, err: Error) => void;
}

/** A running proxy and its TLS server. */
export interface LocalProxy {
  /** `http://127.0.0.1:<port>`: give it to programs as `HTTPS_PROXY`. */
  readonly url: string;
  /** The TLS server's port on 127.0.0.1, for tests that skip the proxy. */
  readonly tlsPort: number;
  /** Stop both servers and drop every open connection. */
  close(): Promise<void>;
}

/** Start the TLS server and the proxy in front of it, each on a random port of 127.0.0.1. */
export async function startProxy(options: ProxyOptions): Promise<LocalProxy> {
  const { certificates, routes, stats } = options;
  const tunnels = new Set<Socket>();

  const tls = createHttpsServer(
    { key: certificates.keyPem, cert: certificates.certPem },
    (req, res) => {
      // Routing by Host, like a front door: every tunnel ends at this one server.
      const host = (req.headers.host ?? '').replace(/:\d+$/, '').toLowerCase();
      const route = routes.get(host);
      if (!route) {
        return sendJson(res, 421, { error: `the local cloud does not serve host "${host}"` });
      }
      stats.requests[route.kind] += 1;
      // Origin-form only, read as a path of the routed host: `//other/x` or `//[` is a bad path, never another host
      // nor a failure of the local cloud (a 500).
      const target = req.url ?? '/';
      if (!target.startsWith('/')) {
        return sendJson(res, 400, { error: 'the request target must be a path (origin-form)' });
      }
      Promise.resolve()
        .then(() => route.handle(req, res, new URL(`https://${host}${target}`)))
        .catch((err: unknown) => {
          options.onFailure?.(host, err as Error);
          if (res.headersSent) {
            res.destroy();
          } else {
            sendJson(res, 500, { error: `local cloud failure: ${(err as Error).message}` });
          }
        });
    },
  );

  const proxy = createHttpServer((_req, res) => {
    // Azure's endpoints are HTTPS only; a plain request here means a client misconfigured its proxy.
    res.writeHead(403, { 'content-type': 'text/plain' });
    res.end('the local cloud proxy only tunnels HTTPS: CONNECT <host>:443\n');
  });
  proxy.on('connect', (req, client: Socket, head: Buffer) => {
    client.on('error', () => client.destroy());
    const target = req.url ?? '';
    const colon = target.lastIndexOf(':');
    const host = target
      .slice(0, colon)
      .replace(/^\[|\]$/g, '')
      .toLowerCase();
    if (target.slice(colon + 1) !== '443' || !routes.get(host)) {
      stats.connectsRefused += 1;
      const served = [...routes.keys()].join(', ');
      client.end(
        `HTTP/1.1 502 Bad Gateway\r\ncontent-type: text/plain\r\n\r\nthe local cloud serves only ${served} on port 443\n`,
      );
      return;
    }
    stats.connects[host] = (stats.connects[host] ?? 0) + 1;
    const upstream = connect(port(tls), '127.0.0.1', () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      upstream.write(head);
      upstream.pipe(client);
      client.pipe(upstream);
    });
    for (const socket of [client, upstream]) {
      tunnels.add(socket);
      socket.on('error', () => socket.destroy());
      socket.on('close', () => {
        tunnels.delete(socket);
        client.destroy();
        upstream.destroy();
      });
    }
  });

  await listen(tls);
  await listen(proxy);
  return {
    url: `http://127.0.0.1:${port(proxy)}`,
    tlsPort: port(tls),
    async close() {
      for (const socket of tunnels) {
        socket.destroy();
      }
      tls.closeAllConnections();
      proxy.closeAllConnections();
      await Promise.all([close(tls), close(proxy)]);
    },
  };
}

function listen(server: Server): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
}

function close(server: Server): Promise<void> {
  return new Promise((resolve) => server.close(() => resolve()));
}

function port(server: Server): number {
  return (server.address() as AddressInfo).port;
}
