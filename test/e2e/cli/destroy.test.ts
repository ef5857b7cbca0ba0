import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  DEPLOYED,
  runCli,
  SECRET_VARIABLES,
  SUBSCRIPTION,
  standIns,
} from '../../support/cli-helpers';
import { defaultConfigData, tempDir } from '../../support/helpers';

/** An outputs file of the stand-in deploy, with some of the Azure stack's outputs changed. */
function outputsWith(cwd: string, changes: Record<string, string>): void {
  const deployed = structuredClone(DEPLOYED);
  Object.assign(deployed['workload-identity'], changes);
  writeFileSync(join(cwd, 'outputs.json'), JSON.stringify(deployed));
}

describe('destroy', () => {
  it('prints the steps with --dry-run and runs nothing', () => {
    const cwd = tempDir();
    const run = runCli(['destroy', '--dry-run'], { cwd });
    expect(run.status).toBe(0);
    expect(run.calls).toEqual([]);
    const target = "--kubeconfig '<temp dir>/kubeconfig' --context workload-id-aks";
    const only = '--selector app.kubernetes.io/managed-by=workload-id --field-selector';
    expect(run.stdout.split('\n').filter((line) => line.startsWith('$ '))).toEqual([
      '$ az account show --output json',
      "$ az aks get-credentials --resource-group workload-id-rg --name workload-id-aks --context workload-id-aks --file '<temp dir>/kubeconfig' --overwrite-existing --subscription '<subscription of az account show>'",
      `$ kubectl ${target} delete pod --namespace workload-id-test ${only} metadata.name=demo-pod --ignore-not-found`,
      `$ kubectl ${target} delete serviceaccount --namespace workload-id-test ${only} metadata.name=workload-id-sa --ignore-not-found`,
      `$ kubectl ${target} delete namespace ${only} metadata.name=workload-id-test --ignore-not-found`,
      "$ ARM_SUBSCRIPTION_ID='<subscription of az account show>' cdktf destroy workload-identity --auto-approve --ignore-missing-stack-dependencies",
    ]);
    expect(existsSync(join(cwd, 'dist'))).toBe(false);
  });

  it('says what happens to the vault: not purged, soft-deleted for its retention days, recovered by a deploy', () => {
    const run = runCli(['destroy', '--dry-run']);
    expect(run.stdout).toContain(
      // The default config names no vault: Terraform generates the name, which the outputs file holds.
      'destroy: Key Vault (its generated name is in the outputs file of the deploy) is not purged: it and its secrets stay soft-deleted for 7 days (keyVault.softDeleteRetentionDays), then Azure purges them; a deploy of this config in the same subscription and location before then recovers the vault and its secrets under the same name; to free the name at once: az keyvault purge --name <vault name> --location westeurope',
    );
  });

  it('names the deployed vault, read from the outputs file, in what it says about the vault', () => {
    const cwd = tempDir();
    writeFileSync(join(cwd, 'outputs.json'), JSON.stringify(DEPLOYED));
    const run = runCli(['destroy', '--dry-run'], { cwd });
    expect(run.stdout).toContain(
      'destroy: Key Vault workload-id-kv-demo is not purged: it and its secrets stay soft-deleted for 7 days',
    );
    expect(run.stdout).toContain(
      'az keyvault purge --name workload-id-kv-demo --location westeurope',
    );
  });

  it('never deletes a namespace deploy did not make (default), nor anything of it but its own objects', () => {
    const cwd = tempDir();
    const data = defaultConfigData();
    data.workloads[0].namespace = 'default';
    writeFileSync(join(cwd, 'my.yaml'), JSON.stringify(data));
    const run = runCli(['destroy', '--dry-run', '--config', 'my.yaml'], { cwd });
    expect(run.status).toBe(0);
    const deletes = run.stdout.split('\n').filter((line) => line.startsWith('$ kubectl'));
    expect(deletes.map((line) => line.split(' delete ')[1].split(' --')[0])).toEqual([
      'pod',
      'serviceaccount',
    ]);
    for (const line of deletes)
      expect(line).toMatch(
        /--namespace default --selector app\.kubernetes\.io\/managed-by=workload-id --field-selector metadata\.name=/,
      );
  });

  it('refuses without --yes when stdin is not a terminal', () => {
    const run = runCli(['destroy'], { env: SECRET_VARIABLES });
    expect(run.status).toBe(1);
    expect(run.stderr.trim()).toBe(
      'destroy: refusing to destroy without confirmation: stdin is not a terminal; pass --yes to confirm',
    );
    expect(run.calls).toEqual(['az account show --output json']);
  });

  it('fetches credentials into a kubeconfig of its own, deletes what deploy made through it, then the Azure side', () => {
    // GIVEN az on another default subscription than the one cdktf deploys to
    const cwd = tempDir();
    const other = '00000000-0000-0000-0000-0000000000aa';
    const run = runCli(['destroy', '--yes'], {
      cwd,
      env: { ...SECRET_VARIABLES, ARM_SUBSCRIPTION_ID: other },
    });
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    // THEN every az call names that subscription, and every kubectl the kubeconfig and context destroy wrote
    const kubeconfig = /--file (\S+\/kubeconfig)/.exec(run.calls[2])?.[1];
    expect(kubeconfig).toMatch(/workload-id-destroy-/);
    const target = `--kubeconfig ${kubeconfig} --context workload-id-aks`;
    const only = '--selector app.kubernetes.io/managed-by=workload-id --field-selector';
    const env = `(ARM_SUBSCRIPTION_ID=${other})`;
    expect(run.calls).toEqual([
      `az account show --subscription ${other} --output json ${env}`,
      `az aks show --resource-group workload-id-rg --name workload-id-aks --query {entraId: aadProfile != null, localAccountsDisabled: disableLocalAccounts} --output json --subscription ${other} ${env}`,
      `az aks get-credentials --resource-group workload-id-rg --name workload-id-aks --context workload-id-aks --file ${kubeconfig} --overwrite-existing --subscription ${other} ${env}`,
      `kubectl ${target} delete pod --namespace workload-id-test ${only} metadata.name=demo-pod --ignore-not-found ${env}`,
      `kubectl ${target} delete serviceaccount --namespace workload-id-test ${only} metadata.name=workload-id-sa --ignore-not-found ${env}`,
      `kubectl ${target} delete namespace ${only} metadata.name=workload-id-test --ignore-not-found ${env}`,
      `cdktf destroy workload-identity --auto-approve --ignore-missing-stack-dependencies ${env}`,
    ]);
    expect(run.stdout).toContain(
      `Azure subscription: Stand-in subscription (${other}), from ARM_SUBSCRIPTION_ID: cdktf and every az call use it`,
    );
    // AND the credentials are gone afterwards; the user's kube config was never written
    expect(existsSync(kubeconfig as string)).toBe(false);
  });

  it('fails when a secret variable is not set, saying any value will do', () => {
    const run = runCli(['destroy', '--yes']);
    expect(run.status).toBe(1);
    expect(run.stderr.trim()).toBe(
      'destroy: TF_VAR_secret_username and TF_VAR_secret_password are not set: Terraform asks for every variable, even to destroy; any value will do (e.g. export TF_VAR_secret_<name>=unused)',
    );
    expect(run.calls).toEqual([]);
  });

  it('destroys both stacks with one cdktf destroy workload-identity workload-identity-k8s with --single, and says when it fails', () => {
    const run = runCli(['destroy', '--single', '--yes'], { env: SECRET_VARIABLES });
    expect(run.status).toBe(0);
    expect(run.calls).toEqual([
      'az account show --output json',
      `cdktf destroy workload-identity workload-identity-k8s --auto-approve (ARM_SUBSCRIPTION_ID=${SUBSCRIPTION})`,
    ]);
    expect(run.stdout).toContain(
      'destroy: Key Vault (its generated name is in the outputs file of the deploy) is not purged',
    );
    const failed = runCli(['destroy', '--single', '--yes'], {
      env: { ...SECRET_VARIABLES, STANDIN_FAIL: 'cdktf' },
    });
    expect(failed.status).toBe(1);
    expect(failed.stderr.trim().split('\n').at(-1)).toBe(
      'destroy: step 1/1 "cdktf destroy workload-identity workload-identity-k8s" failed (exit 1); no step before it was done',
    );
  });

  it('destroys the Azure stack when the cluster was never created, skipping the Kubernetes steps and saying so', () => {
    // GIVEN a first deploy that failed before AKS created the cluster (quota, a VM size the region lacks): no outputs
    const run = runCli(['destroy', '--yes'], {
      env: { ...SECRET_VARIABLES, STANDIN_AZ_NO_CLUSTER: '1' },
    });
    // THEN az says the cluster is not found, destroy says what it skips, and cdktf destroy runs all the same
    expect(run.status).toBe(0);
    expect(run.stderr).toContain(
      "ERROR: (ResourceNotFound) The Resource 'Microsoft.ContainerService/managedClusters/workload-id-aks' under resource group 'workload-id-rg' was not found.",
    );
    expect(run.stdout).toContain(
      `destroy: cluster workload-id-aks does not exist in resource group workload-id-rg of subscription ${SUBSCRIPTION} (az aks show: not found): nothing to delete in it; the Kubernetes steps are skipped, the Azure stack is destroyed`,
    );
    expect(run.stdout).toContain(
      '[2/6] az aks get-credentials: skipped: cluster workload-id-aks does not exist',
    );
    expect(run.calls.map((c) => c.split(' ').slice(0, 3).join(' '))).toEqual([
      'az account show',
      'az aks show',
      'cdktf destroy workload-identity',
    ]);
  });

  it('fails when az cannot tell whether the cluster exists, before anything is deleted', () => {
    const run = runCli(['destroy', '--yes'], {
      env: { ...SECRET_VARIABLES, STANDIN_AZ_AKS_FAIL: '1' },
    });
    expect(run.status).toBe(1);
    expect(run.stderr.trim().split('\n').at(-1)).toBe(
      'destroy: step 1/6 "az aks show" failed ("az aks show" failed (exit 1): cannot tell whether cluster workload-id-aks exists); no step before it was done',
    );
    expect(run.calls.some((c) => c.startsWith('cdktf ') || c.startsWith('kubectl '))).toBe(false);
  });

  it.each([
    [
      'another cluster',
      { cluster_name: 'someone-elses-aks' },
      `outputs file OUT names cluster someone-elses-aks in resource group workload-id-rg of subscription ${SUBSCRIPTION}, but the config names cluster workload-id-aks in resource group workload-id-rg of subscription ${SUBSCRIPTION}`,
    ],
    [
      'another resource group',
      { resource_group_name: 'their-rg' },
      `outputs file OUT names cluster workload-id-aks in resource group their-rg of subscription ${SUBSCRIPTION}, but the config names cluster workload-id-aks in resource group workload-id-rg of subscription ${SUBSCRIPTION}`,
    ],
    [
      'another subscription',
      { subscription_id: '00000000-0000-0000-0000-0000000000cc' },
      `outputs file OUT names cluster workload-id-aks in resource group workload-id-rg of subscription 00000000-0000-0000-0000-0000000000cc, but the config names cluster workload-id-aks in resource group workload-id-rg of subscription ${SUBSCRIPTION}`,
    ],
  ])(
    'fails when the outputs file names %s, naming both, before any cluster is touched',
    (_what, changes, message) => {
      const cwd = tempDir();
      outputsWith(cwd, changes);
      const run = runCli(['destroy', '--yes'], { cwd, env: SECRET_VARIABLES });
      expect(run.status).toBe(1);
      expect(run.stderr.trim()).toBe(
        `destroy: ${message.replace('OUT', join(cwd, 'outputs.json'))}: refusing to act on another cluster; pass the outputs file of this config (--outputs), or the config of that deploy (--config)`,
      );
      expect(run.calls).toEqual(['az account show --output json']);
    },
  );

  it.each([
    ['cluster_name', '--kubeconfig=/tmp/other', 'an AKS cluster name'],
    ['resource_group_name', 'rg;rm -rf', 'a resource group name'],
    ['subscription_id', 'not-a-guid', 'a GUID'],
  ])(
    'fails when the outputs file has a %s that is no Azure name, before it reaches a command line',
    (output, value, rule) => {
      const cwd = tempDir();
      outputsWith(cwd, { [output]: value });
      const run = runCli(['destroy', '--yes'], { cwd, env: SECRET_VARIABLES });
      expect(run.status).toBe(1);
      expect(run.stderr.trim()).toMatch(
        new RegExp(
          `^destroy: outputs file \\S+/outputs\\.json: output "${output}" is "${value.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}", which must be ${rule}`,
        ),
      );
      expect(run.calls).toEqual(['az account show --output json']);
    },
  );

  it('signs kubectl in through kubelogin on an existing Entra ID cluster, and fails before deleting anything without it', () => {
    // GIVEN an existing cluster whose sign-in is Entra ID
    const cwd = tempDir();
    const data = defaultConfigData();
    data.cluster.existing = true;
    writeFileSync(join(cwd, 'existing.yaml'), JSON.stringify(data));
    const env = { ...SECRET_VARIABLES, STANDIN_AZ_AKS: JSON.stringify({ entraId: true }) };
    // WHEN kubelogin is missing THEN nothing is deleted
    const without = runCli(['destroy', '--yes', '--config', 'existing.yaml'], { cwd, env });
    expect(without.status).toBe(1);
    expect(without.stderr.trim().split('\n').at(-1)).toBe(
      'destroy: step 1/7 "az aks show" failed (kubectl cannot sign in: cluster workload-id-aks uses Entra ID for Kubernetes sign-in: its kube config holds no client certificate, so kubectl signs in through kubelogin (exec, with az\'s login), which is not on PATH: install it ("az aks install-cli")); no step before it was done',
    );
    expect(without.calls.some((c) => c.startsWith('kubectl ') || c.startsWith('cdktf '))).toBe(
      false,
    );
    // WHEN it is on PATH THEN destroy's own kubeconfig is converted to az's login before kubectl runs
    const run = runCli(['destroy', '--yes', '--config', 'existing.yaml'], {
      cwd,
      env,
      bin: standIns(['cdktf', 'terraform', 'az', 'kubectl', 'kubelogin']),
    });
    expect(run.status).toBe(0);
    const kubeconfig = /--file (\S+\/kubeconfig)/.exec(run.calls[2])?.[1];
    expect(run.calls[3]).toBe(
      `kubelogin convert-kubeconfig -l azurecli --kubeconfig ${kubeconfig} --context workload-id-aks`,
    );
    expect(run.calls[4]).toMatch(/^kubectl --kubeconfig \S+ --context workload-id-aks delete pod /);
  });
});
