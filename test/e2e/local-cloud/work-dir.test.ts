// The local cloud's work directory: never a real deploy's folder, made safely whatever its name, and a store in it that
// cannot be used gets one line, not a stack.
import { type ChildProcess, spawn } from 'node:child_process';
import {
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { HOME_SUBSCRIPTION_ID, storeFileIn } from '../../../local-cloud/core/cloud-store';
import { claimWorkDir, lockWorkDir, WORK_DIR_MARK } from '../../../local-cloud/core/work-dir';
import { runTerraform, TerraformError } from '../../../local-cloud/terraform/run';
import { CLI, ROOT, tempDir } from '../../support/helpers';

const root = tempDir('wi-work-dir-');
afterAll(() => rmSync(root, { recursive: true, force: true }));

const started: ChildProcess[] = [];
afterEach(() => {
  // A run that never ends (as --work-dir /proc/x did) must not outlive its test.
  for (const child of started.splice(0)) if (child.exitCode === null) child.kill('SIGKILL');
});

/** Run the command line to its end; resolves with its exit code and output. */
function cli(args: readonly string[], env: NodeJS.ProcessEnv = {}) {
  const child = spawn(process.execPath, [CLI, ...args], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  started.push(child);
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (d) => {
    stdout += d;
  });
  child.stderr?.on('data', (d) => {
    stderr += d;
  });
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) =>
    child.on('close', (code) => resolve({ code, stdout, stderr })),
  );
}

/** A folder where a real deploy ran: its state and outputs, with ids of a real subscription. */
function realDeployFolder(): { dir: string; files: Record<string, string> } {
  const dir = tempDir('wi-real-deploy-');
  const files = {
    'terraform.workload-identity.tfstate': JSON.stringify({
      version: 4,
      resources: [
        {
          type: 'azurerm_resource_group',
          instances: [{ attributes: { id: '/subscriptions/real/resourceGroups/prod' } }],
        },
      ],
    }),
    'outputs.json': JSON.stringify({ 'workload-identity': { cluster_name: 'prod-aks' } }),
  };
  for (const [name, content] of Object.entries(files)) writeFileSync(join(dir, name), content);
  return { dir, files };
}

describe('a demo never touches a real deploy’s files', () => {
  it('fails when the work directory holds a state and outputs it did not make, naming them and changing nothing', async () => {
    // GIVEN the folder of a real deploy
    const { dir, files } = realDeployFolder();
    // WHEN the demo is pointed at it
    const run = await cli(['demo', '--work-dir', dir]);
    // THEN it refuses in one line that names what it found, and leaves every file as it was, adding none
    expect(run.stderr.trim()).toBe(
      `error: work directory ${dir} holds outputs.json, terraform.workload-identity.tfstate, which the local cloud did not make (no ${WORK_DIR_MARK} in it): a real deploy's files are never touched; give the demo a folder of its own with --work-dir`,
    );
    expect(run.code).toBe(1);
    expect(readdirSync(dir).sort()).toEqual(Object.keys(files).sort());
    for (const [name, content] of Object.entries(files))
      expect(readFileSync(join(dir, name), 'utf8')).toBe(content);
  });

  it('fails when the work directory holds a store it did not make, naming it', () => {
    const dir = tempDir('wi-foreign-store-');
    writeFileSync(storeFileIn(dir), '{}');
    expect(() => lockWorkDir(dir)).toThrow(`work directory ${dir} holds cloud-store.json, which`);
    expect(readdirSync(dir)).toEqual(['cloud-store.json']);
  });

  it("marks its own work directory, and takes it again once it holds the demo's state and store", () => {
    const dir = join(tempDir('wi-own-'), 'work');
    lockWorkDir(dir)();
    expect(existsSync(join(dir, WORK_DIR_MARK))).toBe(true);
    writeFileSync(join(dir, 'terraform.workload-identity.tfstate'), '{}');
    writeFileSync(storeFileIn(dir), '{}');
    lockWorkDir(dir)();
  });

  it("takes over Terraform's state lock only when no process holds the state file, saying why", () => {
    // GIVEN the lock info a Terraform leaves beside its state, while a process (tflocal's Terraform) has the state open
    const dir = join(tempDir('wi-tf-lock-'), 'work');
    lockWorkDir(dir)();
    const state = join(dir, 'terraform.workload-identity.tfstate');
    const info = join(dir, '.terraform.workload-identity.tfstate.lock.info');
    writeFileSync(state, '{}');
    writeFileSync(info, '{"ID":"x"}');
    const reports: string[] = [];
    const fd = openSync(state, 'r');
    try {
      // WHEN a demo takes the work directory, THEN a lock still held is left to Terraform to report
      lockWorkDir(dir, { report: (line) => reports.push(line) })();
      expect(reports).toEqual([]);
      expect(existsSync(info)).toBe(true);
    } finally {
      closeSync(fd);
    }
    // AND once no process holds the state, the lock is taken over with the reason
    lockWorkDir(dir, { report: (line) => reports.push(line) })();
    expect(reports).toEqual([
      `took over Terraform's state lock ${info}: no process holds terraform.workload-identity.tfstate (the run that locked it was stopped)`,
    ]);
    expect(existsSync(info)).toBe(false);
  });

  it('takes a work directory of an earlier version (no mark, the local cloud’s Terraform CLI config) and marks it', () => {
    const dir = tempDir('wi-earlier-');
    mkdirSync(join(dir, 'terraform'));
    writeFileSync(
      join(dir, 'terraform', 'terraform.rc'),
      '# Written by the local cloud: hashicorp providers come from the local mirror, never from the network.\n',
    );
    writeFileSync(storeFileIn(dir), '{}');
    claimWorkDir(dir);
    expect(existsSync(join(dir, WORK_DIR_MARK))).toBe(true);
  });
});

