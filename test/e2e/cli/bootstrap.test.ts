import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { stateAccessProblem } from '../../../cli/remote-state';
import { parseConfig } from '../../../config/load-config';
import { DEPLOYED, runCli, SECRET_VARIABLES, SUBSCRIPTION } from '../../support/cli-helpers';
import { defaultConfigData, tempDir } from '../../support/helpers';

function teamConfigData(deployer = true): any {
  const data = defaultConfigData();
  data.state = {
    azurerm: {
      resourceGroup: 'tfstate-rg',
      storageAccount: 'wistatecontoso01',
      container: 'tfstate',
      keyPrefix: 'prod/',
    },
  };
  if (deployer) data.deployer = { github: { repository: 'contoso/platform', environment: 'prod' } };
  return data;
}

/** A folder with `team.yaml` in it. */
function teamDir(data = teamConfigData()): string {
  const cwd = tempDir();
  writeFileSync(join(cwd, 'team.yaml'), JSON.stringify(data));
  return cwd;
}

/** What terraform init prints when the state's container does not exist (the azurerm backend, 404 from Storage). */
const CONTAINER_NOT_FOUND =
  'Error: Failed to get existing workspaces: listing blobs: executing request: unexpected status 404 (404 The specified container does not exist.) with ContainerNotFound: The specified container does not exist.';

const BOOTSTRAPPED = {
  'workload-identity-bootstrap': {
    deployer_client_id: 'aaaaaaaa-1111-2222-3333-444444444444',
    tenant_id: '66666666-7777-8888-9999-000000000000',
    subscription_id: SUBSCRIPTION,
    state_storage_account: 'wistatecontoso01',
    state_container: 'tfstate',
  },
};

/**
 * `<command> --yes` on the team config while the state's container does not exist: it stops at step 2, in one line
 * naming bootstrap, with step 1 left in place.
 */
function withoutStateContainer(command: 'deploy' | 'destroy') {
  const run = runCli([command, '--yes', '--config', 'team.yaml'], {
    cwd: teamDir(),
    env: {
      ...SECRET_VARIABLES,
      STANDIN_TERRAFORM_INIT_ERROR: CONTAINER_NOT_FOUND,
    },
  });
  expect(run.status).toBe(1);
  expect(run.stderr.trim()).toMatch(
    new RegExp(
      `^${command}: step 2/\\d+ "terraform init \\(remote state\\)" failed \\(the state's container tfstate does not exist in storage account wistatecontoso01: create it with "workload-id bootstrap"\\); step 1 is done and left in place$`,
    ),
  );
  return run;
}

describe('workload-id bootstrap', () => {
  it('deploys its own stack with a local state and prints the values the pipeline needs', () => {
    const cwd = teamDir();
    const run = runCli(['bootstrap', '--yes', '--config', 'team.yaml'], {
      cwd,
      env: { STANDIN_OUTPUTS: JSON.stringify(BOOTSTRAPPED) },
    });
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    expect(run.calls).toEqual([
      'az account show --output json',
      `cdktf deploy workload-identity-bootstrap --auto-approve --outputs-file ${join(cwd, 'bootstrap-outputs.json')} (ARM_SUBSCRIPTION_ID=${SUBSCRIPTION}) (WI_CONFIG=${join(cwd, 'team.yaml')})`,
    ]);
    expect(run.stdout).toContain('  AZURE_CLIENT_ID=aaaaaaaa-1111-2222-3333-444444444444');
    expect(run.stdout).toContain('  AZURE_TENANT_ID=66666666-7777-8888-9999-000000000000');
    expect(run.stdout).toContain(`  AZURE_SUBSCRIPTION_ID=${SUBSCRIPTION}`);
    expect(run.stdout).toContain(
      'For GitHub Actions in contoso/platform, environment prod (variables: none of them is a secret):',
    );
  });

  it('prints its step with --dry-run and runs nothing', () => {
    const run = runCli(['bootstrap', '--dry-run', '--config', 'team.yaml'], { cwd: teamDir() });
    expect(run.status).toBe(0);
    expect(run.calls).toEqual([]);
    expect(run.stdout).toMatch(
      /cdktf deploy workload-identity-bootstrap --auto-approve --outputs-file /,
    );
  });

  it('fails when the config has no state', () => {
    const run = runCli(['bootstrap', '--yes'], {});
    expect(run.status).toBe(1);
    expect(run.stderr.trim()).toBe(
      'bootstrap: the config has no state: add state: { azurerm: { resourceGroup, storageAccount, container, keyPrefix } } (docs/teams.md)',
    );
    expect(run.calls).toEqual([]);
  });

  it('has help text that says what it creates', () => {
    const run = runCli(['bootstrap', '--help']);
    expect(run.status).toBe(0);
    expect(run.stdout).toContain('Storage Blob Data Contributor');
    expect(run.stdout).toContain('--dry-run');
  });
});

