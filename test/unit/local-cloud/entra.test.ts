/**
 * The local Entra's token endpoint, called directly: each test breaks exactly one thing a federated assertion could get
 * wrong, and fails if that check is weakened. A well-formed assertion is accepted first, so a refusal is never the
 * harness's own fault.
 */

import type { JWTPayload } from 'jose';
import { base64url } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import { Entra } from '../../../local-cloud/azure/entra';
import type { OidcIssuer } from '../../../local-cloud/azure/issuer';
import { Faults } from '../../../local-cloud/core/faults';
import { createStats } from '../../../local-cloud/core/stats';
import { EXAMPLE, exampleModel } from '../../../local-cloud/example-model';
import { type Answer, call, now, sign, signingKey } from '../../support/local-cloud-helpers';

describe('the local Entra refuses what Entra refuses', () => {
  let issuerKey: Awaited<ReturnType<typeof signingKey>>;
  let entra: Entra;
  beforeAll(async () => {
    issuerKey = await signingKey();
    // Entra needs only the issuer's published keys; the issuer's own server is not part of these tests.
    const issuer = { url: EXAMPLE.oidcIssuerUrl, jwks: issuerKey.jwks } as OidcIssuer;
    entra = await Entra.create(
      exampleModel(),
      (url) => (url === EXAMPLE.oidcIssuerUrl ? issuer : undefined),
      new Faults(),
      createStats(),
    );
  });

  /** The projected service account token's claims, as kube-apiserver writes them. */
  const assertionClaims = (overrides: JWTPayload = {}): JWTPayload => ({
    iss: EXAMPLE.oidcIssuerUrl,
    sub: `system:serviceaccount:${EXAMPLE.namespace}:${EXAMPLE.serviceAccountName}`,
    aud: ['api://AzureADTokenExchange'],
    iat: now(),
    nbf: now(),
    exp: now() + 3600,
    ...overrides,
  });

  const exchange = (assertion: string) =>
    call(
      (req, res, url) => entra.handle(req, res, url),
      `https://login.microsoftonline.com/${EXAMPLE.tenantId}/oauth2/v2.0/token`,
      {
        method: 'POST',
        body: new URLSearchParams({
          grant_type: 'client_credentials',
          client_id: EXAMPLE.clientId,
          scope: 'https://vault.azure.net/.default',
          client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
          client_assertion: assertion,
        }).toString(),
      },
    );

  const expectRefused = (answer: Answer, code: number) => {
    expect(answer.body.error_codes).toEqual([code]);
    expect(answer.body.access_token).toBeUndefined();
    return answer.body.error_description.split('\r\n')[0] as string;
  };

  it('accepts a well-formed assertion signed by the issuer', async () => {
    const answer = await exchange(await sign(assertionClaims(), issuerKey));

    expect(answer.status).toBe(200);
    expect(answer.body.access_token).toEqual(expect.any(String));
  });

  it("fails when the assertion is signed with another key under the issuer's key id", async () => {
    const other = await signingKey();

    const answer = await exchange(
      await sign(assertionClaims(), { privateKey: other.privateKey, kid: issuerKey.kid }),
    );

    expect(answer.status).toBe(401);
    expect(expectRefused(answer, 700027)).toBe(
      'AADSTS700027: Client assertion failed signature validation.',
    );
  });

  it('fails when the assertion is signed with a key the issuer does not publish', async () => {
    const answer = await exchange(await sign(assertionClaims(), await signingKey()));

    expect(expectRefused(answer, 700027)).toBe(
      'AADSTS700027: Client assertion failed signature validation.',
    );
  });

  it('fails when the assertion is not signed at all (alg none)', async () => {
    const unsigned = `${base64url.encode(JSON.stringify({ alg: 'none', typ: 'JWT' }))}.${base64url.encode(JSON.stringify(assertionClaims()))}.`;

    const answer = await exchange(unsigned);

    expect(expectRefused(answer, 700027)).toBe(
      'AADSTS700027: Client assertion failed signature validation.',
    );
  });

  it('fails when the assertion has no exp', async () => {
    const { exp: _exp, ...noExp } = assertionClaims();

    const answer = await exchange(await sign(noExp, issuerKey));

    expect(answer.status).toBe(401);
    expect(expectRefused(answer, 700024)).toMatch(
      /^AADSTS700024: Client assertion is not within its valid time range\. .*expiry time of assertion 1970-01-01T00:00:00\.0000000Z\./,
    );
  });

  it('fails when the assertion has expired', async () => {
    const answer = await exchange(
      await sign(
        assertionClaims({ iat: now() - 7200, nbf: now() - 7200, exp: now() - 3600 }),
        issuerKey,
      ),
    );

    expect(expectRefused(answer, 700024)).toMatch(
      /^AADSTS700024: Client assertion is not within its valid time range\./,
    );
  });

  it("fails with AADSTS700211 when no credential has the assertion's issuer", async () => {
    const issuer = EXAMPLE.oidcIssuerUrl.slice(0, -1);

    const answer = await exchange(await sign(assertionClaims({ iss: issuer }), issuerKey));

    expect(answer.status).toBe(401);
    expect(answer.body.error).toBe('invalid_client');
    expect(expectRefused(answer, 700211)).toMatch(
      new RegExp(
        `^AADSTS700211: No matching federated identity record found for presented assertion issuer '${issuer}'\\. `,
      ),
    );
  });

  it('fails with AADSTS700213 when the credential with that issuer has another subject', async () => {
    const subject = `system:serviceaccount:${EXAMPLE.namespace}:other-sa`;

    const answer = await exchange(await sign(assertionClaims({ sub: subject }), issuerKey));

    expect(expectRefused(answer, 700213)).toMatch(
      new RegExp(
        `^AADSTS700213: No matching federated identity record found for presented assertion subject '${subject}'\\. `,
      ),
    );
  });

  it('fails with AADSTS700212 when issuer and subject match but the audience does not', async () => {
    const answer = await exchange(
      await sign(assertionClaims({ aud: ['api://AzureADTokenExchange/'] }), issuerKey),
    );

    expect(expectRefused(answer, 700212)).toMatch(
      /^AADSTS700212: No matching federated identity record found for presented assertion audience 'api:\/\/AzureADTokenExchange\/'\. /,
    );
  });

  it('fails with AADSTS700211 when the matching credential belongs to another identity', async () => {
    // GIVEN a second identity of the tenant, with no credential of its own
    const model = exampleModel();
    const otherClientId = '9a8b7c6d-0000-4000-8000-0000000000ff';
    const lonely = await Entra.create(
      {
        ...model,
        identities: [
          ...model.identities,
          {
            ...model.identities[0],
            clientId: otherClientId,
            principalId: '1f2e3d4c-0000-4000-8000-0000000000ff',
          },
        ],
      },
      () => ({ url: EXAMPLE.oidcIssuerUrl, jwks: issuerKey.jwks }) as OidcIssuer,
      new Faults(),
      createStats(),
    );

    // WHEN the first identity's token is presented for the second one
    const answer = await call(
      (req, res, url) => lonely.handle(req, res, url),
      `https://login.microsoftonline.com/${EXAMPLE.tenantId}/oauth2/v2.0/token`,
      {
        method: 'POST',
        body: new URLSearchParams({
          grant_type: 'client_credentials',
          client_id: otherClientId,
          scope: 'https://vault.azure.net/.default',
          client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
          client_assertion: await sign(assertionClaims(), issuerKey),
        }).toString(),
      },
    );

    // THEN Entra finds no credential of that identity for the issuer
    expect(expectRefused(answer, 700211)).toContain(
      `presented assertion issuer '${EXAMPLE.oidcIssuerUrl}'`,
    );
  });
});
