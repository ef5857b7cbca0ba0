/**
 * The local cloud's wire protocol, spoken by hand through its proxy: what the real services answer, byte for byte
 * where clients depend on it.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { join } from 'node:path';
import { connect as tlsConnect } from 'node:tls';
import { createLocalJWKSet, decodeJwt, jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXAMPLE, exampleModel } from '../../../local-cloud/example-model';
import type { LocalCloud } from '../../../local-cloud/local-cloud';
import { startLocalCloud } from '../../../local-cloud/local-cloud';
import { type Answer, sendThroughProxy, tempDir } from '../../support/helpers';

let cloud: LocalCloud;
beforeAll(async () => {
  cloud = await startLocalCloud(exampleModel());
});
afterAll(async () => {
  await cloud?.close();
});

/** Open a CONNECT tunnel; resolves with the proxy's status and the socket. */
function tunnel(
  target: string,
  via: LocalCloud = cloud,
): Promise<{ status: number; socket: import('node:net').Socket }> {
  const proxy = new URL(via.proxyUrl);
  return new Promise((resolve, reject) => {
    httpRequest({ host: proxy.hostname, port: proxy.port, method: 'CONNECT', path: target })
      .on('connect', (res, socket) => resolve({ status: res.statusCode ?? 0, socket }))
      .on('error', reject)
      .end();
  });
}

/** An HTTPS request to a real Azure URL through the proxy, trusting only the local CA. */
async function send(
  url: string,
  init: { method?: string; headers?: Record<string, string>; body?: string } = {},
  via: LocalCloud = cloud,
): Promise<Answer> {
  return sendThroughProxy(via, url, init);
}

function tokenRequest(
  fields: Record<string, string>,
  tenant: string = EXAMPLE.tenantId,
  via: LocalCloud = cloud,
): Promise<Answer> {
  return send(
    `https://login.microsoftonline.com/${tenant}/oauth2/v2.0/token`,
    {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(fields).toString(),
    },
    via,
  );
}

async function assertion(
  subject = EXAMPLE.serviceAccountName,
  via: LocalCloud = cloud,
): Promise<string> {
  return via.issuer.issueServiceAccountToken({
    namespace: EXAMPLE.namespace,
    serviceAccount: subject,
    audience: 'api://AzureADTokenExchange',
    expirationSeconds: 3600,
    podName: 'by-hand',
  });
}

async function clientCredentials(
  overrides: Record<string, string> = {},
): Promise<Record<string, string>> {
  return {
    grant_type: 'client_credentials',
    client_id: EXAMPLE.clientId,
    scope: 'https://vault.azure.net/.default',
    client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
    client_assertion: await assertion(),
    ...overrides,
  };
}

describe('proxy', () => {
  it('refuses CONNECT to a host the local cloud does not serve', async () => {
    const { status, socket } = await tunnel('management.azure.com:443');
    socket.destroy();

    expect(status).toBe(502);
  });

  it('refuses CONNECT to a port other than 443', async () => {
    const { status, socket } = await tunnel('login.microsoftonline.com:80');
    socket.destroy();

    expect(status).toBe(502);
  });

  it('refuses plain HTTP proxying', async () => {
    const proxy = new URL(cloud.proxyUrl);
    const status = await new Promise<number>((resolve, reject) => {
      httpRequest(
        { host: proxy.hostname, port: proxy.port, path: 'http://login.microsoftonline.com/' },
        (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        },
      )
        .on('error', reject)
        .end();
    });

    expect(status).toBe(403);
    expect(cloud.stats().connectsRefused).toBeGreaterThanOrEqual(2);
  });
});

describe('OIDC issuer', () => {
  it('serves discovery and keys that verify its service account tokens', async () => {
    const discovery = JSON.parse(
      (await send(`${EXAMPLE.oidcIssuerUrl}.well-known/openid-configuration`)).body,
    );
    expect(discovery).toMatchObject({
      issuer: EXAMPLE.oidcIssuerUrl,
      jwks_uri: `${EXAMPLE.oidcIssuerUrl}openid/v1/jwks`,
    });
    const jwks = JSON.parse((await send(discovery.jwks_uri)).body);

    const { payload, protectedHeader } = await jwtVerify(
      await assertion(),
      createLocalJWKSet(jwks),
      { issuer: EXAMPLE.oidcIssuerUrl },
    );

    expect(protectedHeader.alg).toBe('RS256');
    expect(payload).toMatchObject({
      sub: 'system:serviceaccount:workload-id-test:workload-id-sa',
      aud: ['api://AzureADTokenExchange'],
      'kubernetes.io': {
        namespace: 'workload-id-test',
        serviceaccount: { name: 'workload-id-sa' },
        pod: { name: 'by-hand' },
      },
    });
    expect(Number(payload.exp) - Number(payload.iat)).toBe(3600);
  });
});

