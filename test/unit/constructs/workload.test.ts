import { Chart, Testing } from 'cdk8s';
import { describe, expect, it } from 'vitest';
import { Workload } from '../../../constructs/kubernetes/workload';
import { WorkloadServiceAccount } from '../../../constructs/kubernetes/workload-service-account';

function workload(tokenExpirationSeconds: number) {
  const chart = new Chart(Testing.app(), 'test');
  const serviceAccount = new WorkloadServiceAccount(chart, 'Account', {
    name: 'sa',
    namespace: 'ns',
    clientId: '11111111-2222-3333-4444-555555555555',
    tenantId: '66666666-7777-8888-9999-000000000000',
  });
  new Workload(chart, 'Workload', {
    name: 'pod',
    serviceAccount,
    image: 'app:1',
    vaultUrl: 'https://kv.vault.azure.net/',
    secretName: 'username',
    tokenExpirationSeconds,
  });
  return Testing.synth(chart).find((o) => o.kind === 'Pod');
}

describe('Workload', () => {
  it.each([3600, 86400])(
    'accepts a token lifetime of %i seconds, the ends of the webhook range',
    (seconds) => {
      expect(
        workload(seconds).metadata.annotations[
          'azure.workload.identity/service-account-token-expiration'
        ],
      ).toBe(String(seconds));
    },
  );

  it.each([3599, 86401, 3600.5])('fails when the token lifetime is %s seconds', (seconds) => {
    expect(() => workload(seconds)).toThrow(
      `tokenExpirationSeconds ${seconds} must be a whole number of seconds from 3600 to 86400 (the webhook refuses others)`,
    );
  });
});
