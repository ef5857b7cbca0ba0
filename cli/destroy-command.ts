import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { Command } from 'commander';
import { loadConfig } from '../config/load-config';
import { AZURE_STACK_NAME, DEFAULT_OUTPUTS_FILE } from '../config/outputs';
import { cdktfCommand, configForCdktf } from './deploy-command';
import { preflight } from './preflight';
import { runSteps, type Step } from './run-step';

/** Options of the `destroy` command. */
export interface DestroyOptions {
  readonly config?: string;
  /** The outputs file of the deploy, to bind the manifests to delete. @default - `$WI_OUTPUTS` or `outputs.json` */
  readonly outputs?: string;
  readonly dryRun?: boolean;
  /** The deploy was `deploy --single`: destroy both stacks with one `cdktf destroy --all`. */
  readonly single?: boolean;
  /** Do not ask before destroying. */
  readonly yes?: boolean;
}

/** The steps of a destroy: the reverse of a deploy; `subscription` becomes cdktf's `ARM_SUBSCRIPTION_ID`. */
export function destroySteps(options: DestroyOptions, subscription?: string): Step[] {
  const cdktfConfig = configForCdktf(options.config);
  if (options.single)
    return [
      {
        title: 'cdktf destroy --all',
        command: cdktfCommand(['destroy', '--all', '--auto-approve'], cdktfConfig, subscription),
      },
    ];
  const outputs = resolve(options.outputs ?? process.env.WI_OUTPUTS ?? DEFAULT_OUTPUTS_FILE);
  return [
    {
      title: 'synth',
      describe:
        'write the manifests of the config again, so that dist/ names the objects to delete',
      run: async () =>
        void (await import('./synth-command')).synthBoth({
          config: options.config,
          outputs: existsSync(outputs) ? outputs : undefined,
        }),
    },
    {
      title: 'kubectl delete',
      command: { program: 'kubectl', args: ['delete', '-f', 'dist/', '--ignore-not-found'] },
    },
    // The Kubernetes stack depends on the Azure stack; on this path it was never deployed, so cdktf may leave it out.
    {
      title: 'cdktf destroy',
      command: cdktfCommand(
        ['destroy', AZURE_STACK_NAME, '--auto-approve', '--ignore-missing-stack-dependencies'],
        cdktfConfig,
        subscription,
      ),
    },
  ];
}

/**
 * Delete what `deploy` created: the Kubernetes objects, then the Azure side (resource group, cluster, vault, identities).
 *
 * The vault stays soft-deleted for `softDeleteRetentionDays`.
 */
export async function destroy(options: DestroyOptions): Promise<void> {
  const config = loadConfig(options.config);
  const subscription = await preflight('destroy', {
    config,
    tools: options.single ? ['cdktf', 'terraform', 'az'] : ['cdktf', 'terraform', 'az', 'kubectl'],
    // Terraform asks for every variable without a default, even to destroy; the value is not used.
    secretHint:
      'Terraform asks for every variable, even to destroy; any value will do (e.g. export TF_VAR_secret_<name>=unused)',
    question: (where) =>
      `Destroy resource group ${config.resourceGroup} (AKS ${config.cluster.name}, Key Vault ${config.keyVault.name}) in ${where}?`,
    dryRun: options.dryRun,
    yes: options.yes,
  });
  const steps = destroySteps(options, subscription);
  console.log(
    `destroy: ${steps.length} step${steps.length === 1 ? '' : 's'}${options.dryRun ? ' (dry run: nothing is run)' : ''}`,
  );
  await runSteps(steps, { name: 'destroy', dryRun: options.dryRun });
}

/** `destroy`: the reverse of `deploy`. */
export function destroyCommand(): Command {
  return new Command('destroy')
    .description(
      'Delete what deploy created: kubectl delete -f dist/ --ignore-not-found, then cdktf destroy (asks first unless --yes)',
    )
    .option(
      '-c, --config <file>',
      'config file (default: $WI_CONFIG or config/workload-identity.yaml)',
    )
    .option(
      '-o, --outputs <file>',
      'outputs file of the deploy (default: $WI_OUTPUTS or outputs.json)',
    )
    .option('--dry-run', 'print the steps and their commands without running them')
    .option(
      '--single',
      'the deploy was "deploy --single": destroy both stacks with one "cdktf destroy --all"',
    )
    .option('-y, --yes', 'do not ask for confirmation (required when stdin is not a terminal)')
    .addHelpText(
      'after',
      '\nThe Key Vault stays soft-deleted for keyVault.softDeleteRetentionDays; its name cannot be reused before.',
    )
    .action((options: DestroyOptions) => destroy(options));
}
