// Every file the command line reads and every child's output it keeps has a cap: a device, a directory or a program
// that prints forever ends in one line naming the file or the command, with no process of the run over 1 GB and
// nothing left running (issue 26, items 6 and 10).
import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli, SECRET_VARIABLES, SUBSCRIPTION } from '../../support/cli-helpers';
import { CLI, defaultConfigData, pidsMarked, ROOT, tempDir } from '../../support/helpers';

/** No process of a run may go over this much memory (resident). */
const ONE_GB = 1024 * 1024 * 1024;

/** A folder with `team.yaml`: the default config with remote state and a GitHub Actions deployer. */
function teamDir(): string {
  const cwd = tempDir();
  const data = defaultConfigData();
  data.state = {
    azurerm: {
      resourceGroup: 'tfstate-rg',
      storageAccount: 'wistatecontoso01',
      container: 'tfstate',
      keyPrefix: 'prod/',
    },
  };
  data.deployer = { github: { repository: 'contoso/platform', environment: 'prod' } };
  writeFileSync(join(cwd, 'team.yaml'), JSON.stringify(data));
  return cwd;
}

/** The bootstrap stack's outputs as cdktf writes them, with `change` applied to its values. */
function bootstrapped(change: Record<string, unknown> = {}): string {
  return JSON.stringify({
    'workload-identity-bootstrap': {
      deployer_client_id: 'aaaaaaaa-1111-2222-3333-444444444444',
      tenant_id: '66666666-7777-8888-9999-000000000000',
      subscription_id: SUBSCRIPTION,
      state_storage_account: 'wistatecontoso01',
      state_container: 'tfstate',
      ...change,
    },
  });
}

const STEP_2_FAILED = (why: string) =>
  `bootstrap: step 2/2 "values for the pipeline" failed (${why}); step 1 is done and left in place`;

