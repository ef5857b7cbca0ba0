import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Command } from 'commander';
import { AZURE_STACK_NAME } from '../config/outputs';
import { CommandError } from './run-step';

/** Options of the `tflocal` command. */
export interface TflocalOptions {
  /** The synthesized stack directory. @default cdktf.out/stacks/workload-identity */
  readonly dir: string;
  /** The local cloud's work directory (providers, CLI config, state). @default .local-cloud */
  readonly workDir: string;
}

/**
 * Run one terraform subcommand against the local cloud's providers, in the local working copy of a synthesized stack
 * (initialized first when it never was). Resolves with Terraform's exit code.
 */
export async function tflocal(args: readonly string[], options: TflocalOptions): Promise<number> {
  if (args.length === 0)
    throw new CommandError(
      'tflocal: name a terraform subcommand, e.g. workload-id tflocal -- plan',
    );
  // Loaded when run: the other commands do not need the local cloud.
  const { execTerraform, localStackDir } = await import('../local-cloud/terraform/run');
  const dir = localStackDir(options.dir, options.workDir);
  const run = { workDir: options.workDir };
  console.error(`tflocal: terraform ${args.join(' ')} in ${dir} (local providers)`);
  if (args[0] !== 'init' && !existsSync(join(dir, '.terraform'))) {
    const code = await execTerraform(dir, ['init', '-input=false'], run);
    if (code !== 0) return code;
  }
  return execTerraform(dir, args, run);
}

/** `tflocal`: the real terraform against the local cloud, the way LocalStack's tflocal runs it against its emulator. */
export function tflocalCommand(): Command {
  return new Command('tflocal')
    .description(
      'Run any terraform subcommand (validate, plan, apply, output, state list, destroy) against the local cloud',
    )
    .argument('<terraform-args...>', 'the terraform subcommand and its arguments, after --')
    .option('--dir <dir>', 'synthesized stack directory', `cdktf.out/stacks/${AZURE_STACK_NAME}`)
    .option('--work-dir <dir>', "the local cloud's work directory", '.local-cloud')
    .addHelpText(
      'after',
      [
        '',
        'Terraform runs in a copy of the stack under <work-dir>/terraform/cdktf.out/stacks/, with the local providers',
        'installed from a filesystem mirror (no network) and its state beside the copy, apart from any real deploy.',
        'Examples:',
        '  workload-id tflocal -- validate',
        '  workload-id tflocal -- apply -auto-approve',
        '  workload-id tflocal --dir cdktf.out/stacks/workload-identity-k8s -- state list',
      ].join('\n'),
    )
    .action(async (args: string[], options: TflocalOptions) => {
      try {
        process.exitCode = await tflocal(args, options);
      } catch (err) {
        if (err instanceof CommandError) throw err;
        throw new CommandError(`tflocal: ${(err as Error).message}`);
      }
    });
}
