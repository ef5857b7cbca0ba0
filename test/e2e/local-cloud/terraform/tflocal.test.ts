// `workload-id tflocal`: any terraform subcommand against the local providers, in the work directory's copy of a
// synthesized stack directory, with the terminal attached.
import { spawn, spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  rmSync,
  symlinkSync,
  truncateSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CLI, processesMarked } from '../../../support/helpers';

const root = mkdtempSync(join(tmpdir(), 'wi-tflocal-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** A synthesized stack directory as cdktf lays it out, with its local backend three levels up. */
function synthesizedStack(name = 'sleepy', createDuration = '2s'): string {
  const dir = join(root, 'cdktf.out', 'stacks', name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    join(dir, 'cdk.tf.json'),
    JSON.stringify({
      terraform: {
        backend: { local: { path: `../../../terraform.${name}.tfstate` } },
        required_providers: { time: { source: 'time', version: '0.13.1' } },
      },
      resource: { time_sleep: { settle: { create_duration: createDuration } } },
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
    // The backend's relative path lands in the work directory, where the demo keeps its state; nothing is written
    // beside the synthesized stack.
    expect(existsSync(join(workDir, 'terraform.sleepy.tfstate'))).toBe(true);
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

  it('fails when a stack file is a symbolic link out of the stack directory, naming it, without reading it', () => {
    const stack = join(root, 'cdktf.out', 'stacks', 'linked');
    mkdirSync(stack, { recursive: true });
    symlinkSync('/dev/zero', join(stack, 'cdk.tf.json'));
    const result = tflocal('--dir', stack, '--work-dir', join(root, 'work4'), '--', 'validate');
    expect(result.out.trim()).toBe(
      `tflocal: ${join(stack, 'cdk.tf.json')} is a symbolic link to /dev/zero, outside the stack directory ${stack}: not followed`,
    );
    expect(result.code).toBe(1);
  });

  it('fails when a stack file is larger than a stack file can be, naming it', () => {
    const stack = synthesizedStack('large');
    // Sparse: 64 MB by its size, nothing on disk
    writeFileSync(join(stack, 'extra.tf.json'), '');
    truncateSync(join(stack, 'extra.tf.json'), 64 * 1024 * 1024);
    const result = tflocal('--dir', stack, '--work-dir', join(root, 'work5'), '--', 'validate');
    expect(result.out.trim()).toBe(
      `tflocal: cannot read ${join(stack, 'extra.tf.json')}: it is 64 MB, more than the 16 MB allowed`,
    );
    expect(result.code).toBe(1);
  });

  it.each(['SIGINT', 'SIGTERM'] as const)(
    'forwards %s to Terraform during an apply, waits for it, and leaves nothing of the run running',
    async (signal) => {
      // GIVEN an apply that waits (a time_sleep of 10 minutes on Azure's clock, unscaled)
      const stack = synthesizedStack(`interrupted-${signal}`, '600s');
      const marker = `WI_TFLOCAL_TEST_${randomUUID()}`;
      const child = spawn(
        process.execPath,
        [
          CLI,
          'tflocal',
          '--dir',
          stack,
          '--work-dir',
          join(root, `work-${signal}`),
          '--',
          'apply',
          '-auto-approve',
          '-no-color',
        ],
        {
          cwd: root,
          env: { ...process.env, WI_LOCAL_CLOUD_TIME_SCALE: '1', [marker]: '1' },
          stdio: ['ignore', 'pipe', 'pipe'],
        },
      );
      let output = '';
      const creating = new Promise<void>((resolve) => {
        const onData = (d: Buffer) => {
          output += d;
          if (output.includes('time_sleep.settle: Creating...')) resolve();
        };
        child.stdout.on('data', onData);
        child.stderr.on('data', onData);
      });
      const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
      const closed = new Promise<void>((resolve) => child.on('close', () => resolve()));
      // WHEN the sleep is under way and tflocal (alone, not its group) gets the signal
      await Promise.race([creating, exited]);
      child.kill(signal);
      // THEN once tflocal has exited, no process of the run is left: it waited for Terraform and its providers
      const code = await exited;
      expect(processesMarked(marker)).toEqual([]);
      // and Terraform stopped as Ctrl-C stops it
      await closed;
      expect(output).toContain('Interrupt received.');
      expect(code).toBe(signal === 'SIGINT' ? 130 : 143);
    },
  );
});