describe("a demo never deletes a user's files", () => {
  /** A folder a user works in: a clone with notes and sources (what `--work-dir .` in a clone would be). */
  function userFolder(): { dir: string; files: Record<string, string> } {
    const dir = tempDir('wi-user-folder-');
    const files = {
      'notes.txt': 'mine',
      'src/keep.ts': 'export {};',
      '.git/HEAD': 'ref: refs/heads/main',
    };
    for (const [name, content] of Object.entries(files)) {
      mkdirSync(dirname(join(dir, name)), { recursive: true });
      writeFileSync(join(dir, name), content);
    }
    return { dir, files };
  }

  it('fails when the work directory holds files it did not make, naming the folder and deleting nothing, even with --reset', async () => {
    // GIVEN a folder with a user's files and no mark
    const { dir, files } = userFolder();
    // WHEN the demo is pointed at it, asked to start it over
    const run = await cli(['demo', '--work-dir', dir, '--reset']);
    // THEN it refuses in one line naming the folder and what it holds, and every file is as it was, none added
    expect(run.stderr.trim()).toBe(
      `error: work directory ${dir} holds .git, notes.txt, src, which the demo did not make (no ${WORK_DIR_MARK} in it): the demo works only in an empty folder or one it made, and deletes nothing of yours; give it a folder of its own with --work-dir`,
    );
    expect(run.code).toBe(1);
    expect(readdirSync(dir).sort()).toEqual(['.git', 'notes.txt', 'src']);
    for (const [name, content] of Object.entries(files))
      expect(readFileSync(join(dir, name), 'utf8')).toBe(content);
  });

  it('resets only what the demo wrote, and names what it left', async () => {
    // GIVEN the demo's own work directory, deployed once, where a user then put files
    const dir = join(tempDir('wi-reset-'), 'work');
    const first = await cli(['demo', '--work-dir', dir]);
    expect(first.code).toBe(0);
    writeFileSync(join(dir, 'notes.txt'), 'mine');
    mkdirSync(join(dir, 'src'));
    writeFileSync(join(dir, 'src', 'keep.ts'), 'export {};');
    const written = readdirSync(dir).filter(
      (n) => !['notes.txt', 'src', WORK_DIR_MARK].includes(n),
    );
    expect(written).toEqual(
      expect.arrayContaining([
        'cdktf.out',
        'dist',
        'terraform',
        'cloud-store.json',
        'outputs.json',
      ]),
    );
    // WHEN the demo starts it over
    const run = await cli(['demo', '--work-dir', dir, '--reset']);
    // THEN it deploys afresh, says what it left, and the user's files are as they were
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(`Left notes.txt, src in ${dir}: the demo did not write them`);
    expect(run.stdout).toContain('Apply complete! Resources: 10 added');
    expect(readFileSync(join(dir, 'notes.txt'), 'utf8')).toBe('mine');
    expect(readFileSync(join(dir, 'src', 'keep.ts'), 'utf8')).toBe('export {};');
  });
});

describe('odd work directories', () => {
  it('fails at once when the work directory cannot be made (under /proc), instead of spinning', async () => {
    const run = await cli(['demo', '--work-dir', '/proc/x']);
    expect(run.stderr.trim()).toBe(
      'error: cannot create work directory /proc/x: /proc does not take new folders',
    );
    expect(run.code).toBe(1);
  });

  it('fails when the work directory is an empty name, saying so', async () => {
    const run = await cli(['demo', '--work-dir', '']);
    expect(run.stderr.trim()).toBe(
      'error: the work directory is an empty name: give --work-dir a folder (it is created when missing)',
    );
    expect(run.code).toBe(1);
  });

  it('keeps a work directory whose name has a $ in it: Terraform expands nothing of it', async () => {
    // GIVEN a stack and a work directory named with what a shell or Terraform would expand
    const stack = join(root, 'cdktf.out', 'stacks', 'sleepy');
    mkdirSync(stack, { recursive: true });
    writeFileSync(
      join(stack, 'cdk.tf.json'),
      JSON.stringify({
        terraform: { required_providers: { time: { source: 'time', version: '0.13.1' } } },
        resource: { time_sleep: { settle: { create_duration: '1s' } } },
      }),
    );
    const workDir = join(root, 'a${WI_ELSEWHERE}b', 'w$HOME');
    // WHEN tflocal initializes it
    const run = await cli(['tflocal', '--dir', stack, '--work-dir', workDir, '--', 'init'], {
      WI_ELSEWHERE: '-elsewhere-',
    });
    expect(run.stdout).toContain('Terraform has been successfully initialized!');
    expect(run.code).toBe(0);
    // THEN the providers are cached in that very directory, and no folder appears where an expansion points
    expect(readdirSync(join(workDir, 'terraform', 'plugin-cache'))).toEqual([
      'registry.terraform.io',
    ]);
    expect(readdirSync(root).sort()).toEqual(['a${WI_ELSEWHERE}b', 'cdktf.out']);
  });
});