describe('deploy with remote state', () => {
  it('checks the state with terraform init, deploys, then reads the outputs from the state', () => {
    const cwd = teamDir();
    const run = runCli(['deploy', '--yes', '--config', 'team.yaml'], {
      cwd,
      env: SECRET_VARIABLES,
    });
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    const sequence = run.calls.map((c) => c.split(' (')[0]);
    const init = sequence.findIndex((c) => /^terraform -chdir=\S+workload-identity init/.test(c));
    const deploy = sequence.indexOf('cdktf deploy workload-identity --auto-approve');
    const output = sequence.findIndex((c) =>
      /^terraform -chdir=\S+workload-identity output -json/.test(c),
    );
    expect([init, deploy, output].every((i) => i >= 0)).toBe(true);
    expect(init < deploy && deploy < output).toBe(true);
    // The manifests are bound to the outputs read from the state.
    const outputs = JSON.parse(readFileSync(join(cwd, 'outputs.json'), 'utf8'));
    expect(outputs).toEqual(DEPLOYED);
  });

  it('fails when the state container does not exist, in one line naming bootstrap', () => {
    const run = withoutStateContainer('deploy');
    expect(run.calls.some((c) => c.startsWith('cdktf deploy'))).toBe(false);
  });
});

describe('destroy with remote state', () => {
  it('checks the state with terraform init before it deletes anything, then deletes and destroys', () => {
    const run = runCli(['destroy', '--yes', '--config', 'team.yaml'], {
      cwd: teamDir(),
      env: SECRET_VARIABLES,
    });
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    const sequence = run.calls.map((c) => c.split(' (')[0]);
    const init = sequence.findIndex((c) => /^terraform -chdir=\S+workload-identity init/.test(c));
    const firstDelete = sequence.findIndex((c) => /^kubectl .* delete /.test(c));
    const destroy = sequence.findIndex((c) => c.startsWith('cdktf destroy workload-identity'));
    expect(
      [init, firstDelete, destroy].every((i) => i >= 0),
      sequence.join('\n'),
    ).toBe(true);
    expect(init < firstDelete && firstDelete < destroy).toBe(true);
  });

  it('fails when the state container does not exist, in one line naming bootstrap, having deleted nothing', () => {
    const run = withoutStateContainer('destroy');
    expect(run.calls.filter((c) => / delete |^cdktf destroy/.test(c))).toEqual([]);
  });
});

describe('stateAccessProblem', () => {
  const state = parseConfig(teamConfigData(), 'team.yaml').state!;
  it('names bootstrap when the storage account does not exist', () => {
    expect(
      stateAccessProblem(
        'Error: Failed to get existing workspaces: listing blobs: executing request: Get "https://wistatecontoso01.blob.core.windows.net/tfstate?comp=list": dial tcp: lookup wistatecontoso01.blob.core.windows.net on 127.0.0.53:53: no such host',
        state,
        SUBSCRIPTION,
      ),
    ).toBe(
      'the state\'s storage account wistatecontoso01 does not exist (wistatecontoso01.blob.core.windows.net has no address): create it with "workload-id bootstrap"',
    );
  });

  it('names the role and the exact scope when the role is missing', () => {
    expect(
      stateAccessProblem(
        'unexpected status 403 (403 This request is not authorized to perform this operation using this permission.) with AuthorizationPermissionMismatch',
        state,
        SUBSCRIPTION,
      ),
    ).toBe(
      `the signed-in identity may not read and write blobs in wistatecontoso01/tfstate: it needs "Storage Blob Data Contributor" on the container: az role assignment create --role "Storage Blob Data Contributor" --assignee <its object id> --scope /subscriptions/${SUBSCRIPTION}/resourceGroups/tfstate-rg/providers/Microsoft.Storage/storageAccounts/wistatecontoso01/blobServices/default/containers/tfstate (workload-id bootstrap grants it to whoever runs it)`,
    );
  });

  it('says nothing of other failures', () => {
    expect(
      stateAccessProblem('Error: Invalid provider configuration', state, SUBSCRIPTION),
    ).toBeUndefined();
  });
});
