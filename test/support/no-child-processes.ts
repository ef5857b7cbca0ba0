// The unit project's rule: a unit test starts no child process (no Terraform, no CLI, no openssl, no git, no pod).
// While a unit test file runs, every way Node has to start one throws, naming the rule, so a test that needs one
// belongs in test/e2e/. The functions are put back after the file, so a worker shared with another project is clean.
import childProcess from 'node:child_process';
import { syncBuiltinESMExports } from 'node:module';
import { afterAll, beforeAll } from 'vitest';

const NAMES = [
  'spawn',
  'spawnSync',
  'exec',
  'execSync',
  'execFile',
  'execFileSync',
  'fork',
] as const;
const module = childProcess as unknown as Record<string, unknown>;
const originals = new Map(NAMES.map((name) => [name, module[name]]));

/** Make every child-process function throw while `on`, and put the real ones back when not. */
export function refuseChildProcesses(on: boolean): void {
  for (const name of NAMES) {
    module[name] = on
      ? (command: unknown) => {
          throw new Error(
            `a unit test started a child process (${name} ${String(command)}): unit tests run none; move the test to test/e2e/`,
          );
        }
      : originals.get(name);
  }
  syncBuiltinESMExports();
}

beforeAll(() => refuseChildProcesses(true));
afterAll(() => refuseChildProcesses(false));
