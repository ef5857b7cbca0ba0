import { DataAzurermKeyVault } from '@cdktf/provider-azurerm/lib/data-azurerm-key-vault';
import { DataAzurermKubernetesCluster } from '@cdktf/provider-azurerm/lib/data-azurerm-kubernetes-cluster';
import { describe, expect, it } from 'vitest';
import { ExistingAksCluster } from '../../../constructs/azure/existing-aks-cluster';
import { ExistingKeyVault } from '../../../constructs/azure/existing-key-vault';
import { WorkloadIdentity } from '../../../constructs/azure/workload-identity';
import { resourcesOf } from '../../../verify/synthesized-pair';
import { azureScope, synthJson } from '../../support/azure-helpers';

const GROUP = { name: 'secrets-rg', location: 'westeurope' };

function existing() {
  const { stack, resourceGroup } = azureScope();
  const vault = new ExistingKeyVault(stack, 'KeyVault', { name: 'team-kv', resourceGroup: GROUP });
  new ExistingAksCluster(stack, 'Cluster', { name: 'aks', resourceGroup: GROUP });
  const identity = new WorkloadIdentity(stack, 'Identity', { name: 'reader-mi', resourceGroup });
  return { stack, vault, identity };
}

/** The attributes a postcondition reads from `self`. */
const selfAttributes = (condition: string) =>
  [...condition.matchAll(/self\.(\w+)/g)].map((m) => m[1]);
const camel = (snake: string) => snake.replace(/_(\w)/g, (_m, c: string) => c.toUpperCase());

describe('ExistingKeyVault', () => {
  it('checks only attributes the pinned data sources have (azurerm 4: rbac_authorization_enabled)', () => {
    const tf = synthJson(existing().stack);
    for (const [type, source] of [
      ['data.azurerm_key_vault', DataAzurermKeyVault],
      ['data.azurerm_kubernetes_cluster', DataAzurermKubernetesCluster],
    ] as const) {
      const [data] = resourcesOf(tf, type);
      for (const { condition } of (data.values.lifecycle as any).postcondition)
        for (const attribute of selfAttributes(condition))
          expect(camel(attribute) in source.prototype, `${type} has ${attribute}`).toBe(true);
    }
    const [vault] = resourcesOf(tf, 'data.azurerm_key_vault');
    expect((vault.values.lifecycle as any).postcondition[0].condition).toBe(
      '${self.rbac_authorization_enabled}',
    );
  });

  it('grants one existing secret with secret(name).grantRead, and the vault with grantReadAllSecrets', () => {
    const { stack, vault, identity } = existing();
    vault.secret('username').grantRead(identity);
    vault.grantReadAllSecrets(identity);
    const tf = synthJson(stack);
    const [data] = resourcesOf(tf, 'data.azurerm_key_vault');
    expect(resourcesOf(tf, 'azurerm_role_assignment').map((r) => r.values.scope)).toEqual([
      `\${${data.address}.id}/secrets/username`,
      `\${${data.address}.id}`,
    ]);
  });

  it('fails when a secret name breaks the Key Vault rules', () => {
    expect(() => existing().vault.secret('user_name')).toThrow(
      'secret name "user_name" must be a Key Vault secret name',
    );
  });
});
