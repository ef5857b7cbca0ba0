import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEPLOYED, runCli, SECRET_VARIABLES, SUBSCRIPTION, standIns } from './cli-helpers';
import { defaultConfigData, tempDir } from './helpers';

describe('deploy', () => {
  it('prints every step and command with --dry-run, and runs nothing', () => {
    const cwd = tempDir();
    const run = runCli(['deploy', '--dry-run'], { cwd });
    expect(run.status).toBe(0);
    expect(run.calls).toEqual([]);
    expect(run.stdout).toContain('deploy: 6 steps (dry run: nothing is run)');
    expect(run.stdout).toContain(
      'preflight: missing now: TF_VAR_secret_username, TF_VAR_secret_password',
    );
    const commands = run.stdout
      .split('\n')
      .filter((line) => line.startsWith('$ ') || /^\[\d\/\d\]/.test(line));
    expect(commands).toEqual([
      '$ az account show --output json',
      '[1/6] check: synthesize and run every check that needs no outputs, before anything changes (the deployed values are not known yet)',
      '[2/6] cdktf deploy',
      `$ cdktf deploy workload-identity --auto-approve --outputs-file ${join(cwd, 'outputs.json')}`,
      `[3/6] synth: write the manifests bound to the deployed values in ${join(cwd, 'outputs.json')}`,
      '[4/6] verify: check the pair for apply: no placeholder left, client ids equal to the outputs',
      '[5/6] az aks get-credentials',
      '$ az aks get-credentials --resource-group workload-id-rg --name workload-id-aks --overwrite-existing',
      '[6/6] kubectl apply',
      '$ kubectl apply -f dist/',
    ]);
    expect(existsSync(join(cwd, 'dist'))).toBe(false);
  });

  it('deploys the Azure side, binds and verifies the manifests, then applies them', () => {
    // GIVEN the secrets set, the stand-ins on PATH and a config of one's own
    const cwd = tempDir();
    writeFileSync(join(cwd, 'my.yaml'), JSON.stringify(defaultConfigData()));
    // WHEN
    const run = runCli(['deploy', '--yes', '--config', 'my.yaml'], { cwd, env: SECRET_VARIABLES });
    // THEN every program ran in order, each printed before it ran
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    const env = `(ARM_SUBSCRIPTION_ID=${SUBSCRIPTION}) (WI_CONFIG=${join(cwd, 'my.yaml')})`;
    expect(run.calls).toEqual([
      'az account show --output json',
      `cdktf deploy workload-identity --auto-approve --outputs-file ${join(cwd, 'outputs.json')} ${env}`,
      'az aks get-credentials --resource-group workload-id-rg --name workload-id-aks --overwrite-existing',
      'kubectl apply -f dist/',
    ]);
    expect(run.stdout).toContain(
      'Azure subscription: Stand-in subscription (00000000-0000-0000-0000-000000000001)',
    );
    expect(run.stdout).toContain(
      `$ ARM_SUBSCRIPTION_ID=${SUBSCRIPTION} WI_CONFIG=${join(cwd, 'my.yaml')} cdktf deploy workload-identity --auto-approve`,
    );
    expect(run.stdout).toMatch(/\[4\/6\] verify: done in \d+s/);
    // Before cdktf deploy: every check but those that need the outputs or --for-apply; secret-value runs too
    expect(run.stdout).toContain('verify: all 17 checks passed');
    expect(run.stdout).toContain('verify: all 20 checks passed');
    expect(run.stdout).toMatch(/\[6\/6\] kubectl apply: done in \d+s/);
    // AND the applied manifests carry the deployed values, not placeholders, and no secret value
    const manifests = readFileSync(join(cwd, 'dist', 'workload-identity.k8s.yaml'), 'utf8');
    expect(manifests).toContain(
      `azure.workload.identity/client-id: ${DEPLOYED['workload-identity'].demo_client_id}`,
    );
    expect(manifests).not.toContain('placeholder');
    for (const value of Object.values(SECRET_VARIABLES))
      expect(run.stdout + manifests).not.toContain(value);
  });

  it('fails when a step fails: stops there, says which, and leaves the earlier steps in place', () => {
    const cwd = tempDir();
    const run = runCli(['deploy', '--yes'], {
      cwd,
      env: { ...SECRET_VARIABLES, STANDIN_FAIL: 'kubectl' },
    });
    expect(run.status).toBe(1);
    expect(run.stderr).toContain('kubectl: simulated failure');
    expect(run.stderr.trim().split('\n').at(-1)).toBe(
      'deploy: step 6/6 "kubectl apply" failed (exit 1); steps 1-5 are done and left in place',
    );
    expect(run.calls.at(-1)).toBe('kubectl apply -f dist/');
    expect(existsSync(join(cwd, 'outputs.json'))).toBe(true);
    expect(existsSync(join(cwd, 'dist', 'workload-identity.k8s.yaml'))).toBe(true);
  });

  it('fails at the synth step when cdktf wrote no outputs, before anything reaches the cluster', () => {
    const run = runCli(['deploy', '--yes'], {
      env: { ...SECRET_VARIABLES, STANDIN_NO_OUTPUTS: '1' },
    });
    expect(run.status).toBe(1);
    expect(run.stderr).toMatch(
      /^deploy: step 3\/6 "synth" failed \(.*outputs\.json was not written by cdktf deploy\); steps 1-2 are done and left in place$/m,
    );
    expect(run.calls.map((c) => c.split(' ').slice(0, 2).join(' '))).toEqual([
      'az account',
      'cdktf deploy',
    ]);
  });

  it('fails when cdktf deploy fails, running nothing after it', () => {
    const run = runCli(['deploy', '--yes'], {
      env: { ...SECRET_VARIABLES, STANDIN_FAIL: 'cdktf' },
    });
    expect(run.status).toBe(1);
    expect(run.stderr).toContain(
      'deploy: step 2/6 "cdktf deploy" failed (exit 1); step 1 is done and left in place',
    );
    expect(run.calls).toHaveLength(2);
  });

  it('fails when a secret value is a value of a synthesized file, before cdktf deploy changes anything', () => {
    // GIVEN a secret whose value is the namespace's name, which the manifests hold as a whole value
    const run = runCli(['deploy', '--yes'], {
      env: { ...SECRET_VARIABLES, TF_VAR_secret_username: 'workload-id-test' },
    });
    // THEN the first step stops the deploy: cdktf never ran
    expect(run.status).toBe(1);
    expect(run.stdout).toContain('error  secret-value  ');
    expect(run.stderr.trim()).toBe(
      'deploy: step 1/6 "check" failed (2 verify errors; nothing was changed); no step before it was done',
    );
    expect(run.calls).toEqual(['az account show --output json']);
  });

  it('deploys when an ordinary secret value such as "test" is only a fragment of the files', () => {
    const run = runCli(['deploy', '--yes'], {
      env: { ...SECRET_VARIABLES, TF_VAR_secret_username: 'test', TF_VAR_secret_password: 'user' },
    });
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
  });

  it('fails when a secret variable is not set, naming it, before running anything', () => {
    const run = runCli(['deploy', '--yes'], { env: { TF_VAR_secret_username: 'admin-7f3c91' } });
    expect(run.status).toBe(1);
    expect(run.stderr.trim()).toBe(
      'deploy: TF_VAR_secret_password is not set: export each with the value of its Key Vault secret (written with value_wo: never stored in a file or in state)',
    );
    expect(run.calls).toEqual([]);
  });

  it('fails when kubectl is not installed, in one line saying what to install', () => {
    const run = runCli(['deploy', '--yes'], {
      bin: standIns(['cdktf', 'terraform', 'az']),
      env: SECRET_VARIABLES,
    });
    expect(run.status).toBe(1);
    expect(run.stderr.trim()).toBe(
      'deploy: kubectl is not on PATH: install kubectl ("az aks install-cli", or https://kubernetes.io/docs/tasks/tools/)',
    );
    expect(run.calls).toEqual([]);
  });

  it('fails when az is not logged in, in one line saying what to run', () => {
    const run = runCli(['deploy', '--yes'], {
      env: { ...SECRET_VARIABLES, STANDIN_AZ_LOGGED_OUT: '1' },
    });
    expect(run.status).toBe(1);
    expect(run.stderr.trim()).toBe(
      'deploy: not logged in to Azure ("az account show" failed): run "az login", then "az account set --subscription <id>"',
    );
    expect(run.calls).toEqual(['az account show --output json']);
  });

  it('fails without --yes when stdin is not a terminal', () => {
    const run = runCli(['deploy'], { env: SECRET_VARIABLES });
    expect(run.status).toBe(1);
    expect(run.stderr.trim()).toBe(
      'deploy: refusing to deploy without confirmation: stdin is not a terminal; pass --yes to confirm',
    );
    expect(run.calls).toEqual(['az account show --output json']);
  });

  it('deploys both stacks with one cdktf deploy --all with --single, after verifying the Kubernetes stack', () => {
    const cwd = tempDir();
    const run = runCli(['deploy', '--single', '--yes'], { cwd, env: SECRET_VARIABLES });
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    expect(run.calls).toEqual([
      'az account show --output json',
      `cdktf deploy --all --auto-approve --outputs-file ${join(cwd, 'outputs.json')} (ARM_SUBSCRIPTION_ID=${SUBSCRIPTION})`,
    ]);
    expect(run.stdout).toContain('deploy: 3 steps, both stacks with one cdktf deploy');
    expect(run.stdout).toContain('cdktf.out/stacks/workload-identity-k8s/cdk.tf.json');
    expect(run.stdout).toMatch(/verify: all \d+ checks passed/);
  });
});
