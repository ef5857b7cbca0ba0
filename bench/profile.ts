// Profile a child with `node --cpu-prof` and summarize it: self time by package, top functions by self and by total time.
// Usage, on a profile taken by hand: tsx bench/profile.ts <file.cpuprofile> [top=25]
import { mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ROOT, runChild } from './child';

const PROJECT_URL = `${pathToFileURL(ROOT).href}/`;

interface ProfileNode {
  readonly id: number;
  readonly callFrame: {
    readonly functionName: string;
    readonly url: string;
    readonly lineNumber: number;
  };
  readonly children?: readonly number[];
}

/** The parts of a `.cpuprofile` file this summary reads. */
export interface CpuProfile {
  readonly nodes: readonly ProfileNode[];
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

/** One row of a profile summary: a function (or package) and its time in ms. */
export interface ProfileRow {
  readonly name: string;
  readonly ms: number;
}

/** A profile reduced to what a reader needs to find a hot spot. */
export interface ProfileSummary {
  readonly totalMs: number;
  /** Self time per kind of work: module loading, frameworks, project code, GC and idle, the rest. */
  readonly categories: ProfileRow[];
  /** Self time per package (`node_modules` name, `project:<folder>`, or a `node:` internal). */
  readonly packages: ProfileRow[];
  /** Self time per function. */
  readonly selfTime: ProfileRow[];
  /** Time per function including what it calls (recursion counted once). */
  readonly totalTime: ProfileRow[];
}

/** The package (or project folder) a script URL belongs to, e.g. `cdktf`, `@cdktf/provider-azurerm`, `project:constructs`. */
export function packageOf(url: string): string {
  const match = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (match) return match[1];
  if (url === '') return '(native, gc, idle)';
  if (url.startsWith('node:')) return url;
  if (!url.startsWith(PROJECT_URL)) return url;
  const folder = url.slice(PROJECT_URL.length).split('/');
  return `project:${folder.length > 1 ? folder[0] : '.'}`;
}

/** What kind of work a package's self time is (see `packageOf`): the first question a missed budget asks. */
export function categoryOf(pkg: string): string {
  if (pkg.startsWith('project:')) return 'project code';
  if (pkg === '(native, gc, idle)') return 'GC, idle, native';
  if (
    /^node:internal\/(modules|deps\/cjs-module-lexer|source_map)|^wasm:|^tsx$|^esbuild$/.test(pkg)
  )
    return 'module loading (Node loaders, tsx, source maps)';
  if (/^(cdktf|cdk8s|cdk8s-plus-\d+|constructs|@cdktf\/.*|yaml|zod)$/.test(pkg))
    return 'frameworks and libraries (cdktf, cdk8s, providers, yaml, zod)';
  if (pkg.startsWith('node:')) return 'Node runtime (fs, path, url, worker messaging)';
  return 'other';
}

function functionKey(frame: ProfileNode['callFrame']): string {
  const where = frame.url
    ? ` ${frame.url.replace(/^.*node_modules\//, '').replace(PROJECT_URL, '')}:${frame.lineNumber + 1}`
    : '';
  return `${frame.functionName || '(anonymous)'}${where}`;
}

/** Self time per package and function, and total time per function, largest first. */
export function summarizeProfile(profile: CpuProfile): ProfileSummary {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parentOf = new Map<number, number>();
  for (const node of profile.nodes)
    for (const child of node.children ?? []) parentOf.set(child, node.id);
  const add = (m: Map<string, number>, key: string, us: number) =>
    m.set(key, (m.get(key) ?? 0) + us);
  const packages = new Map<string, number>();
  const categories = new Map<string, number>();
  const selfTime = new Map<string, number>();
  const totalTime = new Map<string, number>();
  let total = 0;
  profile.samples.forEach((id, i) => {
    const us = profile.timeDeltas[i] ?? 0;
    const frame = byId.get(id)!.callFrame;
    total += us;
    add(packages, packageOf(frame.url), us);
    add(categories, categoryOf(packageOf(frame.url)), us);
    add(selfTime, functionKey(frame), us);
    const onStack = new Set<string>();
    for (let n: number | undefined = id; n !== undefined; n = parentOf.get(n))
      onStack.add(functionKey(byId.get(n)!.callFrame));
    for (const key of onStack) add(totalTime, key, us);
  });
  const rows = (m: Map<string, number>) =>
    [...m].map(([name, us]) => ({ name, ms: us / 1000 })).sort((a, b) => b.ms - a.ms);
  return {
    totalMs: total / 1000,
    categories: rows(categories),
    packages: rows(packages),
    selfTime: rows(selfTime),
    totalTime: rows(totalTime),
  };
}

/** The summary as text: three ranked lists of `top` rows each. */
export function formatProfileSummary(summary: ProfileSummary, top = 25): string {
  const list = (title: string, rows: ProfileRow[]) =>
    [title, ...rows.slice(0, top).map((r) => `${r.ms.toFixed(0).padStart(7)} ms  ${r.name}`)].join(
      '\n',
    );
  return [
    `sampled ${summary.totalMs.toFixed(0)} ms`,
    list('self time by kind of work:', summary.categories),
    list('self time by package:', summary.packages),
    list('top functions by self time:', summary.selfTime),
    list('top functions by total time (with callees):', summary.totalTime),
  ].join('\n\n');
}

/**
 * Run `node --cpu-prof --import tsx <script> <args>` in the project and summarize the main thread's profile.
 *
 * tsx's loader thread writes a second, smaller profile; the largest file is the main thread's.
 */
export function profileChild(
  script: string,
  args: readonly string[],
): { file: string; summary: ProfileSummary } {
  // Kept after the bench, to open in a profiler (Chrome DevTools, speedscope).
  const dir = mkdtempSync(join(tmpdir(), 'wi-bench-profile-'));
  runChild(process.execPath, [
    '--cpu-prof',
    '--cpu-prof-dir',
    dir,
    '--import',
    'tsx',
    join(ROOT, script),
    ...args,
  ]);
  const [file] = readdirSync(dir)
    .map((f) => join(dir, f))
    .sort((a, b) => statSync(b).size - statSync(a).size);
  return { file, summary: summarizeProfile(JSON.parse(readFileSync(file, 'utf8')) as CpuProfile) };
}

if (import.meta.filename === process.argv[1] || process.argv[1]?.endsWith('bench/profile.ts')) {
  const [file, top] = process.argv.slice(2);
  if (!file) throw new Error('usage: tsx bench/profile.ts <file.cpuprofile> [top]');
  console.log(
    formatProfileSummary(
      summarizeProfile(JSON.parse(readFileSync(file, 'utf8')) as CpuProfile),
      Number(top ?? 25),
    ),
  );
}
