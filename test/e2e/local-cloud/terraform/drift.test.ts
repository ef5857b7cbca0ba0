// Day two with the real Terraform against the local cloud: a change made outside Terraform (drift), `terraform import`
// of every resource the project's stack holds, and Key Vault's soft-delete as the azurerm features block says. Each
// test deploys the project's own Azure stack (the lab's) into a local cloud of its own, so the three run at once.
import { readFileSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  applyLab,
  type LabFiles,
  labTerraformEnv,
  type TerraformFailed,
} from '../../../../lab/lab';
import {
  CloudStore,
  type CloudStoreData,
  HOME_SUBSCRIPTION_ID,
} from '../../../../local-cloud/core/cloud-store';
import { runTerraform, TerraformError } from '../../../../local-cloud/terraform/run';
import { deployedLab, labFor } from '../../../support/lab-helpers';

/** Run Terraform in the lab's stack; a failure is returned, not thrown. */
async function terraform(
  files: LabFiles,
  args: string[],
): Promise<{ code: number; stdout: string; text: string }> {
  try {
    const result = await runTerraform(files.stackDir, args, {
      workDir: files.workDir,
      env: labTerraformEnv(files),
    });
    return { code: result.exitCode, stdout: result.stdout, text: result.summary.join('\n') };
  } catch (err) {
    if (!(err instanceof TerraformError)) throw err;
    return {
      code: err.result.exitCode,
      stdout: err.result.stdout,
      text: `${err.result.stdout}\n${err.result.stderr}`,
    };
  }
}

/** Terraform wraps long messages: compare with every run of white space as one space. */
const flat = (text: string) => text.replace(/[│\s]+/g, ' ');

/** The lab with a registry and a second workload that signs in as an Entra application: every type the stack uses. */
function everyType(data: any): void {
  data.registry = {};
  data.workloads.push({
    ...data.workloads[0],
    name: 'app',
    namespace: 'app-ns',
    serviceAccount: 'app-sa',
    pod: 'app-pod',
    managedIdentity: 'workload-id-app',
    identity: 'application',
  });
}

/** The stack's managed resources and their ids, from `terraform show -json`. */
async function managed(files: LabFiles): Promise<{ address: string; id: string }[]> {
  const shown = await runTerraform(files.stackDir, ['show', '-json'], {
    workDir: files.workDir,
    env: labTerraformEnv(files),
  });
  const resources = JSON.parse(shown.stdout).values.root_module.resources as {
    address: string;
    mode: string;
    values: { id: string };
  }[];
  return resources
    .filter((r) => r.mode === 'managed')
    .map((r) => ({ address: r.address, id: r.values.id }));
}

