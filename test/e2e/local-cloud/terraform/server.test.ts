// The provider server at the protocol level: go-plugin's handshake line, gRPC over mutual TLS that admits only the
// client certificate Terraform named, the tfplugin6 calls, cty values as msgpack (unknowns included), Shutdown.
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { afterEach, describe, expect, it } from 'vitest';
import { createServerCertificate } from '../../../../local-cloud/terraform/certificate';
import { decodeValue, encodeValue } from '../../../../local-cloud/terraform/cty';
import { UNKNOWN } from '../../../../local-cloud/terraform/handler';
import {
  MAGIC_COOKIE_KEY,
  MAGIC_COOKIE_VALUE,
} from '../../../../local-cloud/terraform/plugin-process';
import {
  controllerService,
  type Message,
  providerService,
} from '../../../../local-cloud/terraform/protocol';
import { blockType, PROVIDER_SCHEMAS } from '../../../../local-cloud/terraform/schema';
import { ROOT } from '../../../support/helpers';

const BUNDLE = join(ROOT, 'build', 'terraform-provider.mjs');
const children: ChildProcessWithoutNullStreams[] = [];
afterEach(() => {
  for (const child of children.splice(0)) child.kill();
});

/** Start the compiled server as Terraform does; resolve with its handshake line. */
async function start(provider: string, env: NodeJS.ProcessEnv) {
  const child = spawn(process.execPath, [BUNDLE, provider], {
    env: { PATH: process.env.PATH, ...env },
  });
  children.push(child);
  let stderr = '';
  child.stderr.on('data', (d) => {
    stderr += d;
  });
  const line = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
      if (out.includes('\n')) resolve(out.split('\n')[0] as string);
    });
    child.on('exit', (code) => reject(new Error(`exited ${code}: ${stderr}`)));
  });
  return { child, line };
}

const clientCert = createServerCertificate();
const terraformEnv = {
  [MAGIC_COOKIE_KEY]: MAGIC_COOKIE_VALUE,
  PLUGIN_PROTOCOL_VERSIONS: '5,6',
  PLUGIN_CLIENT_CERT: clientCert.certPem,
};

function serverPem(line: string): string {
  const der = Buffer.from(line.split('|')[5] as string, 'base64');
  return new X509Certificate(der).toString();
}

function connect(line: string, client = clientCert) {
  const address = line.split('|')[3] as string;
  const credentials = grpc.credentials.createSsl(
    Buffer.from(serverPem(line)),
    Buffer.from(client.keyPem),
    Buffer.from(client.certPem),
  );
  return new grpc.Client(address, credentials, { 'grpc.ssl_target_name_override': 'localhost' });
}

function call(
  client: grpc.Client,
  definition: grpc.MethodDefinition<Message, Message>,
  request: Message,
): Promise<Message> {
  return new Promise((resolve, reject) =>
    client.makeUnaryRequest(
      definition.path,
      definition.requestSerialize,
      definition.responseDeserialize,
      request,
      (err, response) => (err ? reject(err) : resolve(response as Message)),
    ),
  );
}

