// SIGINT (Ctrl-C) and SIGTERM to `npm start`: every process of the run stops, its temporary files go (CA and server
// keys, projected tokens), the work directory is free again, and the exit code is the shell's 130 or 143.
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, unlinkSync, watch } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { pidsMarked, processesMarked } from '../../support/helpers';

const ROOT = join(import.meta.dirname, '..', '..', '..');
const CLI = join(ROOT, 'build', 'main.mjs');

/** Start `npm start` in a process group of its own; signal it once `when` shows in its output. */
async function interruptedDemo(options: {
  when: RegExp;
  signal: 'SIGINT' | 'SIGTERM';
  /** SIGINT as a terminal sends it, to the whole group; SIGTERM as `kill` sends it, to npm alone. */
  group: boolean;
}) {
  const marker = `WI_SIGNAL_TEST_${randomUUID()}`;
  const temp = mkdtempSync(join(tmpdir(), 'wi-signals-tmp-'));
  const workDir = mkdtempSync(join(tmpdir(), 'wi-signals-work-'));
  const child = spawn('npm', ['start', '--silent', '--', '--work-dir', workDir], {
    cwd: ROOT,
    env: { ...process.env, TMPDIR: temp, [marker]: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let output = '';
  let sent = false;
  const onData = (d: Buffer) => {
    output += d;
    if (!sent && options.when.test(output)) {
      sent = true;
      process.kill(options.group ? -child.pid! : child.pid!, options.signal);
    }
  };
  child.stdout.on('data', onData);
  child.stderr.on('data', onData);
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  // A killed Terraform's providers notice that their parent is gone by polling for it: wait until no process of the
  // run is left. The ceiling only ends a hung test; a process still there then is reported by the test's assertion.
  await vi
    .waitFor(() => expect(processesMarked(marker)).toEqual([]), { timeout: 300_000, interval: 100 })
    .catch(() => undefined);
  return { code, sent, output, marker, temp, workDir };
}

describe('npm start stopped by a signal', () => {
  it('SIGTERM while Terraform applies: exit 143, no process left, no temporary file', async () => {
    const run = await interruptedDemo({
      when: /Synthesizing the Azure side/,
      signal: 'SIGTERM',
      group: false,
    });
    expect(run.sent).toBe(true);
    expect(run.output).toContain('SIGTERM: stopped');
    expect(run.code).toBe(143);
    expect(processesMarked(run.marker)).toEqual([]);
    expect(readdirSync(run.temp)).toEqual([]);
    expect(existsSync(join(run.workDir, 'run.lock'))).toBe(false);
  });

  it('Ctrl-C once the local cloud runs: exit 130, pods and servers stopped, keys and tokens removed', async () => {
    const run = await interruptedDemo({ when: /\[3\/4\]/, signal: 'SIGINT', group: true });
    expect(run.sent).toBe(true);
    expect(run.output).toContain('SIGINT: stopped');
    expect(run.code).toBe(130);
    expect(processesMarked(run.marker)).toEqual([]);
    expect(readdirSync(run.temp)).toEqual([]);
    expect(existsSync(join(run.workDir, 'run.lock'))).toBe(false);
  });
});

/** The command name of a process (`/proc/<pid>/comm`), or undefined once it is gone. */
function commandOf(pid: number): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  } catch {
    return undefined;
  }
}

/**
 * Whether a process is gone or on its way out: a zombie, exiting (PF_EXITING in its flags), or with SIGKILL pending
 * in one of its threads. The kernel sends a parent-death signal while the parent exits, before anyone sees its end.
 */
function dying(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (fields[0] === 'Z' || fields[0] === 'X' || (Number(fields[6]) & 0x4) !== 0) return true;
    return readdirSync(`/proc/${pid}/task`).some((task) =>
      [
        ...readFileSync(`/proc/${pid}/task/${task}/status`, 'utf8').matchAll(
          /^(?:SigPnd|ShdPnd):\s+([0-9a-f]+)$/gm,
        ),
      ].some((pending) => (BigInt(`0x${pending[1]}`) & 0x100n) !== 0n),
    );
  } catch {
    return true;
  }
}

