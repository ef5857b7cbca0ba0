import { mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { loadConfig } from '../config/load-config';
import {
  AZURE_STACK_NAME,
  loadBindings,
  placeholderBindings,
  secretEnvironmentVariables,
} from '../config/outputs';
import { synthManifests, synthStacks } from '../synth';
import {
  locatePair,
  readSynthesizedPair,
  resourcesOf,
  type SynthesizedPair,
} from '../verify/synthesized-pair';

/** Options of the `synth` command. */
export interface SynthOptions {
  readonly config?: string;
  readonly outputs?: string;
  /** Bind the manifests to placeholders, whatever outputs file exists (to check a pair before a deploy). */
  readonly placeholders?: boolean;
  /** @default "cdktf.out" */
  readonly cdktfOut?: string;
  /** @default "dist" */
  readonly dist?: string;
  /** Images deploy built, by `build` name, pinned by digest. @default - placeholders for `build` workloads */
  readonly builtImages?: ReadonlyMap<string, string>;
}

/** What one synthesis wrote. */
export interface SynthResult {
  readonly pair: SynthesizedPair;
  readonly bindingsSource: 'outputs' | 'placeholders';
  readonly outputsFile: string;
  readonly secretVariables: readonly string[];
}

/**
 * Validate the config, then write both sides; nothing is written when the config is bad.
 *
 * Both sides are synthesized into a staging folder beside `cdktfOut`, then each file is renamed into place: two
 * synths at once (two `npm start`, an editor's watcher) never read or publish a half-written file.
 */
export function synthBoth(options: SynthOptions = {}): SynthResult {
  const config = loadConfig(options.config);
  const bindings = options.placeholders
    ? placeholderBindings(config, options.outputs)
    : loadBindings(config, options.outputs);
  const cdktfOut = options.cdktfOut ?? 'cdktf.out';
  const dist = options.dist ?? 'dist';
  const staging = mkdtempSync(join(dirname(resolve(cdktfOut)), '.synth-'));
  try {
    synthStacks(config, join(staging, 'cdktf.out'));
    synthManifests(config, bindings.byWorkload, join(staging, 'dist'), options.builtImages);
    publish(join(staging, 'cdktf.out'), cdktfOut);
    publish(join(staging, 'dist'), dist);
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
  const pair = readSynthesizedPair(locatePair(cdktfOut, dist));
  return {
    pair,
    bindingsSource: bindings.source,
    outputsFile: bindings.file,
    secretVariables: secretEnvironmentVariables(config),
  };
}

/** Move every file under `from` to the same place under `to`; each rename replaces one file whole. */
function publish(from: string, to: string): void {
  for (const path of readdirSync(from, { recursive: true, encoding: 'utf8' })) {
    const source = join(from, path);
    if (!statSync(source).isFile()) continue;
    const target = join(to, path);
    mkdirSync(dirname(target), { recursive: true });
    renameSync(source, target);
  }
}

/** A few lines a person reads after synth: what was written, where, and what to do next. */
export function summarize(result: SynthResult): string {
  const tf = result.pair.terraform;
  const count = (block?: Record<string, Record<string, unknown>>) =>
    Object.values(block ?? {}).reduce((n, byName) => n + Object.keys(byName).length, 0);
  const kinds = new Map<string, number>();
  for (const o of result.pair.objects) kinds.set(o.kind, (kinds.get(o.kind) ?? 0) + 1);
  const where = (file: string) => relative(process.cwd(), file) || file;
  return [
    `Azure side       ${where(result.pair.terraformFile)}: ${count(tf.resource)} resources, ${count(tf.data)} data source, ${Object.keys(tf.output ?? {}).length} outputs`,
    `Kubernetes side  ${result.pair.manifestFiles.map(where).join(', ')}: ${[...kinds].map(([k, n]) => `${n} ${k}`).join(', ')}`,
    ...(result.pair.kubernetesTerraformFile
      ? [
          `Kubernetes stack ${where(result.pair.kubernetesTerraformFile)}: the same ${resourcesOf(result.pair.kubernetesTerraform ?? {}, 'kubernetes_manifest').length} objects through Terraform, bound to the Azure stack's outputs (deploy --single)`,
        ]
      : []),
    result.bindingsSource === 'outputs'
      ? `Bindings         from ${result.outputsFile}`
      : `Bindings         PLACEHOLDERS: ${result.outputsFile} not found. Deploy first (cdktf deploy ${AZURE_STACK_NAME} --outputs-file ${result.outputsFile}), then synth again before kubectl apply`,
    result.secretVariables.length > 0
      ? `Secret values    set ${result.secretVariables.join(', ')} before cdktf deploy (never written to any file or state)`
      : 'Secret values    none needed: the existing vault keeps its own secrets',
  ].join('\n');
}