describe('a store that cannot be used', () => {
  /** A work directory of the local cloud whose store is garbage that quotes a secret. */
  function corruptWorkDir(): string {
    const dir = tempDir('wi-corrupt-');
    writeFileSync(join(dir, WORK_DIR_MARK), '');
    writeFileSync(storeFileIn(dir), '{"keyVaults":[{"secrets":[{"value":"hunter2-');
    return dir;
  }

  it('fails the demo with one line naming the store and the way out, no stack, no content', async () => {
    const dir = corruptWorkDir();
    const run = await cli(['demo', '--work-dir', dir]);
    expect(run.stderr.trim()).toBe(
      `error: local cloud store ${storeFileIn(dir)} is not valid JSON (truncated or overwritten): delete it to start an empty local cloud, or run the demo with --reset`,
    );
    expect(run.code).toBe(1);
  });

  for (const [what, path] of [
    ['store', ['cloud-store.json']],
    ['synthesized stack file', ['cdktf.out', 'stacks', 'workload-identity', 'cdk.tf.json']],
  ] as const) {
    it(`fails the demo at once when its ${what} is a symlink to /dev/zero, reading 16 MB at most`, async () => {
      const dir = tempDir('wi-zero-');
      writeFileSync(join(dir, WORK_DIR_MARK), '');
      const file = join(dir, ...path);
      mkdirSync(dirname(file), { recursive: true });
      symlinkSync('/dev/zero', file);
      const run = await cli(['demo', '--work-dir', dir]);
      expect(run.stderr.trim()).toMatch(
        new RegExp(
          `^error: (local cloud store: )?cannot read ${file.replaceAll('.', '\\.')}: it is a character device that gives more than the 16 MB allowed`,
        ),
      );
      expect(run.code).toBe(1);
    });
  }

  /** A stack that reads the store through a data source. */
  function clientConfigStack(): string {
    const stack = join(tempDir('wi-corrupt-stack-'), 'cdktf.out', 'stacks', 'client');
    mkdirSync(stack, { recursive: true });
    writeFileSync(
      join(stack, 'cdk.tf.json'),
      JSON.stringify({
        terraform: { required_providers: { azurerm: { source: 'azurerm', version: '4.55.0' } } },
        provider: { azurerm: [{ features: [{}], subscription_id: HOME_SUBSCRIPTION_ID }] },
        data: { azurerm_client_config: { current: {} } },
        output: { tenant: { value: '${data.azurerm_client_config.current.tenant_id}' } },
      }),
    );
    return stack;
  }

  it('fails tflocal with that one line', async () => {
    const dir = corruptWorkDir();
    const run = await cli([
      'tflocal',
      '--dir',
      clientConfigStack(),
      '--work-dir',
      dir,
      '--',
      'plan',
    ]);
    expect(run.stderr.trim().split('\n').at(-1)).toBe(
      `tflocal: local cloud store ${storeFileIn(dir)} is not valid JSON (truncated or overwritten): delete it to start an empty local cloud, or run the demo with --reset`,
    );
    expect(run.stderr).not.toContain('hunter2');
    expect(run.code).toBe(1);
  });

  it("fails a provider's data source read with that line as Terraform's diagnostic, not a JavaScript stack", async () => {
    const dir = corruptWorkDir();
    const stack = clientConfigStack();
    const terraform = { workDir: dir, env: { ARM_SUBSCRIPTION_ID: HOME_SUBSCRIPTION_ID } };
    await runTerraform(stack, ['init', '-input=false'], terraform);
    const failure = await runTerraform(stack, ['plan', '-input=false'], terraform).catch(
      (err: unknown) => err as TerraformError,
    );
    expect(failure).toBeInstanceOf(TerraformError);
    const output = `${(failure as TerraformError).result.stdout}${(failure as TerraformError).result.stderr}`;
    expect(output.replace(/\s+/g, ' ')).toContain(
      `Error: local cloud store ${storeFileIn(dir)} is not valid JSON (truncated or overwritten): delete it to start an empty local cloud, or run the demo with --reset`,
    );
    expect(output).not.toContain('failed to ReadDataSource');
    expect(output).not.toMatch(/^\s+at /m);
    expect(output).not.toContain('hunter2');
  });
});