describe('bootstrap and deploy: the outputs file', () => {
  it('bootstrap --outputs /dev/zero is refused before anything runs, in one line, within 1 GB', () => {
    const started = Date.now();
    const run = runCli(['bootstrap', '--yes', '--config', 'team.yaml', '--outputs', '/dev/zero'], {
      cwd: teamDir(),
      measureMemory: true,
    });
    expect(run.stderr.trim()).toBe(
      'bootstrap: the outputs file /dev/zero is a character device, not a file: name a file with --outputs',
    );
    expect(run.status).toBe(1);
    expect(run.peakRssBytes ?? 0).toBeLessThan(ONE_GB);
    expect(run.calls).toEqual([]);
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it('bootstrap --outputs <a directory> is refused before anything runs, naming it', () => {
    const cwd = teamDir();
    mkdirSync(join(cwd, 'out'));
    const run = runCli(['bootstrap', '--yes', '--config', 'team.yaml', '--outputs', 'out'], {
      cwd,
    });
    expect(run.stderr.trim()).toBe(
      `bootstrap: the outputs file ${join(cwd, 'out')} is a directory, not a file: name a file with --outputs`,
    );
    expect(run.status).toBe(1);
    expect(run.calls).toEqual([]);
  });

  it('deploy --outputs <a directory> is refused before anything runs, naming it', () => {
    const cwd = teamDir();
    mkdirSync(join(cwd, 'out'));
    const run = runCli(['deploy', '--yes', '--config', 'team.yaml', '--outputs', 'out'], {
      cwd,
      env: SECRET_VARIABLES,
    });
    expect(run.stderr.trim()).toBe(
      `deploy: the outputs file ${join(cwd, 'out')} is a directory, not a file: name a file with --outputs`,
    );
    expect(run.status).toBe(1);
    expect(run.calls).toEqual([]);
  });

  it.each([
    ['null', 'null', 'it holds null, not the outputs of stack "workload-identity-bootstrap"'],
    [
      'not JSON',
      '{"workload-identity-bootstrap": ',
      'it is not JSON (Unexpected end of JSON input)',
    ],
    ['a list', '[]', 'it holds [], not the outputs of stack "workload-identity-bootstrap"'],
    [
      'a null stack',
      '{"workload-identity-bootstrap":null}',
      'it has no stack "workload-identity-bootstrap" (run "workload-id bootstrap" again to write it)',
    ],
  ])(
    'bootstrap: an outputs file that holds %s ends in one line naming the file',
    (_, outputs, why) => {
      const cwd = teamDir();
      const run = runCli(['bootstrap', '--yes', '--config', 'team.yaml'], {
        cwd,
        env: { STANDIN_OUTPUTS: outputs },
      });
      expect(run.stderr.trim()).toBe(
        STEP_2_FAILED(`bootstrap outputs file ${join(cwd, 'bootstrap-outputs.json')}: ${why}`),
      );
      expect(run.status).toBe(1);
    },
  );

  it.each([
    ['deployer_client_id', 'x\nAZURE_CLIENT_ID=evil'],
    ['tenant_id', 'evil'],
    ['subscription_id', 42],
    ['deployer_client_id', undefined],
  ])(
    'bootstrap prints no pipeline value when output %s is %j, naming the output and the file',
    (output, value) => {
      const cwd = teamDir();
      const run = runCli(['bootstrap', '--yes', '--config', 'team.yaml'], {
        cwd,
        env: { STANDIN_OUTPUTS: bootstrapped({ [output]: value }) },
      });
      const file = join(cwd, 'bootstrap-outputs.json');
      expect(run.stderr.trim()).toBe(
        STEP_2_FAILED(
          value === undefined
            ? `bootstrap outputs file ${file}: output "${output}" is missing (run "workload-id bootstrap" again to write it)`
            : `bootstrap outputs file ${file}: output "${output}" is ${JSON.stringify(value)}, which must be a GUID such as "72f988bf-86f1-41af-91ab-2d7cd011db47"`,
        ),
      );
      expect(run.status).toBe(1);
      expect(run.stdout).not.toContain('AZURE_CLIENT_ID=');
      expect(run.stdout).not.toContain('evil');
    },
  );

  it("bootstrap refuses a state account or container that is not the config's, naming the output", () => {
    const cwd = teamDir();
    const run = runCli(['bootstrap', '--yes', '--config', 'team.yaml'], {
      cwd,
      env: { STANDIN_OUTPUTS: bootstrapped({ state_container: 'tfstate\nAZURE_CLIENT_ID=evil' }) },
    });
    expect(run.stderr.trim()).toBe(
      STEP_2_FAILED(
        `bootstrap outputs file ${join(cwd, 'bootstrap-outputs.json')}: output "state_container" is "tfstate\\nAZURE_CLIENT_ID=evil", which must be "tfstate", the config's state.azurerm.container`,
      ),
    );
    expect(run.stdout).not.toContain('evil');
  });

  it.each([
    ['null', 'null'],
    ['a list', '[1]'],
    ['not JSON', '{"'],
  ])(
    'deploy with remote state: terraform output -json printing %s ends in one line',
    (_, printed) => {
      const cwd = teamDir();
      const run = runCli(['deploy', '--yes', '--config', 'team.yaml'], {
        cwd,
        env: { ...SECRET_VARIABLES, STANDIN_TERRAFORM_OUTPUT: printed },
      });
      expect(run.stderr.trim()).toMatch(
        /^deploy: step 4\/8 "terraform output -json \(remote state\)" failed \(terraform output -json printed (null|\[1\]|no JSON \(.*\)), not the outputs of a stack\); steps 1-3 are done and left in place$/,
      );
      expect(run.status).toBe(1);
    },
  );
});

describe("a child's output is capped", () => {
  it('deploy with remote state: terraform output -json printing forever is stopped at 64 MB, in one line, within 1 GB', () => {
    const marker = `WI_BOUNDED_${randomUUID().replaceAll('-', '')}`;
    const started = Date.now();
    const run = runCli(['deploy', '--yes', '--config', 'team.yaml'], {
      cwd: teamDir(),
      env: { ...SECRET_VARIABLES, STANDIN_FOREVER: 'terraform *output -json*', [marker]: '1' },
      measureMemory: true,
    });
    expect(run.stderr.trim()).toBe(
      `deploy: step 4/8 "terraform output -json (remote state)" failed (terraform output -json -no-color printed more than 64 MB: stopped it; the outputs of a stack are a few KB: see what "terraform -chdir=${join(ROOT, 'cdktf.out', 'stacks', 'workload-identity')} output" prints); steps 1-3 are done and left in place`,
    );
    expect(run.status).toBe(1);
    expect(run.peakRssBytes ?? 0).toBeLessThan(ONE_GB);
    expect(pidsMarked(marker)).toEqual([]);
    expect(Date.now() - started).toBeLessThan(20_000);
  });

  it('az account show printing forever is stopped at 64 MB, in one line naming it, within 1 GB', () => {
    const marker = `WI_BOUNDED_${randomUUID().replaceAll('-', '')}`;
    const run = runCli(['deploy', '--yes'], {
      env: { ...SECRET_VARIABLES, STANDIN_FOREVER: 'az account show*', [marker]: '1' },
      measureMemory: true,
    });
    expect(run.stderr.trim()).toBe(
      'deploy: az account show --output json printed more than 64 MB: stopped it',
    );
    expect(run.status).toBe(1);
    expect(run.peakRssBytes ?? 0).toBeLessThan(ONE_GB);
    expect(pidsMarked(marker)).toEqual([]);
  });
});

describe("tflocal and the user's Terraform CLI config", () => {
  it('runs with TF_CLI_CONFIG_FILE=/dev/zero, saying in one line that the local cloud uses its own, within 1 GB', () => {
    const root = tempDir('wi-tflocal-');
    const stack = join(root, 'cdktf.out', 'stacks', 'tiny');
    mkdirSync(stack, { recursive: true });
    writeFileSync(
      join(stack, 'cdk.tf.json'),
      JSON.stringify({ output: { answer: { value: 42 } } }),
    );
    const started = Date.now();
    const peakFile = join(root, 'max-rss');
    const time = existsSync('/usr/bin/time')
      ? ['/usr/bin/time', '--format=%M', `--output=${peakFile}`]
      : [];
    const [command = process.execPath, ...prefix] = [...time, process.execPath];
    const run = spawnSync(
      command,
      [
        ...prefix,
        CLI,
        'tflocal',
        '--dir',
        stack,
        '--work-dir',
        join(root, 'work'),
        '--',
        'validate',
        '-no-color',
      ],
      { cwd: root, encoding: 'utf8', env: { ...process.env, TF_CLI_CONFIG_FILE: '/dev/zero' } },
    );
    expect(run.stderr).toContain(
      `tflocal: TF_CLI_CONFIG_FILE=/dev/zero is not used: Terraform runs with the local cloud's own CLI config, ${join(root, 'work', 'terraform', 'terraform.rc')}\n`,
    );
    expect(run.stdout).toContain('Success! The configuration is valid.');
    expect(run.status).toBe(0);
    if (time.length > 0)
      expect(Number(readFileSync(peakFile, 'utf8').trim().split('\n').at(-1)) * 1024).toBeLessThan(
        ONE_GB,
      );
    expect(Date.now() - started).toBeLessThan(30_000);
  });
});