describe('Entra token endpoint', () => {
  it('exchanges a federated assertion for a Key Vault access token', async () => {
    const answer = await tokenRequest(
      await clientCredentials({ claims: '{"access_token":{"xms_cc":{"values":["CP1"]}}}' }),
    );

    expect(answer.status).toBe(200);
    const body = JSON.parse(answer.body);
    expect(body).toMatchObject({ token_type: 'Bearer', expires_in: 3599, ext_expires_in: 3599 });
    expect(decodeJwt(body.access_token)).toMatchObject({
      aud: 'https://vault.azure.net',
      iss: `https://sts.windows.net/${EXAMPLE.tenantId}/`,
      tid: EXAMPLE.tenantId,
      oid: EXAMPLE.principalId,
      appid: EXAMPLE.clientId,
    });
  });

  it.each([
    [
      'an unknown tenant',
      {},
      '00000000-0000-4000-8000-00000000dead',
      400,
      'invalid_request',
      90002,
    ],
    [
      'an unknown client id',
      { client_id: '00000000-0000-4000-8000-00000000beef' },
      EXAMPLE.tenantId,
      400,
      'unauthorized_client',
      700016,
    ],
    [
      'a scope without /.default',
      { scope: 'https://vault.azure.net' },
      EXAMPLE.tenantId,
      400,
      'invalid_scope',
      70011,
    ],
    [
      'no client assertion',
      { client_assertion: '' },
      EXAMPLE.tenantId,
      401,
      'invalid_client',
      7000218,
    ],
  ])('fails with the AADSTS code for %s', async (_case, overrides, tenant, status, error, code) => {
    const answer = await tokenRequest(await clientCredentials(overrides), tenant);

    expect(answer.status).toBe(status);
    const body = JSON.parse(answer.body);
    expect(body).toMatchObject({ error, error_codes: [code] });
    expect(body.error_description).toMatch(
      new RegExp(
        `^AADSTS${code}: .*\\r\\nTrace ID: ${body.trace_id}\\r\\nCorrelation ID: ${body.correlation_id}\\r\\nTimestamp: `,
        's',
      ),
    );
  });

  it('waits when asked to be slow', async () => {
    cloud.faults.set({ tokenEndpointDelayInMs: 300 });
    const started = Date.now();

    const answer = await tokenRequest(await clientCredentials());
    cloud.faults.clear();

    expect(answer.status).toBe(200);
    expect(Date.now() - started).toBeGreaterThanOrEqual(300);
  });
});

