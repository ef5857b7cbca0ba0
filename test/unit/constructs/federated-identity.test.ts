import { describe, expect, it } from 'vitest';
import { MAX_FEDERATED_CREDENTIALS_PER_IDENTITY } from '../../../config/rules';
import type { Cluster } from '../../../constructs/azure/cluster';
import { federatedCredentialName } from '../../../constructs/azure/federated-identity';
import { WorkloadIdentity } from '../../../constructs/azure/workload-identity';
import { resourcesOf } from '../../../verify/synthesized-pair';
import { azureScope, synthJson } from '../../support/azure-helpers';

const cluster: Cluster = {
  clusterName: 'aks',
  oidcIssuerUrl: 'https://westeurope.oic.prod-aks.azure.com/tenant/issuer/',
  resourceGroup: { name: 'rg', location: 'westeurope' },
  kubeletObjectId: 'kubelet',
};

/** Entra's rule for a federated identity credential's name. */
const CREDENTIAL_NAME = /^[a-zA-Z0-9][-\w]{2,119}$/;

function identityWith(accounts: [string, string][]) {
  const { stack, resourceGroup } = azureScope();
  const identity = new WorkloadIdentity(stack, 'Identity', { name: 'shared-mi', resourceGroup });
  for (const [namespace, serviceAccountName] of accounts)
    identity.addFederatedCredential({ cluster, namespace, serviceAccountName });
  return { stack, identity };
}

const namesOf = (accounts: [string, string][]) =>
  resourcesOf(synthJson(identityWith(accounts).stack), 'azurerm_federated_identity_credential').map(
    (c) => c.values.name as string,
  );

describe('FederatedIdentity', () => {
  it.each([
    ['a namespace with "-" against a service account with "-"', ['a-b', 'c'], ['a', 'b-c']],
    ['"." against "-" in the service account', ['ns', 'b.c'], ['ns', 'b-c']],
    [
      'names that differ only after 120 characters',
      ['ns', `${'x'.repeat(200)}.one`],
      ['ns', `${'x'.repeat(200)}.two`],
    ],
  ] as [string, [string, string], [string, string]][])(
    'gives two service accounts two credentials: %s',
    (_case, first, second) => {
      const names = namesOf([first, second]);
      expect(names).toHaveLength(2);
      expect(new Set(names).size).toBe(2);
      for (const name of names) expect(name).toMatch(CREDENTIAL_NAME);
    },
  );

  it('names a credential <namespace>_<service account> when that fits as it is', () => {
    expect(namesOf([['workload-id-test', 'workload-id-sa']])).toEqual([
      'workload-id-test_workload-id-sa',
    ]);
  });

  it('gives one service account name in two namespaces two credentials', () => {
    const { stack } = identityWith([
      ['team-a', 'reader'],
      ['team-b', 'reader'],
    ]);
    const credentials = resourcesOf(synthJson(stack), 'azurerm_federated_identity_credential');
    expect(credentials.map((c) => c.values.subject)).toEqual([
      'system:serviceaccount:team-a:reader',
      'system:serviceaccount:team-b:reader',
    ]);
    // Chained: Entra refuses concurrent writes to one identity.
    expect(credentials[1].values.depends_on).toEqual([credentials[0].address]);
  });

  it(`accepts ${MAX_FEDERATED_CREDENTIALS_PER_IDENTITY} credentials on one identity`, () => {
    const accounts = Array.from(
      { length: MAX_FEDERATED_CREDENTIALS_PER_IDENTITY },
      (_, i): [string, string] => ['ns', `sa-${i}`],
    );
    expect(namesOf(accounts)).toHaveLength(MAX_FEDERATED_CREDENTIALS_PER_IDENTITY);
  });

  it('fails when a 21st credential is added to one identity', () => {
    const accounts = Array.from(
      { length: MAX_FEDERATED_CREDENTIALS_PER_IDENTITY },
      (_, i): [string, string] => ['ns', `sa-${i}`],
    );
    const { identity } = identityWith(accounts);
    expect(() =>
      identity.addFederatedCredential({ cluster, namespace: 'ns', serviceAccountName: 'sa-20' }),
    ).toThrow(
      'identity "shared-mi" already has 20 federated credentials: Entra allows at most 20, so system:serviceaccount:ns:sa-20 needs another identity',
    );
  });

  it('keeps a rewritten name apart from every plain one: it holds a second "_", which no plain name can', () => {
    const rewritten = federatedCredentialName('ns', 'b.c');
    expect(rewritten).toMatch(/^ns_b-c_[0-9a-f]{10}$/);
    expect(federatedCredentialName('ns', 'b-c')).toBe('ns_b-c');
  });

  it('fails when a service account name is not a DNS-1123 subdomain (a "_" would make names ambiguous)', () => {
    const { identity } = identityWith([]);
    expect(() =>
      identity.addFederatedCredential({ cluster, namespace: 'ns', serviceAccountName: 'b-c_1' }),
    ).toThrow('service account name "b-c_1" must be a DNS-1123 subdomain');
    expect(() =>
      identity.addFederatedCredential({ cluster, namespace: 'Ns', serviceAccountName: 'sa' }),
    ).toThrow('namespace "Ns" must be a DNS-1123 label');
  });

  it('fails when the same service account is trusted twice', () => {
    const { identity } = identityWith([['ns', 'sa']]);
    expect(() =>
      identity.addFederatedCredential({ cluster, namespace: 'ns', serviceAccountName: 'sa' }),
    ).toThrow(
      'identity "shared-mi" already trusts system:serviceaccount:ns:sa: one credential per service account',
    );
  });
});
