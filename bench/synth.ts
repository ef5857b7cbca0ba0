// Synthesis of the default config, each run in a fresh process: in-process per side and both together, the same
// Azure side written with provider root imports, and the two CLIs users run.
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { AZURE_STACK_NAME, KUBERNETES_STACK_NAME } from '../config/outputs';
import { CHART_NAME } from '../constructs/kubernetes/workload-chart';
import { type ChildRun, median, ROOT, repeat, runChild, TSX } from './child';
import { writeRootImportVariant } from './root-import';
import type { SynthChildReport } from './synth-child';
import type { Figure } from './table';

const SECTION = 'synthesis';

/** Budgets of this section. */
export const SYNTH_BUDGETS = {
  /** Both sides, in one fresh process. */
  bothMs: 1500,
  bothMb: 250,
  /** `npm run synth`: the compiled command line with its packages bundled in, both stacks and the manifests. */
  compiledMs: 450,
  compiledMb: 100,
  /** Azure side: ours at most a third of the root-import variant's time. */
  oursOverRootTime: 1 / 3,
} as const;

/** Measured runs of one way to synthesize, with what the child said about itself when it is ours. */
export interface SynthSeries {
  readonly label: string;
  readonly runs: readonly ChildRun[];
  readonly reports: readonly SynthChildReport[];
}

/** Median wall time and peak memory of a series. */
export function medians(series: SynthSeries): { ms: number; mb: number } {
  return {
    ms: median(series.runs.map((r) => r.wallMs)),
    mb: median(series.runs.map((r) => r.maxRssMb)),
  };
}

/** Run `tsx bench/synth-child.ts` (of `root`) `runs` times after `warmups` (1); each run in a fresh process and output folder. */
export function synthChildSeries(
  label: string,
  options: {
    root: string;
    side: 'azure' | 'kubernetes' | 'both';
    runs: number;
    workdir: string;
    config?: string;
    warmups?: number;
  },
): SynthSeries {
  const runs = repeat(
    options.runs,
    () =>
      runChild(TSX, [
        join(options.root, 'bench', 'synth-child.ts'),
        options.side,
        mkdtempSync(join(options.workdir, 'out-')),
        ...(options.config ? [options.config] : []),
      ]),
    options.warmups,
  );
  return {
    label,
    runs,
    reports: runs.map((r) => JSON.parse(r.stdout.trim().split('\n').at(-1)!) as SynthChildReport),
  };
}

/** Run a synth CLI (`npx cdktf synth`, `npx cdk8s synth`) in the project, writing into temp folders (the last is `outdir`). */
function cliSeries(
  label: string,
  args: readonly string[],
  runs: number,
  workdir: string,
  warmups: number,
): SynthSeries & { outdir: string } {
  // WI_OUTPUTS names a file that does not exist: placeholders, whatever outputs.json the project folder holds.
  // Neither CLI asks a server anything: no telemetry for cdktf, no update check for cdk8s.
  const env = {
    WI_OUTPUTS: join(workdir, 'no-outputs.json'),
    CHECKPOINT_DISABLE: '1',
    CDK8S_CHECK_UPGRADE: 'false',
  };
  let outdir = '';
  const run = () => {
    outdir = mkdtempSync(join(workdir, 'cli-'));
    return runChild('npx', [...args, '-o', outdir], { env });
  };
  return { label, runs: repeat(runs, run, warmups), reports: [], outdir };
}

/** Build the compiled command line once, then run its `synth` (both cdktf stacks and the manifests) in temp folders. */
function compiledSeries(
  runs: number,
  workdir: string,
): { build: ChildRun; series: SynthSeries; cwd: string } {
  const build = runChild(process.execPath, [join(ROOT, 'cli', 'build.mjs')]);
  const env = { WI_OUTPUTS: join(workdir, 'no-outputs.json') };
  let cwd = '';
  const run = () => {
    cwd = mkdtempSync(join(workdir, 'compiled-'));
    return runChild(process.execPath, [join(ROOT, 'build', 'main.mjs'), 'synth'], { env, cwd });
  };
  return {
    build,
    series: { label: 'npm run synth (compiled)', runs: repeat(runs, run, 1), reports: [] },
    cwd,
  };
}

/** Files of `npm run synth` that differ from what `npx cdktf synth` and `npx cdk8s synth` wrote. */
function differingFiles(compiledCwd: string, cdktfOut: string, cdk8sOut: string): string[] {
  const pairs = [
    ...[AZURE_STACK_NAME, KUBERNETES_STACK_NAME].map((stack) => [
      join(compiledCwd, 'cdktf.out', 'stacks', stack, 'cdk.tf.json'),
      join(cdktfOut, 'stacks', stack, 'cdk.tf.json'),
    ]),
    [join(compiledCwd, 'dist', `${CHART_NAME}.k8s.yaml`), join(cdk8sOut, `${CHART_NAME}.k8s.yaml`)],
  ];
  const read = (file: string) =>
    existsSync(file) ? readFileSync(file, 'utf8') : `(missing ${file})`;
  return pairs.filter(([a, b]) => read(a) !== read(b)).map(([a]) => relative(compiledCwd, a));
}

/** Median time per phase of a series' child reports, phases that took no time left out: `start 280, load 850, config 15, azure 90 ms`. */
export function phaseSummary(reports: readonly SynthChildReport[]): string {
  const phases = Object.keys(reports[0]?.phases ?? {}) as (keyof SynthChildReport['phases'])[];
  const times = phases
    .map((p) => [p, median(reports.map((r) => r.phases[p].wallMs))] as const)
    .filter(([, ms]) => ms >= 1);
  return `${times.map(([p, ms]) => `${p} ${ms.toFixed(0)}`).join(', ')} ms`;
}

