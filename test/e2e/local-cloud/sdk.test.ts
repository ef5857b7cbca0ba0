/**
 * The real @azure/identity and @azure/keyvault-secrets, unchanged, in a child process with production settings,
 * against the local cloud: the path a workload on AKS takes, and the ways it breaks.
 */
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CloudModel } from '../../../local-cloud/core/model';
import {
  EXAMPLE,
  exampleModel,
  examplePod,
  exampleServiceAccount,
} from '../../../local-cloud/example-model';
import type { LocalCloud } from '../../../local-cloud/local-cloud';
import { startLocalCloud } from '../../../local-cloud/local-cloud';

// The workload program's folder: its own install (app/node_modules) holds the SDK; the root installs none.
const appDir = fileURLToPath(new URL('../../../app/', import.meta.url));

// The workload under test, kept tiny: read one secret, print one JSON line. Run from app/ so that `@azure/*`
// resolve from the program's own install, the SDK the program runs on.
const WORKLOAD = `
import { DefaultAzureCredential, WorkloadIdentityCredential } from '@azure/identity';
import { SecretClient } from '@azure/keyvault-secrets';
const started = Date.now();
const credential = process.env.CREDENTIAL === 'default' ? new DefaultAzureCredential() : new WorkloadIdentityCredential();
try {
  const secret = await new SecretClient(process.env.KEYVAULT_URL, credential).getSecret(process.env.SECRET_NAME);
  console.log(JSON.stringify({ ok: true, value: secret.value, id: secret.properties.id, elapsedInMs: Date.now() - started }));
} catch (err) {
  console.log(JSON.stringify({ ok: false, name: err.name, code: err.code, statusCode: err.statusCode, message: err.message }));
  process.exitCode = 1;
}
`;

interface WorkloadResult {
  readonly ok: boolean;
  readonly value?: string;
  readonly id?: string;
  readonly elapsedInMs?: number;
  readonly name?: string;
  readonly code?: string;
  readonly statusCode?: number;
  readonly message?: string;
}

interface ReadSecretOptions {
  readonly serviceAccountName?: string;
  readonly secretName?: string;
  readonly credential?: 'workload' | 'default';
  readonly tokenIssuedAt?: Date;
}

async function readSecret(
  cloud: LocalCloud,
  options: ReadSecretOptions = {},
): Promise<WorkloadResult> {
  const { object } = cloud.mutatePod(
    examplePod(options.serviceAccountName),
    exampleServiceAccount(options.serviceAccountName),
  );
  const pod = await cloud.runPod({
    pod: object,
    command: process.execPath,
    args: ['--input-type=module', '--eval', WORKLOAD],
    cwd: appDir,
    env: {
      KEYVAULT_URL: EXAMPLE.vaultUrl,
      SECRET_NAME: options.secretName ?? 'username',
      CREDENTIAL: options.credential ?? 'workload',
    },
    tokenIssuedAt: options.tokenIssuedAt,
  });
  await pod.exited;
  const last = pod.stdout.at(-1);
  if (!last?.startsWith('{')) {
    throw new Error(`the workload printed no result:\n${pod.logs()}`);
  }
  return JSON.parse(last) as WorkloadResult;
}

async function withCloud<T>(
  model: CloudModel,
  body: (cloud: LocalCloud) => Promise<T>,
): Promise<T> {
  const cloud = await startLocalCloud(model);
  try {
    return await body(cloud);
  } finally {
    await cloud.close();
  }
}

