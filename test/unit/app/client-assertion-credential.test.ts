import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { ClientAssertionCredential } from '../../../app/client-assertion-credential';
import { errorHint } from '../../../app/output';
import {
  createHttpHeaders,
  type HttpClient,
  type PipelineRequest,
  type PipelineResponse,
} from '../../support/app-sdk';

const TENANT = '00000000-0000-0000-0000-000000000002';
const CLIENT = '00000000-0000-0000-0000-000000000001';
const SCOPE = 'https://vault.azure.net/.default';
const ASSERTION =
  'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJzeXN0ZW06c2VydmljZWFjY291bnQ6ZGVtbzp3b3JrbG9hZCJ9.signature';

/** Answers every request like Entra's token endpoint, recording what MSAL sent. */
class FakeEntra implements HttpClient {
  readonly requests: PipelineRequest[] = [];
  constructor(
    private readonly answer: { status: number; body: object } = {
      status: 200,
      body: { token_type: 'Bearer', expires_in: 3599, access_token: 'access-token' },
    },
  ) {}
  async sendRequest(request: PipelineRequest): Promise<PipelineResponse> {
    this.requests.push(request);
    return {
      request,
      status: this.answer.status,
      headers: createHttpHeaders({ 'content-type': 'application/json' }),
      bodyAsText: JSON.stringify(this.answer.body),
    };
  }
}

let dir: string;
let tokenFilePath: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'app-credential-'));
  tokenFilePath = join(dir, 'azure-identity-token');
  writeFileSync(tokenFilePath, ASSERTION);
});

afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

function credential(httpClient?: HttpClient): ClientAssertionCredential {
  return new ClientAssertionCredential({
    tenantId: TENANT,
    clientId: CLIENT,
    tokenFilePath,
    authorityHost: 'https://login.microsoftonline.com/',
    httpClient,
  });
}

describe('ClientAssertionCredential', () => {
  test('sends only the token request: no instance discovery, no OIDC metadata for login.microsoftonline.com', async () => {
    const entra = new FakeEntra();

    const token = await credential(entra).getToken(SCOPE);

    expect(token).toMatchObject({ token: 'access-token', tokenType: 'Bearer' });
    expect(token.expiresOnTimestamp).toBeGreaterThan(Date.now() + 3_000_000);
    expect(entra.requests.map((r) => `${r.method} ${r.url.split('?')[0]}`)).toEqual([
      `POST https://login.microsoftonline.com/${TENANT}/oauth2/v2.0/token`,
    ]);
  });

  test('presents the token file as the client assertion', async () => {
    const entra = new FakeEntra();

    await credential(entra).getToken(SCOPE);

    const form = new URLSearchParams(String(entra.requests[0]!.body));
    expect(form.get('grant_type')).toBe('client_credentials');
    expect(form.get('client_id')).toBe(CLIENT);
    expect(form.get('scope')).toBe(SCOPE);
    expect(form.get('client_assertion_type')).toBe(
      'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
    );
    expect(form.get('client_assertion')).toBe(ASSERTION);
  });

  // MSAL asks for the assertion on every call, cache hit or not: FederatedTokenFile's own cache (tested in
  // app-federated-token-file.test.ts) keeps that from reading the file each time.
  test("answers repeated calls from MSAL's cache, without the network", async () => {
    const entra = new FakeEntra();
    const cred = credential(entra);

    for (let i = 0; i < 6; i++) await cred.getToken(SCOPE);

    expect(entra.requests).toHaveLength(1);
  });

  test("fails with Entra's AADSTS code, which the failure line explains", async () => {
    const entra = new FakeEntra({
      status: 400,
      body: {
        error: 'invalid_client',
        error_description:
          'AADSTS70021: No matching federated identity record found for presented assertion.',
        error_codes: [70021],
      },
    });

    const err = await credential(entra)
      .getToken(SCOPE)
      .catch((e: unknown) => e);

    expect((err as Error).message).toContain('AADSTS70021');
    expect(errorHint(err)).toContain("issuer, subject and audience must equal the token's");
  });

  test.each([
    [307, `/${TENANT}/oauth2/v2.0/token?again`, 'login.microsoftonline.com'],
    [302, 'https://collector.example.com/token', 'collector.example.com'],
  ])(
    'fails when Entra answers %i to %s: the status and the host, and the assertion is not sent again',
    async (status, location, host) => {
      const requests: string[] = [];
      const redirecting: HttpClient = {
        sendRequest: async (request) => {
          requests.push(request.url);
          return {
            request,
            status,
            headers: createHttpHeaders({ 'content-type': 'application/json', location }),
            bodyAsText: '{}',
          };
        },
      };

      const err = await credential(redirecting)
        .getToken(SCOPE)
        .catch((e: unknown) => e);

      expect((err as Error).message).toContain(
        `POST https://login.microsoftonline.com answered ${status} redirecting to ${host}, not followed`,
      );
      expect(requests).toHaveLength(1);
    },
  );

  test("fails when the vault's challenge names another tenant", async () => {
    await expect(
      credential(new FakeEntra()).getToken(SCOPE, { tenantId: 'other-tenant' }),
    ).rejects.toThrow(
      `The vault asks for a token of tenant "other-tenant", but AZURE_TENANT_ID is "${TENANT}"`,
    );
  });

  test('stops waiting when aborted', async () => {
    const controller = new AbortController();
    controller.abort();
    await expect(
      credential(new FakeEntra()).getToken(SCOPE, { abortSignal: controller.signal }),
    ).rejects.toMatchObject({ name: 'AbortError' });
  });

  describe('with HTTPS_PROXY', () => {
    let proxy: Server;
    const connects: string[] = [];
    const saved = process.env.HTTPS_PROXY;

    beforeEach(async () => {
      // A proxy that records the tunnel request and refuses it: enough to see the route, no TLS needed.
      proxy = createServer().on('connect', (req, socket) => {
        connects.push(req.url ?? '');
        socket.end('HTTP/1.1 403 Forbidden\r\n\r\n');
      });
      await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
      process.env.HTTPS_PROXY = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
    });

    afterEach(async () => {
      if (saved === undefined) delete process.env.HTTPS_PROXY;
      else process.env.HTTPS_PROXY = saved;
      await new Promise((resolve) => proxy.close(resolve));
    });

    test('sends the token request through the proxy and reports why it failed', async () => {
      const err = await credential()
        .getToken(SCOPE)
        .catch((e: unknown) => e);

      expect(connects).toEqual(['login.microsoftonline.com:443']);
      expect((err as Error).message).toBe(
        'invalid_response: POST https://login.microsoftonline.com answered 403 without a JSON body',
      );
    });
  });
});