describe('provider server protocol', () => {
  it("prints go-plugin's handshake line with its own certificate", async () => {
    const { line } = await start('azurerm', terraformEnv);
    expect(line).toMatch(/^1\|6\|tcp\|127\.0\.0\.1:\d+\|grpc\|[A-Za-z0-9+/]+$/);
    const cert = new X509Certificate(Buffer.from(line.split('|')[5] as string, 'base64'));
    expect(cert.subject).toBe('CN=localhost');
    expect(cert.subjectAltName).toContain('DNS:localhost');
    expect(cert.verify(cert.publicKey)).toBe(true);
  });

  it('serves the generated schema over mutual TLS, with write-only, computed and list attributes', async () => {
    const { line } = await start('azurerm', terraformEnv);
    const client = connect(line);
    const metadata = await call(client, providerService.GetMetadata as never, {});
    expect(metadata.server_capabilities).toEqual({ get_provider_schema_optional: true });
    expect(metadata.resources.map((r: Message) => r.type_name)).toContain(
      'azurerm_key_vault_secret',
    );
    const schema = await call(client, providerService.GetProviderSchema as never, {});
    const attribute = (type: string, name: string) =>
      schema.resource_schemas[type].block.attributes.find((a: Message) => a.name === name);
    expect(attribute('azurerm_key_vault_secret', 'value_wo')).toMatchObject({
      optional: true,
      write_only: true,
    });
    expect(attribute('azurerm_kubernetes_cluster', 'oidc_issuer_url')).toMatchObject({
      computed: true,
    });
    expect(attribute('azurerm_kubernetes_cluster', 'oidc_issuer_url').optional).toBeUndefined();
    expect(
      Buffer.from(attribute('azurerm_federated_identity_credential', 'audience').type).toString(),
    ).toBe('["list","string"]');
    const pool = schema.resource_schemas.azurerm_kubernetes_cluster.block.block_types.find(
      (b: Message) => b.type_name === 'default_node_pool',
    );
    expect(pool).toMatchObject({ nesting: 'LIST', min_items: 1, max_items: 1 });
    expect(schema.data_source_schemas.azurerm_client_config).toBeDefined();
    client.close();
  });

  it('fails when a client does not present the certificate Terraform named', async () => {
    const { line } = await start('time', terraformEnv);
    const stranger = connect(line, createServerCertificate());
    await expect(call(stranger, providerService.GetMetadata as never, {})).rejects.toMatchObject({
      code: grpc.status.UNAVAILABLE,
    });
    stranger.close();
  });

  it('plans unknown computed attributes as cty unknowns and exits on Shutdown', async () => {
    const { child, line } = await start('time', terraformEnv);
    const client = connect(line);
    const block = PROVIDER_SCHEMAS.time?.resources.time_sleep?.block;
    if (!block) throw new Error('no time_sleep schema');
    const type = blockType(block);
    const config = { create_duration: '1s', destroy_duration: null, triggers: null, id: null };
    const dynamic = (value: object | null) => ({
      msgpack: Buffer.from(encodeValue(value as never, type)),
    });
    await call(client, providerService.ConfigureProvider as never, { config: dynamic({}) }).catch(
      () => undefined,
    );
    const plan = await call(client, providerService.PlanResourceChange as never, {
      type_name: 'time_sleep',
      prior_state: dynamic(null),
      proposed_new_state: dynamic(config),
      config: dynamic(config),
    });
    expect(plan.diagnostics).toBeUndefined();
    // cty's unknown: msgpack extension type 0.
    expect(Buffer.from(plan.planned_state.msgpack).includes(Buffer.from([0xd4, 0x00, 0x00]))).toBe(
      true,
    );
    expect(decodeValue(plan.planned_state.msgpack, type)).toEqual({ ...config, id: UNKNOWN });

    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
    await call(client, controllerService.Shutdown as never, {});
    expect(await exited).toBe(0);
    client.close();
  });

  it('fails an apply that is waiting when Terraform stops the provider (Ctrl-C), at once', async () => {
    const { line } = await start('time', terraformEnv);
    const client = connect(line);
    const type = blockType(PROVIDER_SCHEMAS.time?.resources.time_sleep?.block as never);
    // A day of Azure time: about 15 minutes locally at the default scale, longer than any test may run, so only the
    // stop can end the apply (if it did not, the test would hang until its ceiling and fail).
    const planned = { create_duration: '24h', destroy_duration: null, triggers: null, id: UNKNOWN };
    const dynamic = (value: object | null) => ({
      msgpack: Buffer.from(encodeValue(value as never, type)),
    });
    const apply = call(client, providerService.ApplyResourceChange as never, {
      type_name: 'time_sleep',
      prior_state: dynamic(null),
      planned_state: dynamic(planned),
      config: dynamic({ ...planned, id: null }),
    });
    // Whether the stop comes before or during the wait, the wait ends at once with the same diagnostic.
    expect(await call(client, providerService.StopProvider as never, {})).toEqual({});
    const response = await apply;
    expect(response.diagnostics).toEqual([
      {
        severity: 'ERROR',
        summary:
          'Interrupted: the create_duration wait was cancelled before it ended (the provider was stopped (StopProvider) during the wait)',
      },
    ]);
    client.close();
  });

  it('fails when started without the plugin handshake cookie, naming why', async () => {
    await expect(start('azurerm', { PLUGIN_CLIENT_CERT: clientCert.certPem })).rejects.toThrow(
      'exited 1: terraform-provider-azurerm: This program is a Terraform provider plugin of the local cloud: Terraform starts it, it is not meant to be run directly.',
    );
  });

  it('fails when asked for a provider it does not serve', async () => {
    await expect(start('random', terraformEnv)).rejects.toThrow(
      'unknown provider "random": the local cloud serves azurerm, azuread, kubernetes, time',
    );
  });
});

