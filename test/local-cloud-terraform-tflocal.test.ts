// `workload-id tflocal`: any terraform subcommand against the local providers, in the work directory's copy of a
// synthesized stack directory, with the terminal attached.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CLI } from './helpers';

const root = mkdtempSync(join(tmpdir(), 'wi-tflocal-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** A synthesized stack directory as cdktf lays it out, with its local backend three levels up. */
function synthesizedStack(): string {
  const dir = join(root, 'cdktf.out', 'stacks', 'sleepy');
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    join(dir, 'cdk.tf.json'),
    JSON.stringify({
      terraform: {
        backend: { local: { path: '../../../terraform.sleepy.tfstate' } },
        required_providers: { time: { source: 'time', version: '0.13.1' } },
      },
      resource: { time_sleep: { settle: { create_duration: '2s' } } },
      output: { settled_at: { value: '${time_sleep.settle.id}' } },
    }),
  );
  return dir;
}

function tflocal(...args: string[]) {
  const result = spawnSync(process.execPath, [CLI, 'tflocal', ...args], {
    encoding: 'utf8',
    cwd: root,
  });
  return { code: result.status, out: `${result.stdout}${result.stderr}` };
}

describe('workload-id tflocal', () => {
  it('runs apply, output, state list and destroy in the work directory, leaving the stack directory as it was', () => {
    const stack = synthesizedStack();
    const workDir = join(root, 'work');
    const apply = tflocal(
      '--dir',
      stack,
      '--work-dir',
      workDir,
      '--',
      'apply',
      '-auto-approve',
      '-no-color',
    );
    expect(apply.out).toContain('Terraform has been successfully initialized!');
    expect(apply.out).toContain('Apply complete! Resources: 1 added, 0 changed, 0 destroyed.');
    expect(apply.code).toBe(0);
    // The backend's relative path lands in the work directory; nothing is written beside the synthesized stack.
    expect(existsSync(join(workDir, 'terraform', 'terraform.sleepy.tfstate'))).toBe(true);
    expect(existsSync(join(root, 'terraform.sleepy.tfstate'))).toBe(false);
    expect(existsSync(join(stack, '.terraform'))).toBe(false);

    const output = tflocal(
      '--dir',
      stack,
      '--work-dir',
      workDir,
      '--',
      'output',
      '-raw',
      'settled_at',
    );
    expect(output.out).toMatch(/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ/);
    const list = tflocal('--dir', stack, '--work-dir', workDir, '--', 'state', 'list');
    expect(list.out).toContain('time_sleep.settle');
    const destroy = tflocal(
      '--dir',
      stack,
      '--work-dir',
      workDir,
      '--',
      'destroy',
      '-auto-approve',
      '-no-color',
    );
    expect(destroy.out).toContain('Destroy complete! Resources: 1 destroyed.');
    expect(destroy.code).toBe(0);
  });

  it('fails when the directory is not a synthesized stack, naming it', () => {
    const result = tflocal(
      '--dir',
      join(root, 'nowhere'),
      '--work-dir',
      join(root, 'work2'),
      '--',
      'plan',
    );
    expect(result.code).toBe(1);
    expect(result.out.trim()).toBe(
      `tflocal: ${join(root, 'nowhere')} has no cdk.tf.json: synthesize first (npm run synth), or pass the stack directory with --dir`,
    );
  });

  it("passes terraform's exit code on", () => {
    const stack = synthesizedStack();
    const result = tflocal(
      '--dir',
      stack,
      '--work-dir',
      join(root, 'work3'),
      '--',
      'plan',
      '-detailed-exitcode',
      '-no-color',
    );
    expect(result.out).toContain('Plan: 1 to add, 0 to change, 0 to destroy.');
    expect(result.code).toBe(2);
  });

  it("validates both synthesized stacks of the default config against the local providers' schemas", () => {
    const cwd = mkdtempSync(join(root, 'synth-'));
    const synth = spawnSync(process.execPath, [CLI, 'synth'], {
      encoding: 'utf8',
      cwd,
      env: { ...process.env, WI_OUTPUTS: join(cwd, 'no-outputs.json') },
    });
    expect(synth.status, synth.stderr).toBe(0);
    for (const stack of ['workload-identity', 'workload-identity-k8s']) {
      const dir = join(cwd, 'cdktf.out', 'stacks', stack);
      const result = tflocal(
        '--dir',
        dir,
        '--work-dir',
        join(cwd, 'work'),
        '--',
        'validate',
        '-no-color',
      );
      expect(result.out, stack).toContain('Success! The configuration is valid.');
      expect(result.code).toBe(0);
    }
  });
});
