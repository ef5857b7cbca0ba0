// Every command of docs/deploy.md's bash blocks, run as written and in order, as a user runs them at a terminal: the
// `export` lines by bash, the `npm run cli --` lines by the compiled command line with stand-ins for az, cdktf,
// terraform and kubectl (test/support/cli-helpers.ts), answering "y" where a command asks. Each does what its comment, and
// the output lines shown under it, say.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SUBSCRIPTION, standIns } from '../../support/cli-helpers';
import { CLI, ROOT, tempDir } from '../../support/helpers';

const PAGE = join(ROOT, 'docs', 'deploy.md');

/** A command of a bash block, its trailing comment, and the comment lines right under it (what it prints). */
interface Documented {
  readonly command: string;
  readonly comment: string;
  readonly shown: string[];
}

/** The commands of every bash block of the page, in order. */
function documentedCommands(): Documented[] {
  const page = readFileSync(PAGE, 'utf8');
  const commands: Documented[] = [];
  for (const [, block] of page.matchAll(/```bash\n([\s\S]*?)```/g)) {
    let last: Documented | undefined;
    for (const line of block.split('\n')) {
      if (line.trim() === '') last = undefined;
      else if (line.startsWith('#')) last?.shown.push(line.replace(/^#\s?/, ''));
      else {
        const [, command = '', comment = ''] = /^(.*?)(?:\s+#\s*(.*))?$/.exec(line) ?? [];
        last = { command: command.trim(), comment, shown: [] };
        commands.push(last);
      }
    }
  }
  return commands;
}

/** What an `export` line sets: bash runs the line, then node prints the environment bash passes on. */
function exported(line: string): Record<string, string> {
  const environment = (script: string) =>
    JSON.parse(
      spawnSync(
        '/bin/bash',
        [
          '-c',
          `${script}\nexec "$0" -e 'process.stdout.write(JSON.stringify(process.env))'`,
          process.execPath,
        ],
        { env: {}, encoding: 'utf8' },
      ).stdout,
    ) as Record<string, string>;
  const before = environment('true');
  const after = environment(line);
  return Object.fromEntries(Object.entries(after).filter(([key, value]) => before[key] !== value));
}

/** How a run at a terminal ended: all it printed (stdout and stderr, as a terminal shows them), the programs it called. */
interface TerminalRun {
  readonly status: number | null;
  readonly output: string;
  readonly calls: string[];
  /** The programs called before the command asked its question; undefined when it asked none. */
  readonly callsWhenAsked?: string[];
}

/** util-linux `script`: gives the command line a terminal, as a user's shell does. */
const SCRIPT = ['/usr/bin/script', '/bin/script'].find((path) => existsSync(path));

/** `npm run cli -- <args>` at a terminal, answering "y" when it asks `[y/N]`. */
async function atTerminal(
  args: readonly string[],
  options: { cwd: string; bin: string; env: Record<string, string> },
): Promise<TerminalRun> {
  if (!SCRIPT)
    throw new Error('this test needs util-linux script (a terminal for the command line)');
  const log = join(dirname(options.bin), 'calls.log');
  writeFileSync(log, '');
  const calls = () =>
    readFileSync(log, 'utf8')
      .split('\n')
      .filter((line) => line !== '' && !/^terraform version( |$)/.test(line));
  const quote = (word: string) => `'${word.replaceAll("'", `'\\''`)}'`;
  const command = ['exec', ...[process.execPath, CLI, ...args].map(quote)].join(' ');
  const env: Record<string, string> = {
    PATH: options.bin,
    STANDIN_LOG: log,
    HOME: process.env.HOME ?? options.cwd,
    ...options.env,
  };
  if (process.env.TMPDIR) env.TMPDIR = process.env.TMPDIR;
  const child = spawn(SCRIPT, ['--quiet', '--return', '--command', command, '/dev/null'], {
    cwd: options.cwd,
    env,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let output = '';
  let callsWhenAsked: string[] | undefined;
  const onData = (data: Buffer) => {
    output += data;
    if (callsWhenAsked === undefined && output.includes('[y/N] ')) {
      callsWhenAsked = calls();
      child.stdin.write('y\n');
    }
  };
  child.stdout.on('data', onData);
  child.stderr.on('data', onData);
  const status = await new Promise<number | null>((resolve) => child.on('close', resolve));
  return {
    status,
    // As the terminal shows it: no carriage returns, no cursor moves of the prompt.
    // biome-ignore lint/suspicious/noControlCharactersInRegex: the terminal's escape sequences
    output: output.replaceAll('\r', '').replaceAll(/\x1b\[[0-9;]*[A-Za-z]/g, ''),
    calls: calls(),
    callsWhenAsked,
  };
}

/** The Azure stack's deploy, as the stand-in cdktf records it. */
const cdktfDeploy = (cwd: string, stacks: string) =>
  `cdktf deploy ${stacks} --auto-approve --outputs-file ${join(cwd, 'outputs.json')} (ARM_SUBSCRIPTION_ID=${SUBSCRIPTION})`;

/** What each documented command must do. A command the page gains fails the test until it is given its check here. */
const EXPECTED: Record<string, (run: TerminalRun, cwd: string, documented: Documented) => void> = {
  'npm run cli -- deploy --dry-run': (run) => {
    // prints every check, step and command, runs nothing
    expect(run.calls).toEqual([]);
    expect(run.callsWhenAsked).toBeUndefined();
    expect(run.output).toContain('deploy: 6 steps (dry run: nothing is run)');
    expect(run.output).toContain('$ az account show --output json');
    expect(run.output).toMatch(/\$ ARM_SUBSCRIPTION_ID=.* cdktf deploy workload-identity /);
    for (const step of ['check', 'cdktf deploy', 'synth', 'verify', 'az aks get-credentials'])
      expect(run.output).toMatch(new RegExp(`^\\[\\d/6\\] ${step}`, 'm'));
    expect(run.output).toContain(
      '[6/6] kubectl apply: kubectl --context workload-id-aks apply -f dist/',
    );
    // The export line above it set the secret values.
    expect(run.output).not.toContain('missing now');
  },
  'npm run cli -- deploy': (run, cwd) => {
    // asks first: after the checks, before anything changes
    expect(run.callsWhenAsked).toEqual(
      run.calls.filter((call) => /^az (account|rest) /.test(call)),
    );
    expect(run.output).toMatch(/subscription Stand-in subscription \(.*\).*\[y\/N\] y$/m);
    expect(run.calls).toContain(cdktfDeploy(cwd, 'workload-identity'));
    expect(run.calls.at(-1)).toBe('kubectl --context workload-id-aks apply -f dist/');
    expect(run.output).toMatch(/\[6\/6\] kubectl apply: done in \d+s/);
  },
  'npm run cli -- logs': (run, _cwd, documented) => {
    expect(run.calls).toEqual([
      'kubectl --context workload-id-aks logs -n workload-id-test demo-pod',
    ]);
    // The lines the page shows under the command, in order.
    const lines = run.output.split('\n');
    let at = -1;
    for (const shown of documented.shown) {
      const found = lines.indexOf(shown, at + 1);
      expect(found, `"${shown}" after line ${at} of:\n${run.output}`).toBeGreaterThan(at);
      at = found;
    }
  },
  'npm run cli -- deploy --single': (run, cwd) => {
    // asks first, then: synth, verify (including: the stack applies exactly the objects of dist/), cdktf deploy of both
    expect(run.callsWhenAsked).toEqual(
      run.calls.filter((call) => /^az (account|rest) /.test(call)),
    );
    expect(run.output).toContain('cdktf.out/stacks/workload-identity-k8s/cdk.tf.json');
    expect(run.output).toMatch(/verify: all \d+ checks passed/);
    expect(run.calls.at(-1)).toBe(cdktfDeploy(cwd, 'workload-identity workload-identity-k8s'));
  },
  'npm run cli -- destroy --single': (run) => {
    // asks first, then: cdktf destroy workload-identity workload-identity-k8s
    expect(run.callsWhenAsked).toEqual(['az account show --output json']);
    expect(run.calls).toEqual([
      'az account show --output json',
      `cdktf destroy workload-identity workload-identity-k8s --auto-approve (ARM_SUBSCRIPTION_ID=${SUBSCRIPTION})`,
    ]);
  },
};

describe('docs/deploy.md', () => {
  const documented = documentedCommands();
  const commands = documented.filter((d) => !d.command.startsWith('export '));

  it('has a check for each command it documents', () => {
    expect(commands.map((d) => d.command).sort()).toEqual(Object.keys(EXPECTED).sort());
    for (const { command } of commands) expect(command).toMatch(/^npm run cli -- /);
  });

  it('runs every command of its bash blocks, in order, as its comments say', async () => {
    // GIVEN the stand-ins on PATH, in one working folder: the session of a user who reads the page from the top
    const cwd = tempDir();
    const bin = standIns();
    let env: Record<string, string> = {};
    for (const step of documented) {
      if (step.command.startsWith('export ')) {
        // WHEN bash runs an export line, THEN the commands below it get what it sets
        const set = exported(step.command);
        expect(Object.keys(set).length, step.command).toBeGreaterThan(0);
        env = { ...env, ...set };
        continue;
      }
      // WHEN the command runs at a terminal
      const run = await atTerminal(step.command.split(/\s+/).slice(4), { cwd, bin, env });
      // THEN it succeeds, does what its comment says, and never prints the password (the username, "admin", is
      // what the lab's pod prints, and a word too common to look for)
      expect(run.status, `${step.command}\n${run.output}`).toBe(0);
      EXPECTED[step.command](run, cwd, step);
      expect(run.output).not.toContain(env.TF_VAR_secret_password);
    }
    expect(env).toEqual({
      TF_VAR_secret_username: 'admin',
      TF_VAR_secret_password: '<a password>',
    });
    // The manifests a deploy applied carry the deployed values, never a secret value.
    const manifests = readFileSync(join(cwd, 'dist', 'workload-identity.k8s.yaml'), 'utf8');
    expect(manifests).not.toContain('placeholder');
    expect(manifests).not.toContain(env.TF_VAR_secret_password);
  });

  it('"--yes does not" ask: deploy --yes at a terminal deploys without a question', async () => {
    const cwd = tempDir();
    const bin = standIns();
    const export_ = documented.find((d) => d.command.startsWith('export TF_VAR_'));
    const run = await atTerminal(['deploy', '--yes'], {
      cwd,
      bin,
      env: exported(export_?.command ?? ''),
    });
    expect(run.status, run.output).toBe(0);
    expect(run.callsWhenAsked).toBeUndefined();
    expect(run.output).not.toContain('[y/N]');
    expect(run.calls).toContain(cdktfDeploy(cwd, 'workload-identity'));
  });
});
