/**
 * The provider process as Terraform starts it (go-plugin): check the magic cookie, serve gRPC over TLS that trusts
 * only Terraform's client certificate (AutoMTLS), print the handshake line, and exit when Terraform says Shutdown.
 */
import { appendFileSync } from 'node:fs';
import * as grpc from '@grpc/grpc-js';
import { createServerCertificate } from './certificate';
import { HANDLERS } from './handlers/index';
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

/** go-plugin's handshake cookie for Terraform providers: a plugin started any other way refuses to run. */
export const MAGIC_COOKIE_KEY = 'TF_PLUGIN_MAGIC_COOKIE';
export const MAGIC_COOKIE_VALUE =
  'd602bf8f470bc67ca7faa0386276bbdd4330efaf76d1a219cb4d6991ca9872b2';
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

/** Start serving provider `name` (`azurerm`, `azuread`, `kubernetes`, `time`); the environment is Terraform's. */
export async function startProviderServer(
  name: string,
  env: NodeJS.ProcessEnv = process.env,
): Promise<RunningServer> {
  if (env[MAGIC_COOKIE_KEY] !== MAGIC_COOKIE_VALUE) {
    throw new Error(
      'This program is a Terraform provider plugin of the local cloud: Terraform starts it, it is not meant to be run directly.',
    );
  }
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
  const schema = PROVIDER_SCHEMAS[name];
  const handlers = HANDLERS[name];
  if (!schema || !handlers)
    throw new Error(
      `unknown provider "${name}": the local cloud serves ${Object.keys(PROVIDER_SCHEMAS).join(', ')}`,
    );

  const provider = new LocalProvider(schema, handlers);
  const certificate = createServerCertificate();
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
    (answer: (request: Message) => Promise<Message>): grpc.handleUnaryCall<Message, Message> =>
    (call, callback) => {
      answer(call.request).then(
        (response) => callback(null, response),
        (err: Error) => callback({ code: grpc.status.INTERNAL, details: err.message }),
      );
    };
  server.addService(
    providerService,
    Object.fromEntries(
      PROVIDER_CALLS.map((c) => [c, unary((request) => provider.call(c, request))]),
    ),
  );
  server.addService(controllerService, {
    Shutdown: unary(async () => {
      const log = env[CALL_LOG_VARIABLE];
      if (log) appendFileSync(log, `${name} Shutdown\n`);
      // Answer first, then stop: Terraform waits for the reply before it waits for the process.
      setImmediate(stop);
      return {};
    }),
  });
  server.addService(stdioService, {
    StreamStdio: (call: grpc.ServerWritableStream<Message, Message>) => {
      stdioStreams.add(call);
    },
  });
  server.addService(healthService, { Check: unary(async () => ({ status: 1 })) });

  const credentials = grpc.ServerCredentials.createSsl(
    Buffer.from(clientCert),
    [
      {
        cert_chain: Buffer.from(certificate.certPem),
        private_key: Buffer.from(certificate.keyPem),
      },
    ],
    true,
  );
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', credentials, (err, p) => (err ? reject(err) : resolve(p))),
  );
  const cert = certificate.der.toString('base64').replace(/=+$/, '');
  const handshake = `${CORE_PROTOCOL_VERSION}|${PLUGIN_PROTOCOL_VERSION}|tcp|127.0.0.1:${port}|grpc|${cert}`;
  return { handshake, provider, stopped, stop };
}
