// Day two with the real Terraform against the local providers: renames that replace what depends on them in one
// apply, the provider's refusals at validate and plan (and, where its Update code refuses, at apply), the AKS issuer
// turned on, and an AKS replacement. The generic planner decides every one of these from the facts.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type LabFiles, labTerraformEnv } from '../../../../lab/lab';
import {
  CloudStore,
  HOME_SUBSCRIPTION_ID,
  storeFileIn,
} from '../../../../local-cloud/core/cloud-store';
import { runTerraform, TerraformError } from '../../../../local-cloud/terraform/run';
import { tempDir } from '../../../support/helpers';
import { deployedLab } from '../../../support/lab-helpers';

/** Terraform's whole output, and its exit code; a failure is returned, not thrown. */
async function terraform(
  dir: string,
  workDir: string,
  env: NodeJS.ProcessEnv,
  args: string[],
): Promise<{ code: number; out: string }> {
  try {
    const r = await runTerraform(dir, args, { workDir, env });
    return { code: r.exitCode, out: `${r.stdout}\n${r.stderr}` };
  } catch (err) {
    if (!(err instanceof TerraformError)) throw err;
    return { code: err.result.exitCode, out: `${err.result.stdout}\n${err.result.stderr}` };
  }
}

const inLab = (files: LabFiles, args: string[]) =>
  terraform(files.stackDir, files.workDir, labTerraformEnv(files), args);

/** Edit the lab's synthesized Terraform in place. */
function edit(files: LabFiles, change: (tf: any) => void): void {
  const tf = JSON.parse(readFileSync(files.terraformFile, 'utf8'));
  change(tf);
  writeFileSync(files.terraformFile, JSON.stringify(tf));
}

