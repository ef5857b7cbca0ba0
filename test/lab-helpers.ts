import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type LabFiles, synthLab } from '../local-cloud/lab';
import { defaultConfigData, tempDir } from './helpers';

/** Synthesize a lab (both sides, deployed into the local cloud) from the default config edited by `edit`. */
export function labFor(edit: (data: any) => void): LabFiles {
  const dir = tempDir('wi-lab-config-');
  const data = defaultConfigData();
  edit(data);
  writeFileSync(join(dir, 'config.yaml'), JSON.stringify(data));
  return synthLab({ workDir: dir, config: join(dir, 'config.yaml'), env: {} });
}
