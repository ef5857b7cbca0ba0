// Type-check: `npx tsc --noEmit` over the whole project, in a fresh process after a warm-up run.
import { median, repeat, runChild } from './child';
import type { Figure } from './table';

const SECTION = 'type-check and tests';

/** Time and peak memory of `npx tsc --noEmit`; a run that reports type errors still counts, and the note says so. */
export function measureTypecheck(options: { runs: number }): Figure[] {
  const runs = repeat(options.runs, () =>
    runChild('npx', ['tsc', '--noEmit'], { allowFailure: true }),
  );
  const failed = runs.find((r) => r.status !== 0);
  const errors = failed
    ? `; tsc exited ${failed.status} with ${(failed.stdout.match(/error TS/g) ?? []).length} type errors`
    : '';
  return [
    {
      section: SECTION,
      name: 'npx tsc --noEmit: time',
      value: median(runs.map((r) => r.wallMs)),
      unit: 'ms',
      note: `${options.runs === 1 ? 'one run' : `median of ${options.runs} runs`} after a warm-up${errors}`,
    },
    {
      section: SECTION,
      name: 'npx tsc --noEmit: peak memory',
      value: median(runs.map((r) => r.maxRssMb)),
      unit: 'MB',
    },
  ];
}
