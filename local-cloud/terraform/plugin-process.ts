/**
 * How a provider process of the local cloud is started: go-plugin's cookie, the argument that makes one process serve
 * every provider, and the binding of a child's life to its parent's.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

/** go-plugin's handshake cookie for Terraform providers: a plugin started any other way refuses to run. */
export const MAGIC_COOKIE_KEY = 'TF_PLUGIN_MAGIC_COOKIE';
export const MAGIC_COOKIE_VALUE =
  'd602bf8f470bc67ca7faa0386276bbdd4330efaf76d1a219cb4d6991ca9872b2';

/** `node terraform-provider.mjs --shared`: one process serves every provider (shared-providers.ts). */
export const SHARED_ARGUMENT = '--shared';

let parentDeath: Promise<readonly string[]> | undefined;

/**
 * The command that makes the kernel kill what it starts when the process that started it dies, even by SIGKILL
 * (Linux's PR_SET_PDEATHSIG, through util-linux's `setpriv`); none elsewhere or without it.
 */
export function dieWithParent(): Promise<readonly string[]> {
  const prefix = ['setpriv', '--pdeathsig', 'KILL', '--'];
  parentDeath ??=
    process.platform === 'linux'
      ? promisify(execFile)(prefix[0] as string, [...prefix.slice(1), 'true']).then(
          () => prefix,
          () => [],
        )
      : Promise.resolve([]);
  return parentDeath;
}