/** Every figure of the synthesis section, and the series they come from. */
export function measureSynth(options: { runs: number; workdir: string }): {
  figures: Figure[];
  series: SynthSeries[];
} {
  const { runs, workdir } = options;
  // One warm-up serves the three: each side loads the same modules (synth.ts imports both frameworks).
  const ours = (side: 'azure' | 'kubernetes' | 'both', warmups: number) =>
    synthChildSeries(`in-process ${side}`, { root: ROOT, side, runs, workdir, warmups });
  const variantRoot = mkdtempSync(join(workdir, 'root-import-'));
  const rewritten = writeRootImportVariant(ROOT, variantRoot);

  const both = ours('both', 1);
  const azure = ours('azure', 0);
  const kubernetes = ours('kubernetes', 0);
  const rootImport = synthChildSeries('in-process azure, root imports', {
    root: variantRoot,
    side: 'azure',
    runs,
    workdir,
  });
  // The cdktf warm-up also warms npx, tsx and the app's modules for the cdk8s runs.
  const cdktf = cliSeries('npx cdktf synth', ['cdktf', 'synth'], runs, workdir, 1);
  const cdk8s = cliSeries(
    'npx cdk8s synth',
    ['cdk8s', 'synth', '--no-check-upgrade'],
    runs,
    workdir,
    0,
  );

  const compiled = compiledSeries(runs, workdir);

  const differing = differingFiles(compiled.cwd, cdktf.outdir, cdk8s.outdir);
  const [a, k, b, r, tf, k8s, c] = [
    azure,
    kubernetes,
    both,
    rootImport,
    cdktf,
    cdk8s,
    compiled.series,
  ].map(medians);
  const how = `median of ${runs} fresh tsx processes, spawn to exit, after a warm-up; inside`;
  const figures: Figure[] = [
    {
      section: SECTION,
      name: 'npm run synth (compiled CLI): time',
      value: c.ms,
      unit: 'ms',
      budget: { max: SYNTH_BUDGETS.compiledMs },
      note: `median of ${runs} fresh node build/main.mjs synth: both cdktf stacks and the manifests; the build before it took ${compiled.build.wallMs.toFixed(0)} ms`,
    },
    {
      section: SECTION,
      name: 'npm run synth (compiled CLI): peak memory',
      value: c.mb,
      unit: 'MB',
      budget: { max: SYNTH_BUDGETS.compiledMb },
    },
    {
      section: SECTION,
      name: 'npm run synth vs npx cdktf synth + npx cdk8s synth: files that differ',
      value: differing.length,
      unit: 'files',
      budget: { max: 0 },
      note: differing.length
        ? differing.join(', ')
        : 'both cdk.tf.json and the k8s YAML byte-identical',
    },
    {
      section: SECTION,
      name: 'both sides, in-process under tsx: time',
      value: b.ms,
      unit: 'ms',
      budget: { max: SYNTH_BUDGETS.bothMs },
      note: `${how}: ${phaseSummary(both.reports)}`,
    },
    {
      section: SECTION,
      name: 'both sides, in-process under tsx: peak memory',
      value: b.mb,
      unit: 'MB',
      budget: { max: SYNTH_BUDGETS.bothMb },
    },
    {
      section: SECTION,
      name: 'Azure side (synthAzure): time',
      value: a.ms,
      unit: 'ms',
      note: phaseSummary(azure.reports),
    },
    { section: SECTION, name: 'Azure side (synthAzure): peak memory', value: a.mb, unit: 'MB' },
    {
      section: SECTION,
      name: 'Kubernetes side (synthManifests): time',
      value: k.ms,
      unit: 'ms',
      note: phaseSummary(kubernetes.reports),
    },
    {
      section: SECTION,
      name: 'Kubernetes side (synthManifests): peak memory',
      value: k.mb,
      unit: 'MB',
    },
    {
      section: SECTION,
      name: 'Azure side, provider root imports: time',
      value: r.ms,
      unit: 'ms',
      note: `generated from ${rewritten.join(', ')}; ${phaseSummary(rootImport.reports)}`,
    },
    {
      section: SECTION,
      name: 'Azure side, provider root imports: peak memory',
      value: r.mb,
      unit: 'MB',
    },
    {
      section: SECTION,
      name: 'Azure side, ours / root imports: time',
      value: a.ms / r.ms,
      unit: 'x',
      budget: { max: SYNTH_BUDGETS.oursOverRootTime },
      note: `root imports take ${(r.ms / a.ms).toFixed(1)}x as long (budget: at least 3x)`,
    },
    {
      section: SECTION,
      name: 'Azure side, ours / root imports: memory',
      value: a.mb / r.mb,
      unit: 'x',
      note: `root imports take ${(r.mb / a.mb).toFixed(1)}x the memory`,
    },
    {
      section: SECTION,
      name: 'npx cdktf synth: time',
      value: tf.ms,
      unit: 'ms',
      note: 'CHECKPOINT_DISABLE=1; every stack of main.ts',
    },
    {
      section: SECTION,
      name: 'npx cdktf synth: peak memory',
      value: tf.mb,
      unit: 'MB',
      note: 'largest process: CLI or app',
    },
    {
      section: SECTION,
      name: 'npx cdk8s synth: time',
      value: k8s.ms,
      unit: 'ms',
      note: '--no-check-upgrade (no registry lookup)',
    },
    {
      section: SECTION,
      name: 'npx cdk8s synth: peak memory',
      value: k8s.mb,
      unit: 'MB',
      note: 'largest process: CLI or app',
    },
  ];
  return { figures, series: [azure, kubernetes, both, rootImport, cdktf, cdk8s, compiled.series] };
}
