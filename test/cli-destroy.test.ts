import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli, SECRET_VARIABLES, SUBSCRIPTION } from './cli-helpers';
import { tempDir } from './helpers';

describe('destroy', () => {
  it('prints the steps with --dry-run and runs nothing', () => {
    const cwd = tempDir();
    const run = runCli(['destroy', '--dry-run'], { cwd });
    expect(run.status).toBe(0);
    expect(run.calls).toEqual([]);
    expect(run.stdout.split('\n').filter((line) => line.startsWith('$ '))).toEqual([
      '$ az account show --output json',
      '$ kubectl delete -f dist/ --ignore-not-found',
      '$ cdktf destroy workload-identity --auto-approve --ignore-missing-stack-dependencies',
    ]);
    expect(existsSync(join(cwd, 'dist'))).toBe(false);
  });

  it('refuses without --yes when stdin is not a terminal', () => {
    const run = runCli(['destroy'], { env: SECRET_VARIABLES });
    expect(run.status).toBe(1);
    expect(run.stderr.trim()).toBe(
      'destroy: refusing to destroy without confirmation: stdin is not a terminal; pass --yes to confirm',
    );
    expect(run.calls).toEqual(['az account show --output json']);
  });

  it('deletes the Kubernetes objects, then the Azure side', () => {
    const cwd = tempDir();
    const run = runCli(['destroy', '--yes'], { cwd, env: SECRET_VARIABLES });
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    expect(run.calls).toEqual([
      'az account show --output json',
      'kubectl delete -f dist/ --ignore-not-found',
      `cdktf destroy workload-identity --auto-approve --ignore-missing-stack-dependencies (ARM_SUBSCRIPTION_ID=${SUBSCRIPTION})`,
    ]);
    expect(existsSync(join(cwd, 'dist', 'workload-identity.k8s.yaml'))).toBe(true);
  });

  it('fails when a secret variable is not set, saying any value will do', () => {
    const run = runCli(['destroy', '--yes']);
    expect(run.status).toBe(1);
    expect(run.stderr.trim()).toBe(
      'destroy: TF_VAR_secret_username and TF_VAR_secret_password are not set: Terraform asks for every variable, even to destroy; any value will do (e.g. export TF_VAR_secret_<name>=unused)',
    );
    expect(run.calls).toEqual([]);
  });

  it('destroys both stacks with one cdktf destroy --all with --single, and says when it fails', () => {
    const run = runCli(['destroy', '--single', '--yes'], { env: SECRET_VARIABLES });
    expect(run.status).toBe(0);
    expect(run.calls).toEqual([
      'az account show --output json',
      `cdktf destroy --all --auto-approve (ARM_SUBSCRIPTION_ID=${SUBSCRIPTION})`,
    ]);
    const failed = runCli(['destroy', '--single', '--yes'], {
      env: { ...SECRET_VARIABLES, STANDIN_FAIL: 'cdktf' },
    });
    expect(failed.status).toBe(1);
    expect(failed.stderr.trim().split('\n').at(-1)).toBe(
      'destroy: step 1/1 "cdktf destroy --all" failed (exit 1); no step before it was done',
    );
  });
});
