import { Testing } from 'cdktf';
import { describe, expect, it } from 'vitest';
import { loadConfig, parseConfig } from '../config/load-config';
import type { Config } from '../config/schema';
import { AzureStack } from '../constructs/stacks/azure-stack';
import { resourcesOf, type TerraformJson } from '../verify/synthesized-pair';
import { defaultConfigData } from './helpers';

function synth(config: Config = loadConfig()): TerraformJson {
  const app = Testing.app();
  return JSON.parse(Testing.synth(new AzureStack(app, 'workload-identity', { config })));
}

const one = (tf: TerraformJson, type: string) => {
  const list = resourcesOf(tf, type);
  expect(list).toHaveLength(1);
  return list[0];
};

describe('AzureStack', () => {
  it('matches the snapshot of the default config', () => {
    expect(synth()).toMatchSnapshot();
  });

  it('turns on the OIDC issuer and workload identity', () => {
    expect(one(synth(), 'azurerm_kubernetes_cluster').values).toMatchObject({
      oidc_issuer_enabled: true,
      workload_identity_enabled: true,
      role_based_access_control_enabled: true,
    });
  });

  it('trusts the service account through the cluster issuer, exact subject and audience', () => {
    const tf = synth();
    const cluster = one(tf, 'azurerm_kubernetes_cluster');
    const identity = one(tf, 'azurerm_user_assigned_identity');
    expect(one(tf, 'azurerm_federated_identity_credential').values).toMatchObject({
      issuer: `\${${cluster.address}.oidc_issuer_url}`,
      subject: 'system:serviceaccount:workload-id-test:workload-id-sa',
      audience: ['api://AzureADTokenExchange'],
      parent_id: `\${${identity.address}.id}`,
    });
  });

  it('grants Key Vault Secrets User on the one secret the workload reads', () => {
    const tf = synth();
    const secret = resourcesOf(tf, 'azurerm_key_vault_secret').find(
      (s) => s.values.name === 'username',
    )!;
    const identity = one(tf, 'azurerm_user_assigned_identity');
    const grants = resourcesOf(tf, 'azurerm_role_assignment').filter(
      (r) => r.values.role_definition_name === 'Key Vault Secrets User',
    );
    expect(grants.map((g) => g.values)).toEqual([
      expect.objectContaining({
        scope: `\${${secret.address}.resource_versionless_id}`,
        principal_id: `\${${identity.address}.principal_id}`,
      }),
    ]);
  });

  it('grants on the vault when roleScope is vault', () => {
    const data = defaultConfigData();
    data.workloads[0].roleScope = 'vault';
    const tf = synth(parseConfig(data));
    const vault = one(tf, 'azurerm_key_vault');
    const grant = resourcesOf(tf, 'azurerm_role_assignment').find(
      (r) => r.values.role_definition_name === 'Key Vault Secrets User',
    )!;
    expect(grant.values.scope).toBe(`\${${vault.address}.id}`);
  });

  it('creates an RBAC vault the deployer can write secrets to', () => {
    const tf = synth();
    const vault = one(tf, 'azurerm_key_vault');
    expect(vault.values).toMatchObject({
      rbac_authorization_enabled: true,
      soft_delete_retention_days: 7,
      purge_protection_enabled: false,
      tenant_id: '${data.azurerm_client_config.Deployer.tenant_id}',
    });
    const officer = resourcesOf(tf, 'azurerm_role_assignment').find(
      (r) => r.values.role_definition_name === 'Key Vault Secrets Officer',
    )!;
    expect(officer.values).toMatchObject({
      principal_id: '${data.azurerm_client_config.Deployer.object_id}',
      scope: `\${${vault.address}.id}`,
    });
    for (const secret of resourcesOf(tf, 'azurerm_key_vault_secret'))
      expect(secret.values.depends_on).toEqual([officer.address]);
  });

  it('writes secret values only through ephemeral sensitive variables and value_wo', () => {
    const tf = synth();
    for (const secret of resourcesOf(tf, 'azurerm_key_vault_secret')) {
      expect(secret.values.value).toBeUndefined();
      expect(secret.values.value_wo).toBe(`\${var.secret_${secret.values.name}}`);
      expect(secret.values.value_wo_version).toBe(1);
    }
    expect(tf.variable?.secret_username).toMatchObject({
      sensitive: true,
      ephemeral: true,
      type: 'string',
    });
    expect((tf.terraform as any).required_version).toBe('>= 1.11.0');
  });

  it('outputs the bindings of each workload under the contract names', () => {
    const tf = synth();
    expect(Object.keys(tf.output ?? {}).sort()).toEqual([
      'cluster_name',
      'demo_client_id',
      'demo_oidc_issuer_url',
      'demo_tenant_id',
      'demo_vault_url',
      'resource_group_name',
    ]);
  });

  it('chains the federated credentials of one identity and shares it between workloads', () => {
    const data = defaultConfigData();
    data.workloads = ['a', 'b', 'c'].map((n) => ({
      ...data.workloads[0],
      name: n,
      serviceAccount: `sa-${n}`,
      pod: `pod-${n}`,
    }));
    const tf = synth(parseConfig(data));
    expect(resourcesOf(tf, 'azurerm_user_assigned_identity')).toHaveLength(1);
    const credentials = resourcesOf(tf, 'azurerm_federated_identity_credential');
    expect(credentials.map((c) => c.values.depends_on)).toEqual([
      undefined,
      [credentials[0].address],
      [credentials[1].address],
    ]);
    // One grant: the same identity reads the same secret.
    expect(
      resourcesOf(tf, 'azurerm_role_assignment').filter(
        (r) => r.values.role_definition_name === 'Key Vault Secrets User',
      ),
    ).toHaveLength(1);
  });

  it('keeps the state file inside the project, with no machine path', () => {
    expect((synth().terraform as any).backend).toEqual({
      local: { path: '../../../terraform.workload-identity.tfstate' },
    });
  });

  it('adds a Windows node pool when asked, with no admin password in Terraform', () => {
    const data = defaultConfigData();
    data.cluster.windowsNodePool = { nodeCount: 2 };
    const tf = synth(parseConfig(data));
    const cluster = one(tf, 'azurerm_kubernetes_cluster');
    expect(one(tf, 'azurerm_kubernetes_cluster_node_pool').values).toMatchObject({
      name: 'win',
      os_type: 'Windows',
      node_count: 2,
      vm_size: 'Standard_D4s_v5',
      kubernetes_cluster_id: `\${${cluster.address}.id}`,
    });
    expect(cluster.values.windows_profile).toBeUndefined();
  });

  it('registers an Entra application with a service principal for identity: application, granting the principal', () => {
    const data = defaultConfigData();
    data.workloads[0].identity = 'application';
    const tf = synth(parseConfig(data));
    const application = one(tf, 'azuread_application');
    const principal = one(tf, 'azuread_service_principal');
    expect(principal.values.client_id).toBe(`\${${application.address}.client_id}`);
    const grant = resourcesOf(tf, 'azurerm_role_assignment').find(
      (r) => r.values.role_definition_name === 'Key Vault Secrets User',
    )!;
    expect(grant.values.principal_id).toBe(`\${${principal.address}.object_id}`);
    expect(tf.output?.demo_client_id.value).toBe(`\${${application.address}.client_id}`);
    expect(one(tf, 'azuread_application_federated_identity_credential').values).toMatchObject({
      issuer: expect.stringMatching(/oidc_issuer_url\}$/),
      audiences: ['api://AzureADTokenExchange'],
    });
  });
});
