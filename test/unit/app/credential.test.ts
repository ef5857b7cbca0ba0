import { describe, expect, test } from 'vitest';
import { BoundedHttpClient } from '../../../app/bounded-http-client';
import { createCredential } from '../../../app/credential';
import type { CredentialSettings } from '../../../app/settings';

const workloadIdentity = {
  clientId: '00000000-0000-0000-0000-000000000001',
  tenantId: '00000000-0000-0000-0000-000000000002',
  tokenFilePath: '/var/run/secrets/azure/tokens/azure-identity-token',
  authorityHost: 'https://login.microsoftonline.com/',
};

describe('createCredential', () => {
  test.each<[CredentialSettings, string]>([
    [{ mode: 'default' }, 'DefaultAzureCredential'],
    [{ mode: 'chained', workloadIdentity }, 'ChainedTokenCredential'],
    [{ mode: 'workload-identity', workloadIdentity }, 'WorkloadIdentityCredential'],
    [{ mode: 'client-assertion', workloadIdentity }, 'ClientAssertionCredential'],
  ])('builds %o as %s', async (settings, className) => {
    expect((await createCredential(settings, new BoundedHttpClient())).constructor.name).toBe(
      className,
    );
  });
});