/** Run the demo to its end; resolves with its exit code and output. */
function demo(args: readonly string[], env: NodeJS.ProcessEnv = {}) {
  const child = spawn(process.execPath, [CLI, 'demo', ...args], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => {
    stdout += d;
  });
  child.stderr.on('data', (d) => {
    stderr += d;
  });
  const done = new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) =>
    child.on('close', (code) => resolve({ code, stdout, stderr })),
  );
  return { child, done };
}

/** Resolves once the store in `workDir` holds a resource group (the store is replaced whole: each write is an event). */
function firstResourceGroup(workDir: string, running: Promise<unknown>): Promise<void> {
  return new Promise((resolve, reject) => {
    const check = () => {
      try {
        const store = JSON.parse(readFileSync(join(workDir, 'cloud-store.json'), 'utf8'));
        if (store.resourceGroups.length > 0) {
          watcher.close();
          resolve();
        }
      } catch {
        // Not written yet.
      }
    };
    const watcher = watch(workDir, check);
    check();
    void running.then(() => {
      watcher.close();
      reject(new Error('the demo ended before Terraform created anything'));
    });
  });
}

describe('npm start killed with SIGKILL', () => {
  it('takes Terraform along, and the next run takes over the locks it left and starts over with --reset', async () => {
    const marker = `WI_KILL_TEST_${randomUUID()}`;
    const workDir = mkdtempSync(join(tmpdir(), 'wi-kill-work-'));
    // GIVEN a demo whose Terraform applies on a clock 100 times slower than Azure's: its time_sleep outlasts the test
    const first = demo(['--work-dir', workDir], {
      [marker]: '1',
      WI_LOCAL_CLOUD_TIME_SCALE: '100',
    });
    try {
      await firstResourceGroup(workDir, first.done);
      const terraform = pidsMarked(marker).filter((pid) => commandOf(pid) === 'terraform');
      expect(terraform.length).toBeGreaterThan(0);
      // WHEN the demo is killed while Terraform applies, as `kill -9` does
      first.child.kill('SIGKILL');
      await first.done;
      // THEN its Terraform was killed with it: by the time the demo's end is seen, Terraform is gone or dying. (An
      // orphan went on applying until it next wrote to the pipe the demo had held, seconds later.)
      expect(terraform.filter((pid) => !dying(pid))).toEqual([]);
      // AND no provider of that run goes on either (they notice their Terraform is gone)
      await vi
        .waitFor(() => expect(pidsMarked(marker)).toEqual([]), { timeout: 120_000, interval: 100 })
        .catch(() => undefined);
      expect(pidsMarked(marker)).toEqual([]);
    } finally {
      for (const pid of pidsMarked(marker)) process.kill(pid, 'SIGKILL');
    }
    // AND the next run says which locks it took over, starts the work directory over, and reads the secret
    const reset = await demo(['--work-dir', workDir, '--reset']).done;
    expect(reset.stderr).toContain(
      `took over the lock ${join(workDir, 'run.lock')}: process ${first.child.pid} that held it is gone`,
    );
    expect(reset.stderr).toContain(
      `took over Terraform's state lock ${join(workDir, '.terraform.workload-identity.tfstate.lock.info')}: no process holds terraform.workload-identity.tfstate (the run that locked it was stopped)`,
    );
    expect(reset.stdout).toContain(`Started ${workDir} over`);
    expect(reset.stdout).toContain('Your secret is admin');
    expect(reset.code).toBe(0);

    // WHEN a crash leaves the local cloud ahead of the state (the state of that deploy is lost)
    unlinkSync(join(workDir, 'terraform.workload-identity.tfstate'));
    const ahead = await demo(['--work-dir', workDir]).done;
    // THEN Azure's own answer stays, and one line says what happened and the way out
    expect(ahead.stderr.replace(/\s+/g, ' ')).toContain(
      'already exists - to be managed via Terraform this resource needs to be imported into the State',
    );
    expect(ahead.stderr).toContain(
      `The local cloud in ${workDir} holds resources that its Terraform state does not (a run was stopped during apply): on Azure you would import them (terraform import <address> <id>); here, run the demo again with --reset to start the work directory over.`,
    );
    expect(ahead.code).toBe(1);
  });
});
