import { describe, expect, it } from 'vitest';
import { KeyVault, RBAC_PROPAGATION_DELAY } from '../../../constructs/azure/key-vault';
import { WorkloadIdentity } from '../../../constructs/azure/workload-identity';
import { resourcesOf } from '../../../verify/synthesized-pair';
import { azureScope, synthJson } from '../../support/azure-helpers';

function vaultWithIdentity(name?: string) {
  const scope = azureScope();
  const vault = new KeyVault(scope.stack, 'KeyVault', {
    name,
    resourceGroup: scope.resourceGroup,
    deployer: scope.deployer,
  });
  const identity = new WorkloadIdentity(scope.stack, 'Identity', {
    name: 'reader-mi',
    resourceGroup: scope.resourceGroup,
  });
  return { ...scope, vault, identity };
}

const secretsUser = (tf: ReturnType<typeof synthJson>) =>
  resourcesOf(tf, 'azurerm_role_assignment').filter(
    (r) => r.values.role_definition_name === 'Key Vault Secrets User',
  );

describe('KeyVault', () => {
  it('grants one secret with secret.grantRead: the scope is that secret only', () => {
    const { stack, vault, identity } = vaultWithIdentity();
    const secret = vault.addSecret('db-password');
    vault.addSecret('other');
    const assignment = secret.grantRead(identity);
    const tf = synthJson(stack);
    const [resource] = resourcesOf(tf, 'azurerm_key_vault_secret').filter(
      (s) => s.values.name === 'db-password',
    );
    expect(secretsUser(tf).map((r) => r.values)).toEqual([
      expect.objectContaining({
        scope: `\${${resource.address}.resource_versionless_id}`,
        principal_id: `\${${resourcesOf(tf, 'azurerm_user_assigned_identity')[0].address}.principal_id}`,
      }),
    ]);
    // The method returns the assignment it created.
    expect(assignment.node.path).toBe('test/KeyVault/SecretsUser-Identity-Secret-db-password');
  });

  it('grants the whole vault only through the separately named grantReadAllSecrets', () => {
    const { stack, vault, identity } = vaultWithIdentity();
    vault.addSecret('db-password');
    vault.grantReadAllSecrets(identity);
    const tf = synthJson(stack);
    const [resource] = resourcesOf(tf, 'azurerm_key_vault');
    expect(secretsUser(tf).map((r) => r.values.scope)).toEqual([`\${${resource.address}.id}`]);
  });

  it('makes every secret wait for the propagation of the deployer role, started by that assignment', () => {
    const { stack, vault } = vaultWithIdentity();
    vault.addSecret('a');
    vault.addSecret('b');
    const tf = synthJson(stack);
    const [wait] = resourcesOf(tf, 'time_sleep');
    const officer = resourcesOf(tf, 'azurerm_role_assignment').find(
      (r) => r.values.role_definition_name === 'Key Vault Secrets Officer',
    )!;
    expect(wait.values).toEqual({
      create_duration: RBAC_PROPAGATION_DELAY,
      triggers: { role_assignment_id: `\${${officer.address}.id}` },
    });
    expect(resourcesOf(tf, 'azurerm_key_vault_secret').map((s) => s.values.depends_on)).toEqual([
      [wait.address],
      [wait.address],
    ]);
  });

  it('keeps an explicit name as given', () => {
    const { stack } = vaultWithIdentity('team-vault-1');
    expect(resourcesOf(synthJson(stack), 'azurerm_key_vault')[0].values.name).toBe('team-vault-1');
  });

  it('generates a name from the subscription and the group when none is given', () => {
    const { stack } = vaultWithIdentity();
    expect(resourcesOf(synthJson(stack), 'azurerm_key_vault')[0].values.name).toBe(
      'wi-kv-${substr(sha1(lower(join("/", [data.azurerm_client_config.Deployer.subscription_id, azurerm_resource_group.ResourceGroup.name]))), 0, 16)}',
    );
  });

  it('fails when an explicit name breaks the Key Vault rules', () => {
    expect(() => vaultWithIdentity('my--vault')).toThrow(
      'Key Vault name "my--vault" must be a Key Vault name: 3-24 letters, digits and "-", starting with a letter, ending with a letter or digit, no "--"',
    );
  });

  it('fails when a secret is granted that the vault does not hold', () => {
    const { vault } = vaultWithIdentity();
    expect(() => vault.secret('missing')).toThrow(
      'Key Vault test/KeyVault has no secret "missing": add it with addSecret() first',
    );
  });

  it('fails when a secret is added twice', () => {
    const { vault } = vaultWithIdentity();
    vault.addSecret('a');
    expect(() => vault.addSecret('a')).toThrow('Key Vault test/KeyVault already has a secret "a"');
  });
});