describe('Key Vault', () => {
  const secretUrl = `${EXAMPLE.vaultUrl}secrets/username/?api-version=2025-07-01`;

  it('challenges a request without a token', async () => {
    const answer = await send(secretUrl);

    expect(answer.status).toBe(401);
    expect(answer.headers['www-authenticate']).toBe(
      `Bearer authorization="https://login.microsoftonline.com/${EXAMPLE.tenantId}", resource="https://vault.azure.net"`,
    );
    expect(JSON.parse(answer.body)).toEqual({
      error: {
        code: 'Unauthorized',
        message: 'AKV10000: Request is missing a Bearer or PoP token.',
      },
    });
  });

  it('refuses a token Entra did not sign', async () => {
    // A service account token is a well-formed RS256 JWT, but not from Entra.
    const answer = await send(secretUrl, {
      headers: { authorization: `Bearer ${await assertion()}` },
    });

    expect(answer.status).toBe(401);
    expect(answer.headers['www-authenticate']).toContain('Bearer authorization=');
  });

  it('returns the secret and its versioned id to a caller holding the role', async () => {
    const token = JSON.parse((await tokenRequest(await clientCredentials())).body)
      .access_token as string;

    const answer = await send(secretUrl, { headers: { authorization: `Bearer ${token}` } });

    expect(answer.status).toBe(200);
    const body = JSON.parse(answer.body);
    expect(body).toMatchObject({
      value: 'admin',
      attributes: { enabled: true, recoveryLevel: 'Recoverable+Purgeable' },
    });
    expect(body.id).toMatch(
      /^https:\/\/kv-wi-demo-7f3a\.vault\.azure\.net\/secrets\/username\/[0-9a-f]{32}$/,
    );
    // The versioned URL the id names serves the same secret.
    const versioned = await send(`${body.id}?api-version=2025-07-01`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(JSON.parse(versioned.body).value).toBe('admin');
  });

  it('answers 403 ForbiddenByRbac without the role, before saying whether the secret exists', async () => {
    const token = JSON.parse((await tokenRequest(await clientCredentials())).body)
      .access_token as string;

    const answer = await send(`${EXAMPLE.vaultUrl}secrets/missing?api-version=2025-07-01`, {
      headers: { authorization: `Bearer ${token}` },
    });

    expect(answer.status).toBe(403);
    expect(JSON.parse(answer.body).error).toMatchObject({
      code: 'Forbidden',
      innererror: { code: 'ForbiddenByRbac' },
    });
    expect(JSON.parse(answer.body).error.message).toContain(
      `Caller: appid=${EXAMPLE.clientId};oid=${EXAMPLE.principalId}`,
    );
  });

  it('answers 400 BadParameter, not a 500, to a malformed percent-encoded secret name', async () => {
    const answer = await send(`${EXAMPLE.vaultUrl}secrets/user%zz?api-version=2025-07-01`);

    expect(answer.status).toBe(400);
    expect(JSON.parse(answer.body).error.code).toBe('BadParameter');
  });

  it.each([
    ['a target that would parse as another host', '//[::1'],
    ['a target that names another host', '//evil.example/secrets/username?api-version=2025-07-01'],
    ['a target that is not a path', 'https://evil.example/secrets/username'],
  ])('answers 400, not a 500, to %s', async (_case, target) => {
    const { status, socket } = await tunnel(`${EXAMPLE.vaultName}.vault.azure.net:443`);
    expect(status).toBe(200);
    const tls = tlsConnect({
      socket,
      servername: `${EXAMPLE.vaultName}.vault.azure.net`,
      ca: readFileSync(cloud.caCertPath),
    });
    tls.end(
      `GET ${target} HTTP/1.1\r\nHost: ${EXAMPLE.vaultName}.vault.azure.net\r\nConnection: close\r\n\r\n`,
    );
    let raw = '';
    tls.setEncoding('utf8').on('data', (chunk: string) => (raw += chunk));
    await new Promise((resolve) => tls.on('close', resolve));

    expect(raw).toMatch(/^HTTP\/1\.1 400 /);
  });

  it('answers 400 BadParameter to an api-version Key Vault does not know', async () => {
    const answer = await send(`${EXAMPLE.vaultUrl}secrets/username?api-version=2099-01-01`);

    expect(answer.status).toBe(400);
    expect(JSON.parse(answer.body)).toEqual({
      error: {
        code: 'BadParameter',
        message:
          'The specified version (2099-01-01) is not recognized. Consider using the latest supported version (2025-07-01).',
      },
    });
  });
});

describe('a failure of the local cloud itself', () => {
  it('answers 500 and aborts `failed`, naming the host and the cause in one line, so that runs stop instead of retrying', async () => {
    // GIVEN a storage account whose blob storage cannot start: its data folder is a file (a broken install)
    const dir = tempDir('wi-broken-blob-');
    const blobDir = join(dir, 'blob');
    writeFileSync(blobDir, 'not a folder');
    const account = `${EXAMPLE.vaultId.split('/providers/')[0]}/providers/Microsoft.Storage/storageAccounts/wibroken01`;
    const broken = await startLocalCloud(
      exampleModel({
        storageAccounts: [
          {
            id: account,
            name: 'wibroken01',
            tenantId: EXAMPLE.tenantId,
            sharedAccessKeyEnabled: false,
            versioningEnabled: true,
            containers: ['tfstate'],
          },
        ],
        roleAssignments: [
          {
            principalId: EXAMPLE.principalId,
            roleDefinitionName: 'Storage Blob Data Reader',
            scope: account,
          },
        ],
      }),
      { blobDir },
    );
    try {
      const issued = await tokenRequest(
        {
          ...(await clientCredentials({ client_assertion: await assertion(undefined, broken) })),
          scope: 'https://storage.azure.com/.default',
        },
        EXAMPLE.tenantId,
        broken,
      );
      expect(issued.status, issued.body).toBe(200);
      expect(broken.failed.aborted).toBe(false);
      // WHEN a client lists the container
      const answer = await send(
        'https://wibroken01.blob.core.windows.net/tfstate?restype=container&comp=list',
        {
          headers: {
            authorization: `Bearer ${JSON.parse(issued.body).access_token}`,
            'x-ms-version': '2023-11-03',
          },
        },
        broken,
      );
      // THEN it gets a 500, and whoever runs the client hears why at once
      expect(answer.status).toBe(500);
      expect(broken.failed.aborted).toBe(true);
      const reason = (broken.failed.reason as Error).message;
      expect(reason).toMatch(
        /^the local cloud failed to answer wibroken01\.blob\.core\.windows\.net: .*(EEXIST|ENOTDIR)/,
      );
      expect(reason).not.toContain('\n');
    } finally {
      await broken.close();
    }
  });
});
