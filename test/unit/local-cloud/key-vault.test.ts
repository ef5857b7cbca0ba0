/**
 * The local Key Vault's secrets API, called directly: each test breaks exactly one thing a token, a role assignment
 * or a request could get wrong, and fails if that check is weakened. A well-formed read succeeds first, so a refusal
 * is never the harness's own fault.
 */
import type { JWTPayload } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import { KeyVaultService } from '../../../local-cloud/azure/key-vault';
import { Faults } from '../../../local-cloud/core/faults';
import type { CloudKeyVault, CloudModel } from '../../../local-cloud/core/model';
import { createStats } from '../../../local-cloud/core/stats';
import { EXAMPLE, exampleModel } from '../../../local-cloud/example-model';
import { call, now, sign, signingKey } from '../../support/local-cloud-helpers';

describe('the local Key Vault refuses what Key Vault refuses', () => {
  const KV10_ID = EXAMPLE.vaultId.replace(/kv-wi-demo-7f3a$/, 'kv-wi-demo-7f3a0');
  let entraKey: Awaited<ReturnType<typeof signingKey>>;
  beforeAll(async () => {
    entraKey = await signingKey();
  });

  /** A vault whose name extends the example vault's: its ids share the example's vault id as a prefix. */
  const longerNamedVault: CloudKeyVault = {
    name: 'kv-wi-demo-7f3a0',
    id: KV10_ID,
    vaultUri: 'https://kv-wi-demo-7f3a0.vault.azure.net/',
    tenantId: EXAMPLE.tenantId,
    secrets: new Map([['username', 'admin-of-kv10']]),
  };

  /** The example's vaults plus one whose name extends the example vault's, with the role assignments given. */
  const service = (
    roleAssignments: CloudModel['roleAssignments'] = exampleModel().roleAssignments,
  ) => {
    const model = exampleModel({
      roleAssignments,
      keyVaults: [...exampleModel().keyVaults, longerNamedVault],
    });
    return new KeyVaultService(model, entraKey.jwks, new Faults(), createStats());
  };

  /** An access token's claims, as the local Entra issues them for the example identity. */
  const accessClaims = (overrides: JWTPayload = {}): JWTPayload => ({
    aud: 'https://vault.azure.net',
    iss: `https://sts.windows.net/${EXAMPLE.tenantId}/`,
    tid: EXAMPLE.tenantId,
    oid: EXAMPLE.principalId,
    appid: EXAMPLE.clientId,
    sub: EXAMPLE.principalId,
    iat: now(),
    nbf: now(),
    exp: now() + 3599,
    ...overrides,
  });

  const get = async (
    kv: KeyVaultService,
    url: string,
    claims: JWTPayload | undefined = accessClaims(),
  ) =>
    call((req, res, u) => kv.handle(req, res, u), url, {
      headers: claims ? { authorization: `Bearer ${await sign(claims, entraKey)}` } : {},
    });

  const USERNAME = `${EXAMPLE.vaultUrl}secrets/username?api-version=2025-07-01`;

  it('returns the secret to the example identity, which holds Secrets User on it', async () => {
    const answer = await get(service(), USERNAME);

    expect(answer.status).toBe(200);
    expect(answer.body.value).toBe('admin');
  });

  describe('tokens', () => {
    it('fails when the token has no exp', async () => {
      const { exp: _exp, ...noExp } = accessClaims();

      const answer = await get(service(), USERNAME, noExp);

      expect(answer.status).toBe(401);
      expect(answer.body.error).toEqual({
        code: 'Unauthorized',
        message: 'AKV10000: Token validation failed: the token has no expiration time (exp).',
      });
      expect(answer.headers['www-authenticate']).toContain(
        `authorization="https://login.microsoftonline.com/${EXAMPLE.tenantId}"`,
      );
    });

    it('fails when the token has expired', async () => {
      const answer = await get(
        service(),
        USERNAME,
        accessClaims({ iat: now() - 7200, nbf: now() - 7200, exp: now() - 3600 }),
      );

      expect(answer.status).toBe(401);
      expect(answer.body.error.message).toBe('AKV10021: Token has expired.');
    });

    it('fails when the token is signed with another key', async () => {
      const other = await signingKey();
      const token = await sign(accessClaims(), { privateKey: other.privateKey, kid: entraKey.kid });

      const answer = await call((req, res, u) => service().handle(req, res, u), USERNAME, {
        headers: { authorization: `Bearer ${token}` },
      });

      expect(answer.status).toBe(401);
      expect(answer.body.error.message).toBe(
        'AKV10000: Token validation failed: the signature is not valid.',
      );
    });

    it.each([
      ['Azure Resource Manager', 'https://management.azure.com'],
      ['a host that starts like the vault resource', 'https://vault.azure.net.example.com'],
      ['Microsoft Graph', 'https://graph.microsoft.com'],
      ['the token exchange audience', 'api://AzureADTokenExchange'],
    ])('fails when the token is for another audience: %s', async (_case, audience) => {
      const answer = await get(service(), USERNAME, accessClaims({ aud: audience }));

      expect(answer.status).toBe(401);
      expect(answer.body.error.message).toBe(
        `AKV10022: Invalid audience. Expected https://vault.azure.net, found: ${audience}.`,
      );
    });

    const OTHER_TENANT = 'deadbeef-0000-4000-8000-000000000009';
    it.each([
      [
        'both tid and issuer name another tenant',
        { tid: OTHER_TENANT, iss: `https://sts.windows.net/${OTHER_TENANT}/` },
      ],
      ['only tid names another tenant', { tid: OTHER_TENANT }],
      ['only the issuer names another tenant', { iss: `https://sts.windows.net/${OTHER_TENANT}/` }],
      [
        'the issuer is the v2 endpoint of the right tenant',
        { iss: `https://login.microsoftonline.com/${EXAMPLE.tenantId}/v2.0` },
      ],
    ])('fails when the token is for another tenant: %s', async (_case, overrides) => {
      const answer = await get(service(), USERNAME, accessClaims(overrides));

      expect(answer.status).toBe(401);
      expect(answer.body.error.message).toMatch(
        new RegExp(
          `^AKV10032: Invalid issuer\\. Expected one of https://sts\\.windows\\.net/${EXAMPLE.tenantId}/, found `,
        ),
      );
    });
  });

  describe('roles', () => {
    const at = (
      roleDefinitionName: string,
      scope: string = `${EXAMPLE.vaultId}/secrets/username`,
      principalId: string = EXAMPLE.principalId,
    ) => [{ principalId, roleDefinitionName, scope }];

    it.each(['Key Vault Secrets User', 'Key Vault Secrets Officer', 'Key Vault Administrator'])(
      'lets %s read the secret',
      async (role) => {
        expect((await get(service(at(role)), USERNAME)).status).toBe(200);
      },
    );

    it.each([
      'Key Vault Reader',
      'Key Vault Crypto User',
      'Key Vault Certificates Officer',
      'Key Vault Crypto Officer',
      'Key Vault Contributor',
      'Reader',
      'Contributor',
      'Owner',
    ])('fails when the role is %s, which does not read secret values', async (role) => {
      const answer = await get(service(at(role)), USERNAME);

      expect(answer.status).toBe(403);
      expect(answer.body.error).toMatchObject({
        code: 'Forbidden',
        innererror: { code: 'ForbiddenByRbac' },
      });
    });

    it('fails when the role is assigned to another principal', async () => {
      const answer = await get(
        service(
          at(
            'Key Vault Secrets User',
            `${EXAMPLE.vaultId}/secrets/username`,
            'aaaaaaaa-0000-4000-8000-000000000000',
          ),
        ),
        USERNAME,
      );

      expect(answer.status).toBe(403);
    });

    it('reads through a role on the vault or its resource group, which contain the secret', async () => {
      const group = EXAMPLE.vaultId.replace(/\/providers\/.*$/, '');

      expect(
        (await get(service(at('Key Vault Secrets User', EXAMPLE.vaultId)), USERNAME)).status,
      ).toBe(200);
      expect((await get(service(at('Key Vault Secrets User', group)), USERNAME)).status).toBe(200);
      // Azure resource ids compare without regard to case.
      expect(
        (await get(service(at('Key Vault Secrets User', EXAMPLE.vaultId.toUpperCase())), USERNAME))
          .status,
      ).toBe(200);
    });

    it.each([
      [
        'a secret whose name starts the same ("user" for "username")',
        `${EXAMPLE.vaultId}/secrets/user`,
      ],
      ['a secret whose name extends it ("username2")', `${EXAMPLE.vaultId}/secrets/username2`],
      [
        'a resource group whose name starts the same',
        EXAMPLE.vaultId.replace(/\/resourceGroups\/rg-wi-demo\/.*$/, '/resourceGroups/rg-wi'),
      ],
    ])('fails when the scope only shares a prefix with the secret: %s', async (_case, scope) => {
      const answer = await get(service(at('Key Vault Secrets User', scope)), USERNAME);

      expect(answer.status).toBe(403);
    });

    it('fails when the role is on secret "pass" and the caller reads "password"', async () => {
      const answer = await get(
        service(at('Key Vault Secrets User', `${EXAMPLE.vaultId}/secrets/pass`)),
        `${EXAMPLE.vaultUrl}secrets/password?api-version=2025-07-01`,
      );

      expect(answer.status).toBe(403);
    });

    it('fails when the role is on vault kv-wi-demo-7f3a and the secret is in kv-wi-demo-7f3a0', async () => {
      const answer = await get(
        service(at('Key Vault Secrets User', EXAMPLE.vaultId)),
        `${longerNamedVault.vaultUri}secrets/username?api-version=2025-07-01`,
      );

      expect(answer.status).toBe(403);
      expect(answer.body.error.message).toContain(
        `Resource: '${KV10_ID.toLowerCase()}/secrets/username'`,
      );
    });
  });

  describe('requests', () => {
    it.each([
      ['an unknown version', '2099-01-01'],
      ['a version from another service', '2023-07-01'],
      ['a preview spelling', '7.6-preview.2'],
    ])('fails with 400 BadParameter on %s', async (_case, version) => {
      const answer = await get(
        service(),
        `${EXAMPLE.vaultUrl}secrets/username?api-version=${version}`,
      );

      expect(answer.status).toBe(400);
      expect(answer.body).toEqual({
        error: {
          code: 'BadParameter',
          message: `The specified version (${version}) is not recognized. Consider using the latest supported version (2025-07-01).`,
        },
      });
    });

    it('fails with 400 BadParameter before any token check when the api-version is unknown', async () => {
      const answer = await get(
        service(),
        `${EXAMPLE.vaultUrl}secrets/username?api-version=1.0`,
        undefined,
      );

      expect(answer.status).toBe(400);
      expect(answer.headers['www-authenticate']).toBeUndefined();
    });

    it('caps the echoed api-version', async () => {
      const answer = await get(
        service(),
        `${EXAMPLE.vaultUrl}secrets/username?api-version=${'9'.repeat(5000)}`,
      );

      expect(answer.status).toBe(400);
      expect(answer.body.error.message.length).toBeLessThan(200);
    });

    it('accepts every version the SDK can be told to use, sent as the SDK encodes the key', async () => {
      for (const version of ['7.0', '7.4', '7.6', '2025-07-01']) {
        expect(
          (await get(service(), `${EXAMPLE.vaultUrl}secrets/username?api%2Dversion=${version}`))
            .status,
        ).toBe(200);
      }
    });

    it.each([
      ['in the secret name', `${EXAMPLE.vaultUrl}secrets/user%zzname?api-version=2025-07-01`],
      ['as a lone % in the name', `${EXAMPLE.vaultUrl}secrets/user%?api-version=2025-07-01`],
      [
        'as a truncated UTF-8 sequence',
        `${EXAMPLE.vaultUrl}secrets/user%E2%82?api-version=2025-07-01`,
      ],
      ['in the version', `${EXAMPLE.vaultUrl}secrets/username/%G0?api-version=2025-07-01`],
    ])('fails with 400 BadParameter on malformed percent-encoding %s', async (_case, url) => {
      const answer = await get(service(), url);

      expect(answer.status).toBe(400);
      expect(answer.body.error).toEqual({
        code: 'BadParameter',
        message: 'The request URI is invalid: it holds a malformed percent-encoded sequence.',
      });
    });
  });
});
