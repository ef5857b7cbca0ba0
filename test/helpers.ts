import { mkdtempSync, readFileSync } from 'node:fs';
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
/** Node with tsx's loader by absolute path: TypeScript children run from any folder, in one process (the tsx CLI adds a second). */
export const TSX_NODE_ARGS = ['--import', join(ROOT, 'node_modules', 'tsx', 'dist', 'loader.mjs')];

/** Arguments to run `script` (a .ts file) with `process.execPath`. */
export function tsxArgs(script: string, ...args: string[]): string[] {
  return [...TSX_NODE_ARGS, script, ...args];
}
