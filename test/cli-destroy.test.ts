import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEPLOYED, runCli, SECRET_VARIABLES, SUBSCRIPTION } from './cli-helpers';
import { defaultConfigData, tempDir } from './helpers';

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
    const kubeconfig = /--file (\S+\/kubeconfig)/.exec(run.calls[1])?.[1];
    expect(kubeconfig).toMatch(/workload-id-destroy-/);
    const target = `--kubeconfig ${kubeconfig} --context workload-id-aks`;
    const only = '--selector app.kubernetes.io/managed-by=workload-id --field-selector';
    const env = `(ARM_SUBSCRIPTION_ID=${other})`;
    expect(run.calls).toEqual([
      `az account show --subscription ${other} --output json ${env}`,
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
});
