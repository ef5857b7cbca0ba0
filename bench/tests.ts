// Tests: `npm test` once, as CI runs it. Its wall time is a figure here; no test depends on timing.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { stripVTControlCharacters } from 'node:util';
import { ROOT, runChild } from './child';
import type { Figure } from './table';

/** `npm test` must finish within this many milliseconds. */
export const TESTS_BUDGET_MS = 60_000;

/** What vitest's JSON reporter writes, the parts read here. */
interface VitestJson {
  readonly numPassedTests: number;
  readonly numFailedTests: number;
  readonly numPendingTests?: number;
  readonly testResults: readonly {
    readonly name: string;
    readonly startTime: number;
    readonly endTime: number;
  }[];
}

/** One test file and how long vitest spent in it. */
export interface TestFileTime {
  readonly file: string;
  readonly ms: number;
}

/** Wall time of one `npm test`, with pass/fail counts; and the test files by duration, slowest first. */
export function measureTests(): { figures: Figure[]; files: TestFileTime[] } {
  // The JSON reporter beside the default one: per-file durations, to say where the time goes.
  const dir = mkdtempSync(join(tmpdir(), 'wi-bench-vitest-'));
  const report = join(dir, 'vitest.json');
  const run = runChild(
    'npm',
    ['test', '--silent', '--', '--reporter=default', '--reporter=json', `--outputFile=${report}`],
    { allowFailure: true, env: { FORCE_COLOR: '0' } },
  );
  const json = existsSync(report)
    ? (JSON.parse(readFileSync(report, 'utf8')) as VitestJson)
    : undefined;
  rmSync(dir, { recursive: true, force: true });
  const files = (json?.testResults ?? [])
    .map((r) => ({ file: relative(ROOT, r.name), ms: r.endTime - r.startTime }))
    .sort((a, b) => b.ms - a.ms);
  const counts = json
    ? `${json.numPassedTests} passed, ${json.numFailedTests} failed, ${files.length} files`
    : 'no vitest report';
  const slowest = files
    .slice(0, 3)
    .map((f) => `${f.file} ${(f.ms / 1000).toFixed(1)} s`)
    .join(', ');
  // vitest's own split: transform, setup, collect (importing the test files), tests, environment, prepare.
  const duration = /Duration\s+\S+\s+\((.+)\)/.exec(stripVTControlCharacters(run.stdout))?.[1];
  const note = `${run.status === 0 ? 'passed' : `FAILED (exit ${run.status})`}: ${counts}; slowest: ${slowest || '-'} (files run in parallel)${duration ? `; vitest: ${duration}` : ''}`;
  return {
    figures: [
      {
        section: 'type-check and tests',
        name: 'npm test: time',
        value: run.wallMs,
        unit: 'ms',
        budget: { max: TESTS_BUDGET_MS },
        note,
      },
    ],
    files,
  };
}
