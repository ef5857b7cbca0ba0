// `npm run bench [-- --runs 5] [-- --only synth,scale,typecheck,tests,install,workload,provider,teams] [-- --profile]`
// Measures, prints a table (figure, value, budget, ok/MISSED) and writes bench/results.json. A benchmark, not a test:
// it exits 0 whatever the budgets say, and 1 only when a section could not be measured (its row says FAILED).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { MEMORY_METHOD, ROOT } from './child';
import { measureInstall } from './install';
import { formatProfileSummary, type ProfileSummary, profileChild } from './profile';
import { measureScale } from './scale';
import { measureSynth, type SynthSeries } from './synth';
import { type Figure, formatTable, verdict } from './table';
import { measureTeams } from './teams';
import { measureProviderStart } from './terraform-provider';
import { measureTests, type TestFileTime } from './tests';
import { measureTypecheck } from './typecheck';
import { measureWorkload } from './workload';

const SECTIONS = [
  'install',
  'synth',
  'scale',
  'typecheck',
  'tests',
  'workload',
  'provider',
  'teams',
] as const;
type Section = (typeof SECTIONS)[number];

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '5' },
    only: { type: 'string' },
    profile: { type: 'boolean', default: false },
  },
});
const runs = Number(values.runs);
if (!Number.isInteger(runs) || runs < 1)
  throw new Error(`--runs ${values.runs} must be a whole number >= 1`);
const only = values.only ? values.only.split(',').map((s) => s.trim()) : [...SECTIONS];
for (const s of only)
  if (!SECTIONS.includes(s as Section))
    throw new Error(`--only ${s}: sections are ${SECTIONS.join(', ')}`);

const workdir = mkdtempSync(join(tmpdir(), 'wi-bench-'));
const started = Date.now();
const loadAtStart = loadavg()[0];
const figures: Figure[] = [];
const series: Record<string, SynthSeries[]> = {};
const profiles: { reason: string; file: string; summary: ProfileSummary }[] = [];
let testFiles: TestFileTime[] = [];
const log = (message: string) =>
  console.error(`[bench ${((Date.now() - started) / 1000).toFixed(0).padStart(3)} s] ${message}`);

/** Profile one synthesis in a fresh process and print where its time goes. */
function profile(reason: string, args: string[]): void {
  log(`profiling: ${reason}`);
  const { file, summary } = profileChild('bench/synth-child.ts', args);
  profiles.push({
    reason,
    file,
    summary: {
      ...summary,
      packages: summary.packages.slice(0, 30),
      selfTime: summary.selfTime.slice(0, 30),
      totalTime: summary.totalTime.slice(0, 30),
    },
  });
  console.error(`\n== profile: ${reason} (${file})\n${formatProfileSummary(summary, 12)}\n`);
}

const missed = (name: string) => figures.some((f) => f.name === name && verdict(f) === 'MISSED');

/** Measure one section; a section that fails becomes one FAILED row, and the others still run. */
async function measure(section: Section): Promise<void> {
  try {
    await measureSection(section);
  } catch (err) {
    const message = (err as Error).message;
    console.error(`\n== ${section} failed:\n${message}\n`);
    figures.push({
      section,
      name: `${section}: not measured`,
      value: null,
      unit: '',
      error: `FAILED: ${
        message
          .split('\n')
          .find((l) => /error/i.test(l))
          ?.trim() ?? message.split('\n')[0]
      }`,
    });
    process.exitCode = 1;
  }
}

/** Run one section's measurements and add its figures (and what explains them) to the results. */
async function measureSection(section: Section): Promise<void> {
  switch (section) {
    case 'install':
      figures.push(...measureInstall());
      break;
    case 'synth': {
      const result = measureSynth({ runs, workdir });
      figures.push(...result.figures);
      series.synth = result.series;
      if (
        values.profile ||
        missed('both sides, in-process: time') ||
        missed('both sides, in-process: peak memory')
      ) {
        profile('both sides, default config', ['both', mkdtempSync(join(workdir, 'out-'))]);
      }
      break;
    }
    case 'scale': {
      const result = measureScale({ runs: Math.min(runs, 3), workdir });
      figures.push(...result.figures);
      series.scale = result.series;
      if (values.profile || figures.some((f) => f.section === 'scale' && verdict(f) === 'MISSED')) {
        profile('both sides, largest scale config', [
          'both',
          mkdtempSync(join(workdir, 'out-')),
          result.largestConfig,
        ]);
      }
      break;
    }
    case 'typecheck':
      // tsc takes seconds and varies little: one run after a warm-up.
      figures.push(...measureTypecheck({ runs: 1 }));
      break;
    case 'tests': {
      const result = measureTests();
      figures.push(...result.figures);
      testFiles = result.files;
      if (missed('npm test: time'))
        console.error(
          `\n== npm test, slowest files:\n${testFiles
            .slice(0, 10)
            .map((f) => `${(f.ms / 1000).toFixed(1).padStart(6)} s  ${f.file}`)
            .join('\n')}\n`,
        );
      break;
    }
    case 'workload':
      figures.push(...(await measureWorkload()));
      break;
    case 'provider':
      figures.push(...(await measureProviderStart({ runs })));
      break;
    case 'teams':
      figures.push(...(await measureTeams({ workdir })));
      break;
  }
}

try {
  for (const section of SECTIONS.filter((s) => only.includes(s))) {
    log(`${section}...`);
    await measure(section);
  }
} finally {
  rmSync(workdir, { recursive: true, force: true });
}

const loadAtEnd = loadavg()[0];
const results = {
  date: new Date(started).toISOString(),
  durationMs: Date.now() - started,
  machine: {
    node: process.version,
    platform: process.platform,
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model,
    loadAverage1m: { start: loadAtStart, end: loadAtEnd },
  },
  memoryMethod: MEMORY_METHOD,
  runs,
  figures: figures.map((f) => ({ ...f, verdict: verdict(f) })),
  series: Object.fromEntries(
    Object.entries(series).map(([name, list]) => [
      name,
      list.map((s) => ({
        label: s.label,
        runs: s.runs.map((r) => ({ wallMs: r.wallMs, maxRssMb: r.maxRssMb })),
        reports: s.reports,
      })),
    ]),
  ),
  profiles,
  testFiles,
};
writeFileSync(join(ROOT, 'bench', 'results.json'), `${JSON.stringify(results, null, 2)}\n`);

console.log(formatTable(figures));
console.log(`\npeak memory: ${MEMORY_METHOD}`);
// The load at the end includes the bench's own last section; the one at the start says whether others were busy.
console.log(
  `${cpus().length} cores, load average ${loadAtStart.toFixed(1)} at start, ${loadAtEnd.toFixed(1)} at end${loadAtStart > cpus().length / 2 ? ' (the machine was busy before the bench began: figures are noisy)' : ''}`,
);
console.log(`${((Date.now() - started) / 1000).toFixed(0)} s; results in bench/results.json`);