describe('server certificate', () => {
  it('is valid DER every time (serial numbers in their fewest bytes), for localhost, and self-signed', () => {
    for (let i = 0; i < 300; i++) {
      const { der, keyPem } = createServerCertificate();
      const cert = new X509Certificate(der);
      expect(cert.checkPrivateKey(createPrivateKey(keyPem))).toBe(true);
      expect(cert.checkHost('localhost')).toBe('localhost');
      expect(cert.verify(cert.publicKey)).toBe(true);
      expect(cert.serialNumber).toMatch(/^[4-7][0-9A-F]{31}$/);
    }
  });
});

describe('cty msgpack codec', () => {
  it('round-trips objects, lists, sets, maps, numbers and unknowns', () => {
    const type = [
      'object',
      {
        name: 'string',
        count: 'number',
        tags: ['map', 'string'],
        ids: ['set', 'string'],
        pools: ['list', ['object', { size: 'number' }]],
        on: 'bool',
      },
    ] as const;
    const value = {
      name: 'kv',
      count: 2.5,
      tags: { a: 'b' },
      ids: ['x', 'y'],
      pools: [{ size: 3 }],
      on: UNKNOWN,
    };
    expect(decodeValue(encodeValue(value as never, type as never), type as never)).toEqual(value);
  });

  it('carries dynamic values as [type JSON, value] and re-encodes them with the type they came with', () => {
    const type = ['object', { manifest: 'dynamic' }] as const;
    const manifest = {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: 'demo', labels: { a: 'b' } },
    };
    const decoded = decodeValue(encodeValue({ manifest }, type as never), type as never) as {
      manifest: object;
    };
    expect(decoded.manifest).toEqual(manifest);
    expect(Buffer.from(encodeValue(decoded as never, type as never))).toEqual(
      Buffer.from(encodeValue({ manifest }, type as never)),
    );
  });

  it('fails when a value does not conform to its type, naming the path', () => {
    const type = ['object', { pools: ['list', ['object', { size: 'number' }]] }] as const;
    expect(() => encodeValue({ pools: [{ size: 'big' }] }, type as never)).toThrow(
      'value at pools[0].size is not a "number": "big"',
    );
    expect(() => encodeValue({ pool: [] }, type as never)).toThrow(
      'value at (root) has attribute "pool", which its type',
    );
  });

  it('decodes any map key as data: a tag named __proto__ or constructor round-trips as an own key', () => {
    // GIVEN tags, and a dynamic manifest whose labels (an object to HCL) have those names, as Terraform sends them
    const type = ['object', { tags: ['map', 'string'], manifest: 'dynamic' }] as const;
    const tags = JSON.parse('{"__proto__":"polluted","constructor":"c","env":"prod"}');
    const manifest = { metadata: { labels: JSON.parse('{"__proto__":"x"}') } };
    const bytes = encodeValue({ tags, manifest } as never, type as never);
    // WHEN the provider decodes them
    const decoded = decodeValue(bytes, type as never) as {
      tags: Record<string, string>;
      manifest: { metadata: { labels: object } };
    };
    // THEN every key is plain data, the prototype untouched, and the value re-encodes to itself
    expect(Object.entries(decoded.tags).sort()).toEqual([
      ['__proto__', 'polluted'],
      ['constructor', 'c'],
      ['env', 'prod'],
    ]);
    expect(Object.getPrototypeOf(decoded.tags)).toBe(Object.prototype);
    expect(Object.entries(decoded.manifest.metadata.labels)).toEqual([['__proto__', 'x']]);
    const again = decodeValue(encodeValue(decoded as never, type as never), type as never) as {
      tags: object;
    };
    expect(Object.entries(again.tags).sort()).toEqual(Object.entries(decoded.tags).sort());
  });
});

describe('the provider server certificate', () => {
  it('is valid DER every time: 3,000 certificates all parse (a non-minimal serial failed 1 start in 256)', () => {
    const refused: string[] = [];
    for (let i = 0; i < 3000; i++) {
      const { der } = createServerCertificate();
      try {
        new X509Certificate(der);
      } catch (err) {
        refused.push((err as Error).message);
      }
    }
    expect(refused).toEqual([]);
  });
});
