import { cpSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { type LabFiles, synthLab } from '../../lab/lab';
import type { CloudStoreData } from '../../local-cloud/core/cloud-store';
import { readSynthesizedPair, type SynthesizedPair } from '../../verify/synthesized-pair';
import { defaultConfigData, tempDir } from './helpers';

/**
 * Synthesize a lab from the default config edited by `edit`, and deploy its Azure side with the real Terraform into
 * a local cloud of its own (each lab has its own work directory, store and state, so labs run at once).
 */
export function labFor(
  edit: (data: any) => void,
  options: { seed?: (data: CloudStoreData) => void; env?: NodeJS.ProcessEnv } = {},
): Promise<LabFiles> {
  const dir = tempDir('wi-lab-config-');
  const data = defaultConfigData();
  edit(data);
  writeFileSync(join(dir, 'config.yaml'), JSON.stringify(data));
  return synthLab({
    workDir: dir,
    config: join(dir, 'config.yaml'),
    env: options.env ?? {},
    seed: options.seed,
  });
}

const deployed = new Map<string, Promise<LabFiles>>();

/**
 * A lab of the default config as `labFor` deploys it, deployed once per `key` (in a test worker: the files a worker
 * runs share their modules, vitest.config.ts) and copied for each caller into a work directory of its own: tests
 * that start from the same deployed stack, and then change it each in its own way (day two), pay its synth,
 * `terraform init` and first apply once. The first lab itself is never handed out, so no test changes it.
 *
 * The copy is the whole work directory, as `cp -a` copies it: the synthesized stack, Terraform's state and its
 * `.terraform` folder (whose provider links point into the first lab's plugin cache, which outlives the run), the
 * store, the outputs and the manifests. Paths in them are relative to the work directory, so the copy is a lab of
 * its own.
 */
export async function deployedLab(
  key: string,
  edit: (data: any) => void = () => undefined,
): Promise<LabFiles> {
  let first = deployed.get(key);
  if (!first) {
    first = labFor(edit);
    deployed.set(key, first);
  }
  const files = await first;
  const workDir = tempDir('wi-lab-copy-');
  cpSync(files.workDir, workDir, { recursive: true, verbatimSymlinks: true });
  const moved = (path: string) => join(workDir, relative(files.workDir, path));
  return {
    ...files,
    workDir,
    terraformFile: moved(files.terraformFile),
    stackDir: moved(files.stackDir),
    manifestsDir: moved(files.manifestsDir),
    outputsFile: moved(files.outputsFile),
    storeFile: moved(files.storeFile),
  };
}

/** The synthesized pair of a lab, as `verify` reads it (the local cloud never reads it this way). */
export function pairOf(files: Pick<LabFiles, 'terraformFile' | 'manifestsDir'>): SynthesizedPair {
  return readSynthesizedPair({
    terraformFile: files.terraformFile,
    manifestsDir: files.manifestsDir,
  });
}