const only = (resources: object) => Object.values(resources)[0] as any;
const replaced = (out: string) =>
  [...out.matchAll(/# (\S+) must be replaced/g)].map((m) => (m[1] as string).split('.')[0]).sort();
const applyArgs = ['apply', '-auto-approve', '-input=false'];
const noChanges = ['plan', '-input=false', '-detailed-exitcode'];

describe.concurrent('day two with the real Terraform', () => {
  it('renames the identity, then the resource group, each in one apply: what depends on them is replaced with them', async () => {
    const files = await deployedLab('default');
    // WHEN the identity is renamed
    edit(files, (tf) => {
      only(tf.resource.azurerm_user_assigned_identity).name = 'workload-id-mi-2';
    });
    const identity = await inLab(files, applyArgs);
    // THEN one apply replaces it, its federated credential and its role assignment (their ForceNew arguments are
    // unknown until the new identity exists), and the store holds the new credential
    expect(identity.code, identity.out).toBe(0);
    expect(replaced(identity.out)).toEqual([
      'azurerm_federated_identity_credential',
      'azurerm_role_assignment',
      'azurerm_user_assigned_identity',
    ]);
    expect(identity.out).toContain('Apply complete! Resources: 3 added, 0 changed, 3 destroyed.');
    let world = new CloudStore(files.storeFile).read();
    const [mi] = world.identities;
    expect(world.identities.map((i) => i.name)).toEqual(['workload-id-mi-2']);
    expect(world.federatedCredentials.map((c) => c.parentId)).toEqual([mi?.id]);
    expect(
      world.roleAssignments.filter((a) => a.roleDefinitionName === 'Key Vault Secrets User'),
    ).toEqual([expect.objectContaining({ principalId: mi?.principalId })]);

    // WHEN the resource group is renamed: everything in it is replaced, in one apply
    edit(files, (tf) => {
      tf.resource.azurerm_resource_group.ResourceGroup.name = 'workload-id-rg-2';
    });
    const group = await inLab(files, applyArgs);
    expect(group.code, group.out).toBe(0);
    expect(replaced(group.out)).toEqual(
      expect.arrayContaining([
        'azurerm_federated_identity_credential',
        'azurerm_key_vault',
        'azurerm_key_vault_secret',
        'azurerm_kubernetes_cluster',
        'azurerm_resource_group',
        'azurerm_role_assignment',
        'azurerm_user_assigned_identity',
        'time_sleep',
      ]),
    );
    world = new CloudStore(files.storeFile).read();
    expect(world.resourceGroups.map((g) => g.name)).toEqual(['workload-id-rg-2']);
    for (const kind of ['identities', 'keyVaults', 'clusters'] as const)
      expect(
        world[kind].map((r) => r.resourceGroupName),
        kind,
      ).toEqual(['workload-id-rg-2']);
    expect(world.federatedCredentials.map((c) => c.issuer)).toEqual([
      world.clusters[0]?.oidcIssuerUrl,
    ]);
    expect((await inLab(files, noChanges)).code).toBe(0);
  });

  it('renames the vault and a secret, each in one apply; a retention change passes the plan and fails at apply, as in azurerm', async () => {
    const files = await deployedLab('default');
    edit(files, (tf) => {
      only(tf.resource.azurerm_key_vault).name = 'wi-kv-renamed-0001';
    });
    const vault = await inLab(files, applyArgs);
    expect(vault.code, vault.out).toBe(0);
    expect(replaced(vault.out)).toEqual([
      'azurerm_key_vault',
      'azurerm_key_vault_secret',
      'azurerm_key_vault_secret',
      'azurerm_role_assignment',
      'azurerm_role_assignment',
      'time_sleep',
    ]);
    let world = new CloudStore(files.storeFile).read();
    expect(world.keyVaults.map((v) => [v.name, v.secrets.map((s) => s.name).sort()])).toEqual([
      ['wi-kv-renamed-0001', ['password', 'username']],
    ]);

    edit(files, (tf) => {
      tf.resource.azurerm_key_vault_secret['KeyVault_Secret-username_73A2ED0C'].name = 'user-name';
    });
    const secret = await inLab(files, applyArgs);
    expect(secret.code, secret.out).toBe(0);
    expect(replaced(secret.out)).toEqual(['azurerm_key_vault_secret', 'azurerm_role_assignment']);
    world = new CloudStore(files.storeFile).read();
    const names = world.keyVaults[0]?.secrets.map((s) => s.name).sort();
    expect(names).toContain('user-name');
    const reader = world.roleAssignments.find(
      (a) => a.roleDefinitionName === 'Key Vault Secrets User',
    );
    expect(reader?.scope).toMatch(/\/secrets\/user-name$/);

    // azurerm refuses a new retention only in its Update code: the plan is an update, the apply fails.
    edit(files, (tf) => {
      only(tf.resource.azurerm_key_vault).soft_delete_retention_days = 30;
    });
    const retention = await inLab(files, applyArgs);
    expect(retention.code).toBe(1);
    expect(retention.out).toContain('Plan: 0 to add, 1 to change, 0 to destroy.');
    expect(retention.out.replace(/\s+/g, ' ')).toContain(
      'once `soft_delete_retention_days` has been configured it cannot be modified',
    );
  });

  it('replaces the cluster when the default node pool is renamed: a new issuer URL and kubelet identity, the credential follows in the same apply', async () => {
    const files = await deployedLab('default');
    const before = new CloudStore(files.storeFile).read().clusters[0];
    // A resize without temporary_name_for_rotation plans as an update and fails in azurerm's Update code.
    edit(files, (tf) => {
      const pool = only(tf.resource.azurerm_kubernetes_cluster).default_node_pool;
      pool.vm_size = 'Standard_D4s_v5';
      delete pool.temporary_name_for_rotation;
    });
    const resize = await inLab(files, applyArgs);
    expect(resize.code).toBe(1);
    expect(resize.out).toContain('1 to change, 0 to destroy');
    expect(resize.out.replace(/\s+/g, ' ')).toContain(
      '`temporary_name_for_rotation` must be specified when updating any of the following properties ["default_node_pool.0.name"',
    );

    edit(files, (tf) => {
      const pool = only(tf.resource.azurerm_kubernetes_cluster).default_node_pool;
      pool.vm_size = 'Standard_D2s_v5';
      pool.temporary_name_for_rotation = 'systemtmp';
      pool.name = 'system2';
    });
    const rename = await inLab(files, applyArgs);
    expect(rename.code, rename.out).toBe(0);
    expect(replaced(rename.out)).toEqual(['azurerm_kubernetes_cluster']);
    expect(rename.out).toMatch(/~ resource "azurerm_federated_identity_credential"/);
    const world = new CloudStore(files.storeFile).read();
    const after = world.clusters[0];
    expect(after?.oidcIssuerUrl).toMatch(/^https:\/\/.+\/$/);
    expect(after?.oidcIssuerUrl).not.toBe(before?.oidcIssuerUrl);
    expect(after?.kubeletIdentity.objectId).not.toBe(before?.kubeletIdentity.objectId);
    expect(world.federatedCredentials.map((c) => c.issuer)).toEqual([after?.oidcIssuerUrl]);
    expect((await inLab(files, noChanges)).code).toBe(0);
  });

  it('turns the AKS issuer on as an update: oidc_issuer_url is known after apply and what uses it follows in the same apply', async () => {
    const dir = tempDir('wi-tf-oidc-');
    const workDir = join(dir, '.local-cloud');
    mkdirSync(workDir, { recursive: true });
    const store = new CloudStore(storeFileIn(workDir)).init();
    const env = { ARM_SUBSCRIPTION_ID: HOME_SUBSCRIPTION_ID };
    const stack = (issuer: boolean) => ({
      terraform: {
        required_providers: {
          azurerm: { source: 'hashicorp/azurerm', version: '4.55.0' },
          time: { source: 'hashicorp/time', version: '0.13.1' },
        },
      },
      provider: { azurerm: [{ features: [{}] }] },
      resource: {
        azurerm_resource_group: { rg: { name: 'oidc-rg', location: 'West Europe' } },
        azurerm_kubernetes_cluster: {
          aks: {
            name: 'oidc-aks',
            resource_group_name: '${azurerm_resource_group.rg.name}',
            location: '${azurerm_resource_group.rg.location}',
            dns_prefix: 'oidc-aks',
            oidc_issuer_enabled: issuer,
            default_node_pool: [{ name: 'system', vm_size: 'Standard_D2s_v5', node_count: 1 }],
            identity: [{ type: 'SystemAssigned' }],
          },
        },
        time_sleep: {
          issuer: {
            create_duration: '1s',
            triggers: { issuer: '${azurerm_kubernetes_cluster.aks.oidc_issuer_url}' },
          },
        },
      },
      output: { issuer: { value: '${azurerm_kubernetes_cluster.aks.oidc_issuer_url}' } },
    });
    writeFileSync(join(dir, 'main.tf.json'), JSON.stringify(stack(false)));
    expect((await terraform(dir, workDir, env, ['init', '-input=false'])).code).toBe(0);
    const created = await terraform(dir, workDir, env, applyArgs);
    expect(created.code, created.out).toBe(0);
    // The location is planned as the state holds it, and a spelling difference is no change.
    expect(new CloudStore(store.file).read().resourceGroups[0]?.location).toBe('westeurope');

    writeFileSync(join(dir, 'main.tf.json'), JSON.stringify(stack(true)));
    const plan = await terraform(dir, workDir, env, ['plan', '-input=false']);
    expect(plan.code, plan.out).toBe(0);
    expect(plan.out).toMatch(/[~+] oidc_issuer_url\s+= (?:"" -> )?\(known after apply\)/);
    expect(plan.out).toMatch(/# azurerm_kubernetes_cluster\.aks will be updated in-place/);
    const enabled = await terraform(dir, workDir, env, applyArgs);
    expect(enabled.code, enabled.out).toBe(0);
    expect(enabled.out).toContain('Apply complete! Resources: 1 added, 1 changed, 1 destroyed.');
    const url = new CloudStore(store.file).read().clusters[0]?.oidcIssuerUrl;
    expect(url).toMatch(/^https:\/\/westeurope\.oic\.prod-aks\.azure\.com\/.+\/$/);
    const state = JSON.parse(readFileSync(join(dir, 'terraform.tfstate'), 'utf8'));
    expect(state.outputs.issuer.value).toBe(url);
    expect((await terraform(dir, workDir, env, noChanges)).code).toBe(0);
  });

  it("fails validate with the providers' own messages for values their validators refuse", async () => {
    const dir = tempDir('wi-tf-validate-');
    const workDir = join(dir, '.local-cloud');
    const group = `/subscriptions/${HOME_SUBSCRIPTION_ID}/resourceGroups/rg`;
    writeFileSync(
      join(dir, 'main.tf.json'),
      JSON.stringify({
        terraform: {
          required_providers: {
            azurerm: { source: 'hashicorp/azurerm', version: '4.55.0' },
            azuread: { source: 'hashicorp/azuread', version: '3.7.0' },
            time: { source: 'hashicorp/time', version: '0.13.1' },
          },
        },
        provider: { azurerm: [{ features: [{}] }] },
        resource: {
          azurerm_key_vault: {
            kv: {
              name: 'kv-validate',
              resource_group_name: 'rg',
              location: 'westeurope',
              tenant_id: '00000000-0000-0000-0000-000000000000',
              sku_name: 'standard',
              soft_delete_retention_days: 5,
            },
          },
          azurerm_federated_identity_credential: {
            fic: {
              name: 'fic',
              resource_group_name: 'rg',
              parent_id: `${group}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/mi`,
              audience: ['api://AzureADTokenExchange', 'api://other'],
              issuer: 'https://issuer.example/',
              subject: 'system:serviceaccount:demo:demo',
            },
          },
          azurerm_role_assignment: {
            ra: {
              name: 'reader',
              scope: group,
              role_definition_name: 'Key Vault Secrets User',
              principal_id: '00000000-0000-0000-0000-000000000001',
            },
          },
          azurerm_kubernetes_cluster_node_pool: {
            np: {
              name: 'user_pool',
              kubernetes_cluster_id: `${group}/providers/Microsoft.ContainerService/managedClusters/aks`,
              vm_size: 'Standard_D2s_v5',
            },
          },
          azurerm_key_vault_secret: {
            // Terraform validates no resource whose dependencies fail: this one names its vault by id.
            s: {
              name: 's',
              key_vault_id: `${group}/providers/Microsoft.KeyVault/vaults/kv-validate`,
              value_wo: 'not-a-secret',
            },
          },
          time_sleep: { wait: { create_duration: '1m30s' } },
        },
      }),
    );
    await terraform(dir, workDir, {}, ['init', '-input=false']);
    const validate = await terraform(dir, workDir, {}, ['validate', '-no-color']);
    expect(validate.code).toBe(1);
    const out = validate.out.replace(/\s+/g, ' ');
    for (const message of [
      'Error: expected soft_delete_retention_days to be in the range (7 - 90), got 5',
      'Error: Too many list items',
      'Attribute audience supports 1 item maximum, but config has 2 declared.',
      'Error: expected "name" to be a valid UUID, got reader',
      'Error: the "name" must begin with a lowercase letter, contain only lowercase letters and numbers and be between 1 and 12 characters in length, got "user_pool"',
      'Error: Missing required argument',
      '"value_wo": all of `value_wo,value_wo_version` must be specified',
      'Error: Invalid Attribute Value Match',
      'Attribute create_duration must be a number immediately followed by ms (milliseconds), s (seconds), m (minutes), or h (hours). For example, "30s" for 30 seconds., got: 1m30s',
    ])
      expect(out).toContain(message);
  });
});
