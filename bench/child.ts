// Run a program in a fresh child process and measure what it cost, as a user running it would see it.
//
// Peak memory, one method for every figure: GNU time's maximum resident set size (`/usr/bin/time -f %M`), which on
// Linux is the peak RSS of the LARGEST single process of the child's tree (getrusage semantics), not their sum.
// For `tsx file.ts` that is the node process running the file; for `npx cdktf synth` the largest of npx, the CLI
// and the app it starts.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const GNU_TIME = '/usr/bin/time';

/** The project root: bench/ lives in it. */
export const ROOT = join(import.meta.dirname, '..');
/** tsx by path, as `npm start` runs it. */
export const TSX = join(ROOT, 'node_modules', '.bin', 'tsx');

/** What one child process cost. */
export interface ChildRun {
  /** From spawn to exit, measured by the parent. */
  readonly wallMs: number;
  /** Peak RSS of the largest process of the child's tree (see the file comment); NaN without `/usr/bin/time`. */
  readonly maxRssMb: number;
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** How to start a child. */
export interface ChildOptions {
  readonly cwd?: string;
  /** Added to a copy of this process's environment; `undefined` removes a variable. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Do not throw when the child exits non-zero (e.g. `npm test` with failing tests). */
  readonly allowFailure?: boolean;
  readonly timeoutMs?: number;
}

/** The environment children start with: no cdktf phone-home, no config or outputs file picked up from the caller. */
export function childEnv(extra: ChildOptions['env'] = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    CHECKPOINT_DISABLE: '1',
    WI_CONFIG: undefined,
    WI_OUTPUTS: undefined,
    ...extra,
  };
  for (const key of Object.keys(env)) if (env[key] === undefined) delete env[key];
  return env;
}

/** Run `command args` to completion in a fresh process; throws with its stderr when it fails (unless allowed). */
export function runChild(
  command: string,
  args: readonly string[],
  options: ChildOptions = {},
): ChildRun {
  const timed = existsSync(GNU_TIME);
  const dir = mkdtempSync(join(tmpdir(), 'wi-bench-time-'));
  const rssFile = join(dir, 'rss');
  const [file, argv] = timed
    ? [GNU_TIME, ['-f', '%M', '-o', rssFile, command, ...args]]
    : [command, [...args]];
  const started = performance.now();
  const result = spawnSync(file, argv, {
    cwd: options.cwd ?? ROOT,
    env: childEnv(options.env),
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
    timeout: options.timeoutMs ?? 300_000,
  });
  const wallMs = performance.now() - started;
  const kb =
    timed && existsSync(rssFile)
      ? Number(readFileSync(rssFile, 'utf8').trim().split('\n').at(-1))
      : NaN;
  rmSync(dir, { recursive: true, force: true });
  if (result.error) throw new Error(`${command} ${args.join(' ')}: ${result.error.message}`);
  if (result.status !== 0 && !options.allowFailure) {
    throw new Error(
      `${command} ${args.join(' ')} exited with ${result.status}:\n${result.stderr.slice(-2000)}`,
    );
  }
  return {
    wallMs,
    maxRssMb: kb / 1024,
    status: result.status,
    stdout: result.stdout,
    stderr: result.stderr,
  };
}

/** Run `warmups` times to warm caches (tsx's transform cache, the OS file cache), then `runs` times; returns the measured runs. */
export function repeat(runs: number, run: () => ChildRun, warmups = 1): ChildRun[] {
  for (let i = 0; i < warmups; i++) run();
  return Array.from({ length: runs }, run);
}

/** The median of some numbers (the mean of the middle two for an even count). */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** How peak memory is measured, for the results file and the table's notes. */
export const MEMORY_METHOD = existsSync(GNU_TIME)
  ? '/usr/bin/time -f %M: peak RSS of the largest process in the child tree'
  : 'unavailable: /usr/bin/time not found';