/** The attributes each resource's plan changes (`~`, `+` or `-` lines of an in-place update), by address. */
function changedAttributes(stdout: string): Map<string, string[]> {
  const changed = new Map<string, string[]>();
  for (const part of stdout.split(/\n\s*# (?=\S+ (?:will|must) be)/).slice(1)) {
    const address = /^(\S+) will be updated in-place/.exec(part)?.[1];
    if (!address) continue;
    changed.set(
      address,
      [...part.matchAll(/^\s+[~+-] (\w+)\s+=/gm)].map((m) => m[1] as string),
    );
  }
  return changed;
}

const change = (files: LabFiles, edit: (data: CloudStoreData) => void) =>
  new CloudStore(files.storeFile).update(edit);

function editStack(files: LabFiles, edit: (tf: any) => void): void {
  const tf = JSON.parse(readFileSync(files.terraformFile, 'utf8'));
  edit(tf);
  writeFileSync(files.terraformFile, JSON.stringify(tf));
}

describe.concurrent('day two with the real Terraform', { timeout: 600_000 }, () => {
  it('plans the drift of 14 out-of-band changes, and apply puts Azure back as configured', async () => {
    const files = await labFor(everyType);
    // GIVEN changes made outside Terraform, in the portal or with az
    change(files, (data) => {
      data.resourceGroups[0] = { ...data.resourceGroups[0], tags: { owner: 'portal' } };
      const identity = data.identities[0];
      data.identities[0] = { ...identity, tags: { team: 'x' } };
      data.federatedCredentials = data.federatedCredentials.filter(
        (c) => c.parentKind !== 'identity',
      );
      const [vault] = data.keyVaults;
      Object.assign(vault, {
        skuName: 'premium',
        publicNetworkAccessEnabled: false,
        tags: { cost: 'center' },
      });
      // `az keyvault secret delete`: the secret is deleted but recoverable
      const password = vault.secrets.find((s) => s.name === 'password');
      vault.secrets = vault.secrets.filter((s) => s !== password);
      vault.deletedSecrets = [
        { ...password!, deletedAt: Date.now(), scheduledPurgeAt: Date.now() + 3_600_000 },
      ];
      data.roleAssignments = data.roleAssignments.filter((a) => a.roleDefinitionName !== 'AcrPull');
      Object.assign(data.clusters[0], { workloadIdentityEnabled: false, tags: { env: 'x' } });
      Object.assign(data.registries[0], { adminEnabled: true, tags: { a: 'b' } });
      const application = data.applications[0];
      data.applications[0] = { ...application, displayName: 'renamed-in-portal' };
      const appCredential = data.federatedCredentials.find((c) => c.parentKind === 'application');
      data.federatedCredentials = data.federatedCredentials.map((c) =>
        c === appCredential ? { ...c, subject: 'system:serviceaccount:other:sa' } : c,
      );
    });

    // WHEN Terraform plans
    const plan = await terraform(files, ['plan', '-input=false', '-no-color']);
    const out = flat(plan.stdout);

    // THEN each change shows, as the attribute Azure now holds and the configured one
    for (const expected of [
      /azurerm_resource_group\.\S+ will be updated in-place .*?- "owner" = "portal"/,
      /azurerm_user_assigned_identity\.\S+ will be updated in-place .*?- "team" = "x"/,
      /azurerm_federated_identity_credential\.\S+ will be created/,
      /azurerm_key_vault\.\S+ will be updated in-place/,
      /~ sku_name\s+= "premium" -> "standard"/,
      /[-~] public_network_access_enabled\s+= false -> /,
      /- "cost" = "center"/,
      /azurerm_key_vault_secret\.\S+ will be created .*?name\s+= "password"/,
      /azurerm_role_assignment\.\S+ will be created .*?role_definition_name\s+= "AcrPull"/,
      /azurerm_kubernetes_cluster\.\S+ will be updated in-place/,
      /~ workload_identity_enabled\s+= false -> true/,
      /- "env" = "x"/,
      /azurerm_container_registry\.\S+ will be updated in-place .*?~ admin_enabled\s+= true -> false/,
      /- "a" = "b"/,
      /azuread_application\.\S+ will be updated in-place .*?~ display_name\s+= "renamed-in-portal" -> "/,
      /azuread_application_federated_identity_credential\.\S+ will be updated in-place .*?~ subject\s+= "system:serviceaccount:other:sa" -> "system:serviceaccount:app-ns:app-sa"/,
    ])
      expect(out).toMatch(expected);
    expect(out).toContain('Plan: 3 to add, 7 to change, 0 to destroy.');

    // WHEN applied, THEN Azure holds the configuration again and nothing is left to change
    await applyLab(files);
    const world = new CloudStore(files.storeFile).read();
    expect(world.keyVaults[0]).toMatchObject({
      skuName: 'standard',
      publicNetworkAccessEnabled: true,
      tags: {},
    });
    // The deleted secret was recovered (recover_soft_deleted_secrets) and set again.
    expect(world.keyVaults[0].secrets.map((s) => s.name).sort()).toEqual(['password', 'username']);
    expect(world.keyVaults[0].deletedSecrets).toEqual([]);
    expect(world.clusters[0]).toMatchObject({ workloadIdentityEnabled: true, tags: {} });
    expect(world.applications[0].displayName).not.toBe('renamed-in-portal');
    const again = await terraform(files, ['plan', '-input=false', '-detailed-exitcode']);
    expect(again.code, again.text).toBe(0);
  });

  it('drops what was deleted outside Terraform from state, and creates it again', async () => {
    const files = await deployedLab('default');
    change(files, (data) => {
      data.federatedCredentials = [];
      data.roleAssignments = data.roleAssignments.filter(
        (a) => a.roleDefinitionName !== 'Key Vault Secrets User',
      );
    });
    const refresh = await terraform(files, ['plan', '-refresh-only', '-input=false', '-no-color']);
    expect(flat(refresh.stdout)).toMatch(
      /azurerm_federated_identity_credential\.\S+ has been deleted/,
    );
    expect(flat(refresh.stdout)).toMatch(/azurerm_role_assignment\.\S+ has been deleted/);
    const applied = await applyLab(files);
    expect(applied.terraformLines).toContain(
      'Apply complete! Resources: 2 added, 0 changed, 0 destroyed.',
    );
    const world = new CloudStore(files.storeFile).read();
    expect(world.federatedCredentials).toHaveLength(1);
    expect(world.roleAssignments.map((a) => a.roleDefinitionName)).toContain(
      'Key Vault Secrets User',
    );
  });

  it('imports every resource of the stack by its Azure id, and the imported stack plans no changes', async () => {
    const canary = {
      TF_VAR_secret_username: 'canary-u-5e1f0a',
      TF_VAR_secret_password: 'canary-p-7d2c9b',
    };
    const files = await labFor(everyType, { env: canary });
    const resources = (await managed(files)).filter((r) => !r.address.startsWith('time_sleep.'));
    const types = new Set(resources.map((r) => r.address.split('.')[0]));
    expect([...types].sort()).toEqual([
      'azuread_application',
      'azuread_application_federated_identity_credential',
      'azuread_service_principal',
      'azurerm_container_registry',
      'azurerm_federated_identity_credential',
      'azurerm_key_vault',
      'azurerm_key_vault_secret',
      'azurerm_kubernetes_cluster',
      'azurerm_resource_group',
      'azurerm_role_assignment',
      'azurerm_user_assigned_identity',
    ]);
    // GIVEN a state that has forgotten them (the resources stay in Azure)
    await terraform(files, ['state', 'rm', ...resources.map((r) => r.address)]);

    // WHEN a resource id is spelled as the providers' case-sensitive parsers refuse
    const group = resources.find((r) => r.address.startsWith('azurerm_resource_group.'))!;
    const badGroup = await terraform(files, [
      'import',
      '-input=false',
      group.address,
      group.id.replace('/resourceGroups/', '/resourcegroups/'),
    ]);
    // THEN the import fails with the parser's own words
    expect(badGroup.code).toBe(1);
    expect(flat(badGroup.text)).toContain(
      `parsing segment "resourceGroups": parsing the ResourceGroup ID: the segment at position 2 didn't match Expected a ResourceGroup ID that matched: > /subscriptions/12345678-1234-9876-4563-123456789012/resourceGroups/example-resource-group`,
    );
    expect(flat(badGroup.text)).toContain('(which should be the literal value "resourceGroups")');
    const vault = resources.find((r) => r.address.startsWith('azurerm_key_vault.'))!;
    const badVault = await terraform(files, [
      'import',
      '-input=false',
      vault.address,
      vault.id.replace('Microsoft.KeyVault', 'microsoft.keyvault'),
    ]);
    expect(flat(badVault.text)).toContain(
      `parsing "${vault.id.replace('Microsoft.KeyVault', 'microsoft.keyvault')}": parsing segment "staticMicrosoftKeyVault": parsing the KeyVault ID: the segment at position 5 didn't match`,
    );
    // ... and the right id with `terraform import` works
    const imported = await terraform(files, ['import', '-input=false', group.address, group.id]);
    expect(imported.text).toContain('Import successful!');

    // WHEN the rest is imported with import blocks
    editStack(files, (tf) => {
      tf.import = resources.filter((r) => r !== group).map((r) => ({ to: r.address, id: r.id }));
    });
    const plan = await terraform(files, ['plan', '-input=false', '-no-color']);
    // THEN Terraform imports them all and changes nothing but what azurerm's Read cannot know on import: a
    // write-only secret's `value_wo_version` (Read keeps the state's, and an import has none; it also puts the value
    // in state, which that update takes out again)
    const secrets = resources.filter((r) => r.address.startsWith('azurerm_key_vault_secret.'));
    expect(flat(plan.stdout)).toContain(
      `Plan: ${resources.length - 1} to import, 0 to add, ${secrets.length} to change, 0 to destroy.`,
    );
    const changed = changedAttributes(plan.stdout);
    for (const secret of secrets)
      expect(changed.get(secret.address)?.sort(), JSON.stringify([...changed])).toEqual([
        'value',
        'value_wo_version',
      ]);
    expect([...changed.keys()].sort()).toEqual(secrets.map((r) => r.address).sort());
    await applyLab(files);
    const again = await terraform(files, ['plan', '-input=false', '-detailed-exitcode']);
    expect(again.code, again.text).toBe(0);
    // azurerm's Read put the secret's value in state on import; the apply with value_wo_version took it out.
    const state = readFileSync(`${files.workDir}/terraform.workload-identity.tfstate`, 'utf8');
    for (const value of Object.values(canary)) expect(state).not.toContain(value);
  });

  it('leaves the vault soft-deleted on destroy, and recovers it on the next deploy only when it may see and recover it', async () => {
    const files = await deployedLab('default');
    const before = new CloudStore(files.storeFile).read().keyVaults[0];
    const destroyed = await terraform(files, ['destroy', '-auto-approve', '-input=false']);
    expect(destroyed.code, destroyed.text).toBe(0);
    // GIVEN the project's features block: purge_soft_delete_on_destroy and purge_soft_deleted_secrets_on_destroy off
    let world = new CloudStore(files.storeFile).read();
    expect(world.keyVaults).toEqual([]);
    expect(world.deletedKeyVaults?.map((d) => d.vault.id)).toEqual([before.id]);
    expect(world.deletedKeyVaults?.[0].vault.deletedSecrets?.map((s) => s.name).sort()).toEqual([
      'password',
      'username',
    ]);

    // WHEN the features block opts out of recovering vaults, THEN azurerm refuses with its own message
    editStack(files, (tf) => {
      tf.provider.azurerm[0].features[0].key_vault[0].recover_soft_deleted_key_vaults = false;
    });
    const optedOut: TerraformFailed = await applyLab(files).then(
      () => expect.fail('the apply should fail'),
      (e) => e,
    );
    expect(flat(optedOut.lines.join(' '))).toContain(
      `An existing soft-deleted Key Vault exists with the Name "${before.name}" in the location "westeurope", however automatically recovering this KeyVault has been disabled via the "features" block.`,
    );
    editStack(files, (tf) => {
      tf.provider.azurerm[0].features[0].key_vault[0].recover_soft_deleted_key_vaults = true;
    });

    // WHEN the deployer may not read deleted vaults at the subscription, azurerm sees none (a 403 is "not found")
    // THEN the create meets the soft-deleted name: 409 ConflictError
    change(files, (data) => {
      Object.assign(data, {
        deployer: { ...data.deployer, subscriptionRoles: { [HOME_SUBSCRIPTION_ID]: [] } },
      });
    });
    const unseen: TerraformFailed = await applyLab(files).then(
      () => expect.fail('the apply should fail'),
      (e) => e,
    );
    expect(flat(unseen.lines.join(' '))).toContain(
      'ConflictError: A vault with the same name already exists in deleted state. You need to either recover or purge existing key vault.',
    );

    // WHEN the deployer may read them again, THEN the next deploy recovers the vault and its secrets
    change(files, (data) => {
      Object.assign(data, { deployer: { ...data.deployer, subscriptionRoles: undefined } });
    });
    await applyLab(files);
    world = new CloudStore(files.storeFile).read();
    expect(world.deletedKeyVaults).toEqual([]);
    expect(world.keyVaults.map((v) => [v.id, v.vaultUri])).toEqual([[before.id, before.vaultUri]]);
    expect(Object.fromEntries(world.keyVaults[0].secrets.map((s) => [s.name, s.value]))).toEqual(
      Object.fromEntries(before.secrets.map((s) => [s.name, s.value])),
    );
    expect(world.keyVaults[0].deletedSecrets).toEqual([]);
    const again = await terraform(files, ['plan', '-input=false', '-detailed-exitcode']);
    expect(again.code, again.text).toBe(0);
  });
});
