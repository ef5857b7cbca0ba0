import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { Command } from 'commander';
import { STATE_ROLE } from '../config/built-in-roles';
import { loadConfig } from '../config/load-config';
import type { Config } from '../config/schema';
import { BOOTSTRAP_STACK_NAME } from '../config/state';
import { cdktfCommand, configForCdktf } from './deploy-command';
import { confirm, requireAzureLogin, requireTools, SUBSCRIPTION_PLACEHOLDER } from './preflight';
import { CommandError, runSteps, type Step } from './run-step';

/** Options of the `bootstrap` command. */
export interface BootstrapOptions {
  readonly config?: string;
  /** Where cdktf writes the bootstrap's outputs. @default "bootstrap-outputs.json" */
  readonly outputs?: string;
  readonly dryRun?: boolean;
  readonly yes?: boolean;
}

/** The bootstrap's outputs file when `--outputs` is not given. */
export const DEFAULT_BOOTSTRAP_OUTPUTS = 'bootstrap-outputs.json';

/** The config's `state`, or one line saying what to add. */
function stateOf(config: Config) {
  if (!config.state)
    throw new CommandError(
      'bootstrap: the config has no state: add state: { azurerm: { resourceGroup, storageAccount, container, keyPrefix } } (docs/teams.md)',
    );
  return config.state.azurerm;
}

/** The steps of a bootstrap: one `cdktf deploy` of its stack, with a local state of its own. */
export function bootstrapSteps(
  options: BootstrapOptions,
  config: Config,
  subscription: string,
): Step[] {
  stateOf(config);
  const outputs = resolve(options.outputs ?? DEFAULT_BOOTSTRAP_OUTPUTS);
  return [
    {
      title: `cdktf deploy ${BOOTSTRAP_STACK_NAME}`,
      command: cdktfCommand(
        ['deploy', BOOTSTRAP_STACK_NAME, '--auto-approve', '--outputs-file', outputs],
        configForCdktf(options.config),
        subscription,
      ),
    },
    {
      title: 'values for the pipeline',
      describe: `print the values a GitHub Actions workflow needs, from ${outputs}`,
      run: () => {
        for (const line of pipelineValues(config, outputs)) console.log(line);
      },
    },
  ];
}

/**
 * What the pipeline needs, read from the bootstrap's outputs file: the `azure/login` inputs (no secret among them)
 * and where the state is.
 */
export function pipelineValues(config: Config, outputsFile: string): string[] {
  const state = stateOf(config);
  const all = JSON.parse(readFileSync(outputsFile, 'utf8')) as Record<
    string,
    Record<string, string>
  >;
  const o = all[BOOTSTRAP_STACK_NAME] ?? {};
  const lines = [
    `Remote state: container ${o.state_container} of storage account ${o.state_storage_account} (resource group ${state.resourceGroup}); "${STATE_ROLE}" granted to whoever ran bootstrap.`,
  ];
  const github = config.deployer?.github;
  if (!github || !o.deployer_client_id) {
    lines.push('No deployer in the config: deploy from a shell signed in with az login.');
    return lines;
  }
  lines.push(
    `For GitHub Actions in ${github.repository}, environment ${github.environment} (variables: none of them is a secret):`,
    `  AZURE_CLIENT_ID=${o.deployer_client_id}`,
    `  AZURE_TENANT_ID=${o.tenant_id}`,
    `  AZURE_SUBSCRIPTION_ID=${o.subscription_id}`,
    'The workflow: examples/github-actions/deploy.yml (permissions: id-token: write; azure/login with these three; ARM_USE_OIDC=true for Terraform).',
  );
  return lines;
}

/** Create the remote state's storage, and the CI deployer when the config has one. */
export async function bootstrap(options: BootstrapOptions): Promise<void> {
  const config = loadConfig(options.config);
  const state = stateOf(config);
  let subscription = process.env.ARM_SUBSCRIPTION_ID || SUBSCRIPTION_PLACEHOLDER;
  if (!options.dryRun) {
    requireTools('bootstrap', ['cdktf', 'terraform', 'az']);
    subscription = (await requireAzureLogin('bootstrap', (line) => console.log(line))).id;
    await confirm(
      'bootstrap',
      `Create resource group ${state.resourceGroup}, storage account ${state.storageAccount} and container ${state.container}${config.deployer ? `, and the deployer identity ${config.deployer.name} trusted by ${config.deployer.github.repository} (environment ${config.deployer.github.environment})` : ''} in subscription ${subscription}?`,
      options.yes,
    );
  }
  const steps = bootstrapSteps(options, config, subscription);
  console.log(
    `bootstrap: ${steps.length} steps${options.dryRun ? ' (dry run: nothing is run)' : ''}`,
  );
  await runSteps(steps, { name: 'bootstrap', dryRun: options.dryRun });
}

/** `bootstrap`: what remote state and a CI deployer need, before the first deploy. */
export function bootstrapCommand(): Command {
  return new Command('bootstrap')
    .description(
      'Create what remote state needs (resource group, storage account, container, Storage Blob Data Contributor for you) with a local state of its own; with deployer: in the config, the CI identity and its GitHub Actions federated credential',
    )
    .option(
      '-c, --config <file>',
      'config file (default: $WI_CONFIG or config/workload-identity.yaml)',
    )
    .option(
      '-o, --outputs <file>',
      `where cdktf writes the bootstrap's outputs (default: ${DEFAULT_BOOTSTRAP_OUTPUTS})`,
    )
    .option('--dry-run', 'print the steps and their commands without running them')
    .option('-y, --yes', 'do not ask for confirmation')
    .addHelpText(
      'after',
      '\nNeeds: state.azurerm in the config; cdktf, terraform and az (logged in, Owner or User Access Administrator on the subscription to grant roles) on PATH.\nIts own state is terraform.workload-identity-bootstrap.tfstate in the project: keep it safe (run bootstrap again from it to change or remove what it made).\nThe deployer gets Contributor on the subscription, Role Based Access Control Administrator limited to the roles deploy assigns, and Storage Blob Data Contributor on the state container.',
    )
    .action((options: BootstrapOptions) => bootstrap(options));
}
