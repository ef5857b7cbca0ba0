import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  type CommandError,
  findProgram,
  formatCommand,
  runCommand,
  runSteps,
  type Step,
} from '../../../cli/run-step';
import { tempDir } from '../../support/helpers';

/** Run steps, collecting what they print and whether each in-process step ran. */
async function collect(
  steps: Step[],
  dryRun = false,
): Promise<{ lines: string[]; error?: CommandError }> {
  const lines: string[] = [];
  try {
    await runSteps(steps, { name: 'test', dryRun, print: (line) => lines.push(line) });
    return { lines };
  } catch (err) {
    return { lines, error: err as CommandError };
  }
}

describe('run-step', () => {
  it('prints a command as it could be pasted into a shell', () => {
    expect(
      formatCommand({
        program: 'cdktf',
        args: ['deploy', '--outputs-file', '/tmp/a b/o.json', "it's"],
        env: { WI_CONFIG: '/x/c.yaml' },
      }),
    ).toBe(`$ WI_CONFIG=/x/c.yaml cdktf deploy --outputs-file '/tmp/a b/o.json' 'it'\\''s'`);
  });

  it('finds a program on PATH only when it is executable', () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'tool-a'), '#!/bin/sh\n');
    writeFileSync(join(dir, 'tool-b'), '#!/bin/sh\n');
    chmodSync(join(dir, 'tool-a'), 0o755);
    expect(findProgram('tool-a', { PATH: dir })).toBe(join(dir, 'tool-a'));
    expect(findProgram('tool-b', { PATH: dir })).toBeUndefined();
  });

  it('runs the steps in order and says how long each took', async () => {
    const ran: string[] = [];
    const { lines, error } = await collect([
      { title: 'one', run: () => void ran.push('one') },
      { title: 'two', run: () => void ran.push('two') },
    ]);
    expect(error).toBeUndefined();
    expect(ran).toEqual(['one', 'two']);
    expect(lines.map((l) => l.replace(/\d+s$/, 'Ns'))).toEqual([
      '[1/2] one: one',
      '[1/2] one: done in Ns',
      '[2/2] two: two',
      '[2/2] two: done in Ns',
    ]);
  });

  it('fails when a step fails, running none after it', async () => {
    const ran: string[] = [];
    const { error } = await collect([
      { title: 'one', run: () => void ran.push('one') },
      { title: 'two', run: () => void ran.push('two') },
      {
        title: 'three',
        run: () => {
          throw new Error('broken');
        },
      },
      { title: 'four', run: () => void ran.push('four') },
    ]);
    expect(ran).toEqual(['one', 'two']);
    expect(error?.message).toBe(
      'test: step 3/4 "three" failed (broken); steps 1-2 are done and left in place',
    );
    expect(error?.exitCode).toBe(1);
  });

  it("fails when a step's command cannot be built, or its program cannot be started", async () => {
    const unbuildable = await collect([
      {
        title: 'az',
        command: () => {
          throw new Error('output "cluster_name" is missing');
        },
      },
    ]);
    expect(unbuildable.error?.message).toBe(
      'test: step 1/1 "az" failed (output "cluster_name" is missing); no step before it was done',
    );
    const missing = await collect([
      { title: 'ok', run: () => {} },
      { title: 'nope', command: { program: 'wi-no-such-program', args: [] } },
    ]);
    expect(missing.error?.message).toBe(
      'test: step 2/2 "nope" failed (wi-no-such-program could not be started); step 1 is done and left in place',
    );
    expect(await runCommand({ program: 'wi-no-such-program', args: [] })).toEqual({
      code: 127,
      stdout: '',
    });
  });

  it('prints every step and command and runs nothing with dryRun', async () => {
    const ran: string[] = [];
    const { lines } = await collect(
      [
        { title: 'synth', describe: 'write it', run: () => void ran.push('synth') },
        { title: 'apply', command: { program: 'kubectl', args: ['apply', '-f', 'dist/'] } },
      ],
      true,
    );
    expect(ran).toEqual([]);
    expect(lines).toEqual(['[1/2] synth: write it', '[2/2] apply', '$ kubectl apply -f dist/']);
  });
});
