/**
 * The provider process as Terraform starts it (go-plugin): check the magic cookie, serve gRPC over TLS that trusts
 * only Terraform's client certificate (AutoMTLS), print the handshake line, and exit when Terraform says Shutdown.
 *
 * Or, for the local cloud's own runs, one process that serves every provider for many Terraform commands, which
 * reattach to it (`TF_REATTACH_PROVIDERS`, see shared-providers.ts).
 */
import { appendFileSync, chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { createServerCertificate } from './certificate';
import { HANDLERS } from './handlers/index';
import { MAGIC_COOKIE_KEY, MAGIC_COOKIE_VALUE } from './plugin-process';
import {
  controllerService,
  healthService,
  type Message,
  PROVIDER_CALLS,
  providerService,
  stdioService,
} from './protocol';
import { CALL_LOG_VARIABLE, LocalProvider } from './provider';
import { PROVIDER_SCHEMAS } from './schema';

/** go-plugin's own protocol version, then the plugin protocol's. */
const CORE_PROTOCOL_VERSION = 1;
const PLUGIN_PROTOCOL_VERSION = 6;

export interface RunningServer {
  /** The handshake line printed on stdout. */
  handshake: string;
  provider: LocalProvider;
  /** Resolves when Terraform has asked the process to shut down. */
  stopped: Promise<void>;
  stop(): void;
}

function checkCookie(env: NodeJS.ProcessEnv): void {
  if (env[MAGIC_COOKIE_KEY] !== MAGIC_COOKIE_VALUE) {
    throw new Error(
      'This program is a Terraform provider plugin of the local cloud: Terraform starts it, it is not meant to be run directly.',
    );
  }
}

function providerParts(name: string) {
  const schema = PROVIDER_SCHEMAS[name];
  const handlers = HANDLERS[name];
  if (!schema || !handlers)
    throw new Error(
      `unknown provider "${name}": the local cloud serves ${Object.keys(PROVIDER_SCHEMAS).join(', ')}`,
    );
  return { schema, handlers };
}

/** A gRPC server answering the provider protocol for `name`: `providerFor` picks the provider instance a call is for. */
function providerServer(
  name: string,
  env: NodeJS.ProcessEnv,
  providerFor: (call: grpc.ServerUnaryCall<Message, Message>) => LocalProvider,
) {
  const server = new grpc.Server();
  let resolveStopped: () => void = () => {};
  const stopped = new Promise<void>((resolve) => {
    resolveStopped = resolve;
  });
  const stdioStreams = new Set<grpc.ServerWritableStream<Message, Message>>();
  const stop = () => {
    for (const stream of stdioStreams) stream.end();
    // Let the calls in flight (the Shutdown reply among them) finish; a stuck one does not keep the process alive.
    const force = setTimeout(() => {
      server.forceShutdown();
      resolveStopped();
    }, 1000);
    server.tryShutdown(() => {
      clearTimeout(force);
      resolveStopped();
    });
  };

  const unary =
    (
      answer: (request: Message, call: grpc.ServerUnaryCall<Message, Message>) => Promise<Message>,
    ): grpc.handleUnaryCall<Message, Message> =>
    (call, callback) => {
      answer(call.request, call).then(
        (response) => callback(null, response),
        (err: Error) => callback({ code: grpc.status.INTERNAL, details: err.message }),
      );
    };
  server.addService(
    providerService,
    Object.fromEntries(
      PROVIDER_CALLS.map((c) => [c, unary((request, call) => providerFor(call).call(c, request))]),
    ),
  );
  server.addService(controllerService, {
    Shutdown: unary(async () => {
      const log = env[CALL_LOG_VARIABLE];
      if (log) appendFileSync(log, `${name} Shutdown ${process.pid}\n`);
      // Answer first, then stop: Terraform waits for the reply before it waits for the process.
      setImmediate(stop);
      return {};
    }),
  });
  server.addService(stdioService, {
    StreamStdio: (call: grpc.ServerWritableStream<Message, Message>) => {
      stdioStreams.add(call);
      call.on('cancelled', () => stdioStreams.delete(call));
    },
  });
  server.addService(healthService, { Check: unary(async () => ({ status: 1 })) });
  const bind = (credentials: grpc.ServerCredentials) =>
    new Promise<number>((resolve, reject) =>
      server.bindAsync('127.0.0.1:0', credentials, (err, p) => (err ? reject(err) : resolve(p))),
    );
  return { bind, server, stopped, stop };
}

/** Start serving provider `name` (`azurerm`, `azuread`, `kubernetes`, `time`); the environment is Terraform's. */
export async function startProviderServer(
  name: string,
  env: NodeJS.ProcessEnv = process.env,
): Promise<RunningServer> {
  checkCookie(env);
  const versions = (env.PLUGIN_PROTOCOL_VERSIONS ?? String(PLUGIN_PROTOCOL_VERSION))
    .split(',')
    .map((v) => v.trim());
  if (!versions.includes(String(PLUGIN_PROTOCOL_VERSION))) {
    throw new Error(
      `Terraform offers plugin protocol versions ${versions.join(', ')}; this provider speaks only ${PLUGIN_PROTOCOL_VERSION} (Terraform 1.0 or later)`,
    );
  }
  const clientCert = env.PLUGIN_CLIENT_CERT;
  if (!clientCert)
    throw new Error(
      'PLUGIN_CLIENT_CERT is not set: Terraform sets it for AutoMTLS, which this provider requires',
    );
  const { schema, handlers } = providerParts(name);
  const provider = new LocalProvider(schema, handlers);
  const certificate = createServerCertificate();
  const { bind, stopped, stop } = providerServer(name, env, () => provider);
  const port = await bind(
    grpc.ServerCredentials.createSsl(
      Buffer.from(clientCert),
      [
        {
          cert_chain: Buffer.from(certificate.certPem),
          private_key: Buffer.from(certificate.keyPem),
        },
      ],
      true,
    ),
  );
  const cert = certificate.der.toString('base64').replace(/=+$/, '');
  const handshake = `${CORE_PROTOCOL_VERSION}|${PLUGIN_PROTOCOL_VERSION}|tcp|127.0.0.1:${port}|grpc|${cert}`;
  return { handshake, provider, stopped, stop };
}

/** One provider of `TF_REATTACH_PROVIDERS`, as Terraform parses it (hashicorp/terraform v1.11.4 main.go:407-455). */
export interface ReattachConfig {
  Protocol: 'grpc';
  ProtocolVersion: number;
  Pid: number;
  /** The process is not Terraform's: it neither kills it nor asks it to shut down when done. */
  Test: true;
  Addr: { Network: 'tcp' | 'unix'; String: string };
}

/**
 * Serve every provider for Terraform commands that reattach to this process. Each connection (a provider instance
 * of a command: one per walk and per provider block, an aliased block among them) gets a provider of its own, as a
 * process of its own would, so that two blocks of one command keep their own configuration (with one instance per
 * provider, the cross-tenant runs of test/e2e/lab/identity-kinds.test.ts fail: the home tenant's block configures over
 * the resource tenant's), and a StopProvider stops the waits of its own command only. Resolves with the value of
 * `TF_REATTACH_PROVIDERS`, by provider source address.
 *
 * Terraform reattaches over plain gRPC (it sets no TLS for an unmanaged provider, and its reattach configuration has
 * no credential), so who may connect is decided by the file system: each provider listens on a unix socket in a
 * directory that only this user can open (mode 0700, as mkdtemp makes it), never on a TCP port that any local process
 * could reach. Terraform resolves a `unix` address as well as a `tcp` one (hashicorp/terraform v1.11.4
 * main.go:407-455). The directory goes when the process exits.
 */
export async function startSharedServers(
  env: NodeJS.ProcessEnv = process.env,
): Promise<{ [source: string]: ReattachConfig }> {
  checkCookie(env);
  const dir = mkdtempSync(join(tmpdir(), 'wi-providers-'));
  chmodSync(dir, 0o700);
  process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  const reattach: { [source: string]: ReattachConfig } = {};
  for (const name of Object.keys(PROVIDER_SCHEMAS)) {
    const { schema, handlers } = providerParts(name);
    const instances = new Map<string, LocalProvider>();
    const providerFor = (call: grpc.ServerUnaryCall<Message, Message>) => {
      const peer = call.getPeer();
      let provider = instances.get(peer);
      if (!provider) {
        provider = new LocalProvider(schema, handlers);
        instances.set(peer, provider);
      }
      return provider;
    };
    const { server } = providerServer(name, env, providerFor);
    const injector = server.createConnectionInjector(grpc.ServerCredentials.createInsecure());
    const socketPath = join(dir, `${name}.sock`);
    let connections = 0;
    const listener = createServer((socket: Socket) => {
      // A unix socket has no peer address, and gRPC names a connection's peer by it: name each connection, so that
      // each keeps a provider of its own (providerFor above).
      connections += 1;
      Object.defineProperty(socket, 'remoteAddress', {
        value: `${name}-connection-${connections}`,
      });
      injector.injectConnection(socket);
    });
    await new Promise<void>((resolve, reject) =>
      listener.once('error', reject).listen(socketPath, () => resolve()),
    );
    reattach[schema.source] = {
      Protocol: 'grpc',
      ProtocolVersion: PLUGIN_PROTOCOL_VERSION,
      Pid: process.pid,
      Test: true,
      Addr: { Network: 'unix', String: socketPath },
    };
  }
  return reattach;
}
