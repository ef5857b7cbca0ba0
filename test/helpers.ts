import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { DEFAULT_CONFIG_PATH } from '../config/load-config';

/** A fresh temp folder for one test. */
export function tempDir(prefix = 'wi-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** The default config file as a plain object, to edit in a test. */
export function defaultConfigData(): any {
  return parse(readFileSync(DEFAULT_CONFIG_PATH, 'utf8'));
}

/** The project root (tests run from it). */
export const ROOT = process.cwd();
/** The compiled command line (test/global-setup.ts builds it), as `npm run cli` runs it. */
export const CLI = join(ROOT, 'build', 'main.mjs');

/** The pids of processes whose environment carries `marker`: a run's children, grandchildren and any orphan of them. */
export function pidsMarked(marker: string): number[] {
  return readdirSync('/proc')
    .filter((pid) => /^\d+$/.test(pid))
    .filter((pid) => {
      try {
        return readFileSync(`/proc/${pid}/environ`, 'utf8').includes(marker);
      } catch {
        return false;
      }
    })
    .map(Number);
}

/** The command lines of the processes whose environment carries `marker` (the pid of one that is gone meanwhile). */
export function processesMarked(marker: string): string[] {
  return pidsMarked(marker).map((pid) => {
    try {
      return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ').trim();
    } catch {
      return String(pid);
    }
  });
}
