// Scale: both sides synthesized from configs with 1, 10, 100 and 500 workloads, each run in a fresh process.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { DEFAULT_CONFIG_PATH } from '../config/load-config';
import { MAX_FEDERATED_CREDENTIALS_PER_IDENTITY } from '../config/rules';
import { median, ROOT, runChild, TSX } from './child';
import { medians, type SynthSeries, synthChildSeries } from './synth';
import type { Figure } from './table';
import type { VerifyChildReport } from './verify-child';

const SECTION = 'scale';

/** Workload counts measured. */
export const SCALE_SIZES = [1, 10, 100, 500] as const;
/** 500 workloads may cost at most this many times the time of 1. */
export const SCALE_BUDGET = 3;

/**
 * The default config with `count` workloads: distinct names, namespaces, service accounts and pods, secrets taken in
 * turn, and one identity per 20 service accounts so that none exceeds Entra's 20 federated credentials.
 */
export function scaleConfig(count: number): Record<string, any> {
  const base = parse(readFileSync(DEFAULT_CONFIG_PATH, 'utf8')) as Record<string, any>;
  const [template] = base.workloads as Record<string, unknown>[];
  const secrets = (base.keyVault.secrets as { name: string }[]).map((s) => s.name);
  const workloads = Array.from({ length: count }, (_, i) => ({
    ...template,
    name: `w${i}`,
    namespace: `ns-${i}`,
    serviceAccount: `sa-${i}`,
    managedIdentity: `mi-${Math.floor(i / MAX_FEDERATED_CREDENTIALS_PER_IDENTITY)}`,
    pod: `pod-${i}`,
    secret: secrets[i % secrets.length],
  }));
  return { ...base, workloads };
}

/** Milliseconds a child spent on the work that grows with the config (validation and both sides), without start-up. */
function workMs(series: SynthSeries): number {
  return median(
    series.reports.map(
      (r) => r.phases.config.wallMs + r.phases.azure.wallMs + r.phases.kubernetes.wallMs,
    ),
  );
}

/** `checkPair` on what `npm run synth` writes for a config, bound to deployed-looking values, in a fresh process. */
function verifyRun(config: string, workdir: string): VerifyChildReport {
  const run = runChild(TSX, [
    join(ROOT, 'bench', 'verify-child.ts'),
    mkdtempSync(join(workdir, 'verify-')),
    config,
  ]);
  return JSON.parse(run.stdout.trim().split('\n').at(-1)!) as VerifyChildReport;
}

/** Every figure of the scale section, the series they come from, and the config file of the largest size (to profile). */
export function measureScale(options: { runs: number; workdir: string }): {
  figures: Figure[];
  series: SynthSeries[];
  largestConfig: string;
} {
  const configs = SCALE_SIZES.map((count) => {
    const file = join(options.workdir, `config-${count}.json`);
    writeFileSync(file, JSON.stringify(scaleConfig(count)));
    return file;
  });
  // A warm-up before the first size only: the others load the same modules, from the same caches.
  const series = SCALE_SIZES.map((count, i) =>
    synthChildSeries(`${count} workloads`, {
      root: ROOT,
      side: 'both',
      runs: options.runs,
      workdir: options.workdir,
      config: configs[i],
      warmups: i === 0 ? 1 : 0,
    }),
  );
  const m = series.map(medians);
  const work = series.map(workMs);
  const [first, last] = [0, SCALE_SIZES.length - 1];
  const added = SCALE_SIZES[last] - SCALE_SIZES[first];
  // Per-workload cost of the last step against the step before: about 1 (or below, while the JIT warms up) when linear.
  const step = (i: number) => (work[i] - work[i - 1]) / (SCALE_SIZES[i] - SCALE_SIZES[i - 1]);
  const how = `median of ${options.runs} fresh processes, both sides`;
  // One run each: the figure is checkPair's own time inside the process, not the process's.
  const [verifyFirst, verifyLast] = [
    verifyRun(configs[first], options.workdir),
    verifyRun(configs[last], options.workdir),
  ];
  const figures: Figure[] = [
    ...SCALE_SIZES.flatMap((count, i): Figure[] => [
      {
        section: SECTION,
        name: `${count} workloads: time`,
        value: m[i].ms,
        unit: 'ms',
        note: `${i === 0 ? `${how}; ` : ''}of which validation and synthesis ${work[i].toFixed(0)} ms`,
      },
      { section: SECTION, name: `${count} workloads: peak memory`, value: m[i].mb, unit: 'MB' },
    ]),
    {
      section: SECTION,
      name: `${SCALE_SIZES[last]} / ${SCALE_SIZES[first]} workloads: time`,
      value: m[last].ms / m[first].ms,
      unit: 'x',
      budget: { max: SCALE_BUDGET },
    },
    {
      section: SECTION,
      name: 'marginal time per workload',
      value: (m[last].ms - m[first].ms) / added,
      unit: 'ms',
      note: `from ${SCALE_SIZES[first]} to ${SCALE_SIZES[last]}`,
    },
    {
      section: SECTION,
      name: 'marginal memory per workload',
      value: (m[last].mb - m[first].mb) / added,
      unit: 'MB',
      note: `from ${SCALE_SIZES[first]} to ${SCALE_SIZES[last]}`,
    },
    {
      section: SECTION,
      name: 'growth: per-workload cost, last step / step before',
      value: step(last) / step(last - 1),
      unit: 'x',
      note: `${SCALE_SIZES[last - 1]}->${SCALE_SIZES[last]}: ${step(last).toFixed(2)} ms/workload, ${SCALE_SIZES[last - 2]}->${SCALE_SIZES[last - 1]}: ${step(last - 1).toFixed(2)}; about 1 or less when linear`,
    },
    {
      section: SECTION,
      name: `verify (checkPair), ${SCALE_SIZES[last]} workloads: time`,
      value: verifyLast.checkMs,
      unit: 'ms',
      note: `deployed-looking bindings, every check; ${SCALE_SIZES[first]} workload: ${verifyFirst.checkMs.toFixed(0)} ms; findings ${verifyFirst.findings} and ${verifyLast.findings} (0 expected)`,
    },
  ];
  return { figures, series, largestConfig: configs[last] };
}
