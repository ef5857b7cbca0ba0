/**
 * The local cloud's Terraform working directory of a synthesized stack: `<workDir>/cdktf.out/stacks/<name>/`, where
 * the demo synthesizes and applies its own stack. cdktf's relative paths (the local backend's
 * `../../../terraform.<stack>.tfstate`, a `terraform_remote_state` of the other stack) then land in `<workDir>/`:
 * `tflocal` and the demo share one state per stack, apart from the state of a real deploy.
 */
import {
  lstatSync,
  mkdirSync,
  readdirSync,
  realpathSync,
  type Stats,
  writeFileSync,
} from 'node:fs';
import { basename, dirname, join, relative, resolve, sep } from 'node:path';
import { readCappedFile } from '../../lib/read-file';
import { claimWorkDir } from '../core/work-dir';

/** A synthesized stack is tens of KB; a larger file (or a device where it should be) is refused, not read. */
export const MAX_STACK_FILE_BYTES = 16 * 1024 * 1024;

/** Terraform's own files of a stack directory, never copied: the real providers, their hashes, a real state. */
const TERRAFORM_OWN = new Set([
  '.terraform',
  '.terraform.lock.hcl',
  'terraform.tfstate',
  'terraform.tfstate.backup',
]);

/**
 * Copy the stack directory `stackDir` into the work directory's `cdktf.out/stacks/<name>/` (nothing to copy when it
 * is that directory already) and return the copy. Every file is read with a cap; a symbolic link that leads out of
 * the stack directory, a device, a pipe or an oversized file is refused with one line naming it.
 */
export function localStackDir(stackDir: string, workDir: string): string {
  const source = resolve(stackDir);
  if (!lstatOrUndefined(join(source, 'cdk.tf.json'))) {
    throw new Error(
      `${stackDir} has no cdk.tf.json: synthesize first (npm run synth), or pass the stack directory with --dir`,
    );
  }
  const copy = join(claimWorkDir(workDir), 'cdktf.out', 'stacks', basename(source));
  const root = realpathSync(source);
  const files = stackFiles(source, root, stackDir);
  if (lstatOrUndefined(copy) && realpathSync(copy) === root) return copy;
  for (const { path, content } of files) {
    const target = join(copy, relative(source, path));
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, content);
  }
  mkdirSync(copy, { recursive: true });
  return copy;
}

function lstatOrUndefined(path: string): Stats | undefined {
  try {
    return lstatSync(path);
  } catch {
    return undefined;
  }
}

// The stack's files and their bytes, Terraform's own left out. `root` is the stack directory's real path.
function stackFiles(
  dir: string,
  root: string,
  stackDir: string,
): { path: string; content: Buffer }[] {
  return readdirSync(dir)
    .filter((name) => !TERRAFORM_OWN.has(name))
    .sort()
    .flatMap((name) => {
      const path = join(dir, name);
      const stats = lstatSync(path);
      if (stats.isDirectory()) return stackFiles(path, root, stackDir);
      let real = path;
      if (stats.isSymbolicLink()) {
        try {
          real = realpathSync(path);
        } catch {
          throw new Error(`${path} is a symbolic link that leads nowhere`);
        }
        if (!real.startsWith(root + sep))
          throw new Error(
            `${path} is a symbolic link to ${real}, outside the stack directory ${stackDir}: not followed`,
          );
      }
      const target = real === path ? stats : lstatSync(real);
      if (!target.isFile())
        throw new Error(
          `${path} is ${target.isDirectory() ? 'a symbolic link to a directory' : 'not a regular file'}: not read`,
        );
      return [{ path, content: readCappedFile(real, { maxBytes: MAX_STACK_FILE_BYTES }) }];
    });
}
