import { lstatSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { Command } from 'commander';
import { AZURE_STACK_NAME } from '../config/outputs';
import { CommandError } from './run-step';

/** Options of the `tflocal` command. */
export interface TflocalOptions {
  /**
   * The synthesized stack directory.
   * @default cdktf.out/stacks/workload-identity, else the demo's own stack in the work directory
   */
  readonly dir?: string;
  /** The local cloud's work directory (providers, the stack's copy, state, store). @default .local-cloud */
  readonly workDir: string;
  /** The config the stack was synthesized from: the world it expects is seeded as the demo seeds it. */
  readonly config?: string;
}

const where = (path: string) => relative(process.cwd(), path) || '.';

/**
 * Run one terraform subcommand against the local cloud's providers, in the work directory's copy of a synthesized
 * stack (initialized first when it never was), with what the demo's runs have: the home subscription, the
 * `TF_VAR_secret_*` values (the lab's demo values where unset, said in one line) and the store. The demo's stack and
 * tflocal's are one directory with one state. Resolves with Terraform's exit code (128 + the signal's number when a
 * signal stopped it).
 */
export async function tflocal(args: readonly string[], options: TflocalOptions): Promise<number> {
  try {
    return await runTflocal(args, options);
  } finally {
    // Nothing of the command is left running when it returns: its provider process has exited too.
    const { stopSharedProviders } = await import('../local-cloud');
    await stopSharedProviders();
  }
}

async function runTflocal(args: readonly string[], options: TflocalOptions): Promise<number> {
  if (args.length === 0)
    throw new CommandError(
      'tflocal: name a terraform subcommand, e.g. workload-id tflocal -- plan',
    );
  // Loaded when run: the other commands do not need the local cloud.
  const [
    { execTerraform, ignoredCliConfigLine, localStackDir, HOME_SUBSCRIPTION_ID },
    lab,
    { loadConfig },
  ] = await Promise.all([
    import('../local-cloud'),
    import('../lab/lab-terraform'),
    import('../config/load-config'),
  ]);
  // Absolute: the providers run in the stack's directory and find the store through it.
  const workDir = resolve(options.workDir);
  const dir = localStackDir(options.dir ?? defaultStackDir(options.workDir), workDir);
  const config = loadConfig(options.config);
  const prepared = lab.prepareLabTerraform({
    config,
    workDir,
    terraformFile: join(dir, 'cdk.tf.json'),
    env: process.env,
    leaveMissingToTerraform: true,
  });
  console.error(
    `tflocal: terraform ${args.join(' ')} in ${where(dir)} (local providers, subscription ${HOME_SUBSCRIPTION_ID})`,
  );
  const ignored = ignoredCliConfigLine(workDir);
  if (ignored) console.error(`tflocal: ${ignored}`);
  const demoValues = lab.demoValuesLine(prepared.demoValuesFor);
  if (demoValues) console.error(`tflocal: ${demoValues}`);
  const terraform = async (backend: NodeJS.ProcessEnv, cloud?: { failed: AbortSignal }) => {
    // A failure of the blob storage stops Terraform at once, instead of its backend retrying a 500 for 10 minutes.
    const run = {
      workDir,
      env: { ...lab.labTerraformEnv(prepared), ...backend },
      signal: cloud?.failed,
    };
    if (args[0] !== 'init' && !exists(join(dir, '.terraform'))) {
      const code = await execTerraform(dir, ['init', '-input=false'], run);
      if (code !== 0) return code;
    }
    return execTerraform(dir, args, run);
  };
  if (!config.state) return terraform({});
  // With remote state, the state is in the local cloud's blob storage: the local cloud runs meanwhile and Terraform
  // signs in to it as the deployer the demo's bootstrap made, as the demo's own runs do.
  const [{ readBootstrap }, { withStateBackend }] = await Promise.all([
    import('../lab/remote-state'),
    import('../lab/lab'),
  ]);
  const bootstrap = await readBootstrap(workDir, lab.labTerraformEnv({ variables: {} }));
  if (!bootstrap)
    throw new CommandError(
      `tflocal: the config keeps its state in storage account ${config.state.azurerm.storageAccount}, which the local cloud in ${where(workDir)} does not have yet: run the demo with this config first (npm start -- --config <file>), it bootstraps the state's storage`,
    );
  return withStateBackend({ workDir, storeFile: prepared.storeFile, config, bootstrap }, terraform);
}

// The stack `npm run synth` wrote, else the one the demo synthesized in its work directory.
function defaultStackDir(workDir: string): string {
  const synthesized = join('cdktf.out', 'stacks', AZURE_STACK_NAME);
  const demos = join(workDir, 'cdktf.out', 'stacks', AZURE_STACK_NAME);
  return !exists(join(synthesized, 'cdk.tf.json')) && exists(join(demos, 'cdk.tf.json'))
    ? demos
    : synthesized;
}

function exists(path: string): boolean {
  try {
    lstatSync(path);
    return true;
  } catch {
    return false;
  }
}

/** `tflocal`: the real terraform against the local cloud, the way LocalStack's tflocal runs it against its emulator. */
export function tflocalCommand(): Command {
  return new Command('tflocal')
    .description(
      'Run any terraform subcommand (validate, plan, apply, output, state list, destroy) against the local cloud',
    )
    .argument('<terraform-args...>', 'the terraform subcommand and its arguments, after --')
    .option(
      '--dir <dir>',
      `synthesized stack directory (default: cdktf.out/stacks/${AZURE_STACK_NAME}, else the demo's)`,
    )
    .option('--work-dir <dir>', "the local cloud's work directory (the demo's)", '.local-cloud')
    .option('--config <file>', 'the config the stack was synthesized from')
    .addHelpText(
      'after',
      [
        '',
        "Terraform runs in <work-dir>/cdktf.out/stacks/<stack>, the demo's Terraform working directory: the same",
        "state as the demo's (<work-dir>/terraform.<stack>.tfstate), apart from any real deploy. The local",
        "providers are installed from a filesystem mirror (no network); the subscription is the local cloud's, and",
        "the lab's demo values stand in for TF_VAR_secret_* that are not set, as in the demo. With state: in",
        "the config (--config), the state is the demo's blob in the local cloud's storage, reached as the deployer.",
        'Examples:',
        '  workload-id tflocal -- plan',
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
