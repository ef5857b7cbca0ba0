import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CloudStoreData } from '../local-cloud/cloud-store';
import { type LabFiles, synthLab } from '../local-cloud/lab';
import { readSynthesizedPair, type SynthesizedPair } from '../verify/synthesized-pair';
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

/** The synthesized pair of a lab, as `verify` reads it (the local cloud never reads it this way). */
export function pairOf(files: Pick<LabFiles, 'terraformFile' | 'manifestsDir'>): SynthesizedPair {
  return readSynthesizedPair({
    terraformFile: files.terraformFile,
    manifestsDir: files.manifestsDir,
  });
}
