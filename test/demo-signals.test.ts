// SIGINT (Ctrl-C) and SIGTERM to `npm start`: every process of the run stops, its temporary files go (CA and server
// keys, projected tokens), the work directory is free again, and the exit code is the shell's 130 or 143.
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';

const ROOT = join(import.meta.dirname, '..');

/** Processes whose environment carries `marker`: this run's children, grandchildren and any orphan of them. */
function processesMarked(marker: string): string[] {
  return readdirSync('/proc')
    .filter((pid) => /^\d+$/.test(pid))
    .filter((pid) => {
      try {
        return readFileSync(`/proc/${pid}/environ`, 'utf8').includes(marker);
      } catch {
        return false;
      }
    })
    .map((pid) => {
      try {
        return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ').trim();
      } catch {
        return pid;
      }
    });
}

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
    .waitFor(() => expect(processesMarked(marker)).toEqual([]), { timeout: 120_000, interval: 100 })
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