describe('the Azure SDKs against the local cloud', () => {
  let cloud: LocalCloud;
  beforeAll(async () => {
    cloud = await startLocalCloud(exampleModel());
  });
  afterAll(async () => {
    await cloud?.close();
  });

  it('reads the secret with WorkloadIdentityCredential', async () => {
    const before = cloud.stats();

    const result = await readSecret(cloud);

    expect(result).toMatchObject({ ok: true, value: 'admin' });
    expect(result.id).toMatch(
      /^https:\/\/kv-wi-demo-7f3a\.vault\.azure\.net\/secrets\/username\/[0-9a-f]{32}$/,
    );
    // The SDK's own sequence: unauthenticated GET -> 401 challenge -> token -> GET again.
    const after = cloud.stats();
    expect(after.challenges - before.challenges).toBe(1);
    expect(after.tokensIssued - before.tokensIssued).toBe(1);
    expect(after.secretReads - before.secretReads).toBe(1);
    expect(after.connects['login.microsoftonline.com']).toBeGreaterThan(
      before.connects['login.microsoftonline.com'] ?? 0,
    );
  });

  it('reads the secret with DefaultAzureCredential', async () => {
    const result = await readSecret(cloud, { credential: 'default' });

    expect(result).toMatchObject({ ok: true, value: 'admin' });
  });

  it('fails with AADSTS700213 when the service account is not the credential subject', async () => {
    const result = await readSecret(cloud, { serviceAccountName: 'other-sa' });

    expect(result.ok).toBe(false);
    expect(result.message).toContain(
      "AADSTS700213: No matching federated identity record found for presented assertion subject 'system:serviceaccount:workload-id-test:other-sa'.",
    );
  });

  it('fails with AADSTS700024 when the projected token has expired', async () => {
    const twoHoursAgo = new Date(Date.now() - 2 * 3600 * 1000);

    const result = await readSecret(cloud, { tokenIssuedAt: twoHoursAgo });

    expect(result.ok).toBe(false);
    expect(result.message).toContain(
      'AADSTS700024: Client assertion is not within its valid time range.',
    );
  });

  it('fails with 403 Forbidden when the role is on another secret', async () => {
    const result = await readSecret(cloud, { secretName: 'password' });

    expect(result).toMatchObject({ ok: false, statusCode: 403, code: 'Forbidden' });
    expect(result.message).toContain('Caller is not authorized to perform action on resource.');
  });

  it('fails with AADSTS700211 when the credential issuer lacks the trailing slash', async () => {
    // GIVEN a federated credential whose issuer was copied without AKS's trailing '/'
    const model = exampleModel();
    const credentials = model.federatedCredentials.map((c) => ({
      ...c,
      issuer: c.issuer.replace(/\/$/, ''),
    }));

    // WHEN the workload presents its token, whose iss keeps the '/'
    const result = await withCloud(exampleModel({ federatedCredentials: credentials }), (c) =>
      readSecret(c),
    );

    // THEN Entra finds no credential
    expect(result.ok).toBe(false);
    expect(result.message).toContain(
      `AADSTS700211: No matching federated identity record found for presented assertion issuer '${EXAMPLE.oidcIssuerUrl}'.`,
    );
  });

  it('fails with 404 SecretNotFound when the secret does not exist', async () => {
    // GIVEN the identity may read every secret of the vault, so authorization passes
    const vaultWide = exampleModel({
      roleAssignments: [
        ...exampleModel().roleAssignments.filter((a) => a.principalId !== EXAMPLE.principalId),
        {
          principalId: EXAMPLE.principalId,
          roleDefinitionName: 'Key Vault Secrets User',
          scope: EXAMPLE.vaultId,
        },
      ],
    });

    const result = await withCloud(vaultWide, (c) => readSecret(c, { secretName: 'missing' }));

    expect(result).toMatchObject({ ok: false, statusCode: 404, code: 'SecretNotFound' });
    expect(result.message).toContain(
      'A secret with (name/id) missing was not found in this key vault.',
    );
  });

  describe('faults', () => {
    it('recovers when the token endpoint answers 503 once', async () => {
      const before = cloud.stats();
      cloud.faults.set({ tokenEndpointErrors: { status: 503, times: 1 } });

      const result = await readSecret(cloud);

      expect(result).toMatchObject({ ok: true, value: 'admin' });
      const after = cloud.stats();
      expect(
        after.faultsInjected.tokenEndpointErrors - before.faultsInjected.tokenEndpointErrors,
      ).toBe(1);
      expect(after.tokenRequests - before.tokenRequests).toBe(2);
    });

    it('honours Retry-After when Key Vault throttles once', async () => {
      const before = cloud.stats();
      cloud.faults.set({ keyVaultThrottling: { times: 1, retryAfterInSeconds: 1 } });

      const result = await readSecret(cloud);

      expect(result).toMatchObject({ ok: true, value: 'admin' });
      expect(result.elapsedInMs).toBeGreaterThanOrEqual(1000);
      expect(
        cloud.stats().faultsInjected.keyVaultThrottling - before.faultsInjected.keyVaultThrottling,
      ).toBe(1);
    });
  });
});
