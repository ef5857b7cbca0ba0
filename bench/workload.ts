// The workload program against the local cloud: the real program, SDKs and token exchange, as `npm start` runs them.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RunningPod } from '../local-cloud/kubelet';
import { type Lab, startLab, synthLab } from '../local-cloud/lab';
import type { Figure } from './table';

const SECTION = 'workload program';
const READS = 1000;
const SECRET_LINE = /^Your secret is /;

/** Budgets of the workload program. */
export const WORKLOAD_BUDGETS = {
  /** From process start to the first secret read. */
  firstSecretMs: 1000,
  peakMb: 100,
  /** Memory after 2,000 reads over memory after 1,000 (past warm-up): flat means about 1. */
  memoryGrowth: 1.1,
} as const;

/** Resident and peak memory of a process, in MB, from /proc. */
function memoryOf(pid: number | undefined): { rssMb: number; peakMb: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (key: string) =>
    Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
  return { rssMb: kb('VmRSS') / 1024, peakMb: kb('VmHWM') / 1024 };
}

/** Wait until the pod has printed `count` secret lines; fails with its logs when it exits first or takes a minute. */
async function readsDone(pod: RunningPod, count: number): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (pod.stdout.filter((l) => SECRET_LINE.test(l)).length < count) {
    if (pod.exitCode !== null || Date.now() > deadline)
      throw new Error(`pod stopped after ${pod.stdout.length} lines:\n${pod.logs()}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** Run the program for 1,000 reads in one credential mode; returns the figures the caller names. */
async function run(lab: Lab, mode: string) {
  const before = lab.cloud.stats();
  const started = performance.now();
  // Verbose SDK logging makes the program log each read of the token file (stderr), which is what is counted.
  const pod = await lab.runPod({
    pod: 'demo-pod',
    env: { CREDENTIAL_MODE: mode, READ_INTERVAL_MS: '1', AZURE_LOG_LEVEL: 'verbose' },
  });
  try {
    await pod.waitForLog(SECRET_LINE, 30_000);
    const firstSecretMs = performance.now() - started;
    await readsDone(pod, 100);
    const at100 = memoryOf(pod.pid);
    await readsDone(pod, READS);
    const at1000 = memoryOf(pod.pid);
    const stats = lab.cloud.stats();
    const tokenRequests = stats.tokenRequests - before.tokenRequests;
    const fileReads = pod.stderr.filter((l) => l.includes('Read the federated token file')).length;
    await readsDone(pod, 2 * READS);
    const at2000 = memoryOf(pod.pid);
    const stopping = performance.now();
    const exitCode = await pod.stop();
    return {
      firstSecretMs,
      tokenRequests,
      fileReads,
      at100,
      at1000,
      at2000,
      stopMs: performance.now() - stopping,
      exitCode,
    };
  } finally {
    if (pod.exitCode === null) await pod.stop();
  }
}

/** Time to first secret, token requests and token-file reads per 100 reads, and memory over 1,000 reads. */
export async function measureWorkload(): Promise<Figure[]> {
  const files = await synthLab({ workDir: mkdtempSync(join(tmpdir(), 'wi-bench-lab-')), env: {} });
  const lab = await startLab(files);
  try {
    // The SDK credential (the lab's sample) and the custom one: the file read counter is the custom credential's.
    const sdk = await run(lab, 'default');
    const custom = await run(lab, 'client-assertion');
    const per100 = (n: number) => (n * 100) / READS;
    return [
      {
        section: SECTION,
        name: 'process start to first secret (DefaultAzureCredential)',
        value: sdk.firstSecretMs,
        unit: 'ms',
        budget: { max: WORKLOAD_BUDGETS.firstSecretMs },
      },
      {
        section: SECTION,
        name: 'process start to first secret (client assertion)',
        value: custom.firstSecretMs,
        unit: 'ms',
        budget: { max: WORKLOAD_BUDGETS.firstSecretMs },
      },
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
        name: 'SIGTERM to exit',
        value: Math.max(sdk.stopMs, custom.stopMs),
        unit: 'ms',
        budget: { max: 1000 },
        note: `exit codes ${sdk.exitCode}, ${custom.exitCode}`,
      },
      {
        section: SECTION,
        name: 'peak memory after 1,000 reads',
        value: Math.max(sdk.at1000.peakMb, custom.at1000.peakMb),
        unit: 'MB',
        budget: { max: WORKLOAD_BUDGETS.peakMb },
      },
      {
        section: SECTION,
        name: 'memory after 2,000 reads / after 1,000',
        value: Math.max(
          sdk.at2000.rssMb / sdk.at1000.rssMb,
          custom.at2000.rssMb / custom.at1000.rssMb,
        ),
        unit: 'x',
        budget: { max: WORKLOAD_BUDGETS.memoryGrowth },
        note: `RSS at 100/1,000/2,000 reads: ${[sdk.at100, sdk.at1000, sdk.at2000].map((m) => m.rssMb.toFixed(0)).join('/')} MB (SDK), ${[custom.at100, custom.at1000, custom.at2000].map((m) => m.rssMb.toFixed(0)).join('/')} MB (client assertion)`,
      },
    ];
  } finally {
    await lab.close();
  }
}
