// Run by the bench in a fresh process: synthesize one side (or both) with synth.ts and print one JSON line.
// Usage: tsx bench/synth-child.ts <azure|kubernetes|both> <outdir> [config file]
// Imports are dynamic so that each phase is timed on its own; together they are what `npm start` loads.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';

/** Milliseconds of one phase: wall clock, and CPU time of the whole process (less sensitive to a busy machine). */
export interface PhaseTime {
  readonly wallMs: number;
  readonly cpuMs: number;
}

/** What one child run reports about itself. */
export interface SynthChildReport {
  readonly side: 'azure' | 'kubernetes' | 'both';
  readonly workloads: number;
  /** From process start to the last file written (the bench's figures are spawn to exit, measured outside). */
  readonly ms: number;
  /**
   * Time per phase: `start` from process start to the first line of this file (runtime and tsx),
   * `load` the modules of synth.ts and the config loader, `config` reading and validating the config,
   * `azure` and `kubernetes` building and writing each side.
   */
  readonly phases: Readonly<
    Record<'start' | 'load' | 'config' | 'azure' | 'kubernetes', PhaseTime>
  >;
  /** `process.resourceUsage().maxRSS` of this process, in MB (the bench reports `/usr/bin/time`'s; this cross-checks it). */
  readonly maxRssMb: number;
}

const mark = (): PhaseTime => {
  const cpu = process.cpuUsage();
  return { wallMs: process.uptime() * 1000, cpuMs: (cpu.user + cpu.system) / 1000 };
};
const between = (a: PhaseTime, b: PhaseTime): PhaseTime => ({
  wallMs: b.wallMs - a.wallMs,
  cpuMs: b.cpuMs - a.cpuMs,
});

const start = mark();
const [side = 'both', outdir = 'bench-out', configFile] = process.argv.slice(2);
if (side !== 'azure' && side !== 'kubernetes' && side !== 'both')
  throw new Error(`side ${JSON.stringify(side)} must be azure, kubernetes or both`);
mkdirSync(outdir, { recursive: true });

const { synthAzure, synthManifests } = await import('../synth');
const { loadConfig } = await import('../config/load-config');
const { loadBindings } = await import('../config/outputs');
const loaded = mark();
const config = loadConfig(configFile);
const configured = mark();
if (side !== 'kubernetes') synthAzure(config, join(outdir, 'cdktf.out'));
const azure = mark();
// The outputs file does not exist: placeholders, as on a first `npm start`.
if (side !== 'azure')
  synthManifests(
    config,
    loadBindings(config, join(outdir, 'outputs.json')).byWorkload,
    join(outdir, 'dist'),
  );
const done = mark();

const report: SynthChildReport = {
  side,
  workloads: config.workloads.length,
  ms: done.wallMs,
  phases: {
    start,
    load: between(start, loaded),
    config: between(loaded, configured),
    azure: between(configured, azure),
    kubernetes: between(azure, done),
  },
  maxRssMb: process.resourceUsage().maxRSS / 1024,
};
console.log(JSON.stringify(report));
