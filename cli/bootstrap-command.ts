import { resolve } from 'node:path';
import { Command } from 'commander';
import { STATE_ROLE } from '../config/built-in-roles';
import { echo } from '../config/echo';
import { loadConfig } from '../config/load-config';
import { guid } from '../config/rules';
import type { Config } from '../config/schema';
import { BOOTSTRAP_STACK_NAME, githubSubject } from '../config/state';
import { readTextFile } from '../lib/read-file';
import { cdktfCommand, configForCdktf } from './deploy-command';
import {
  confirm,
  requireAzureLogin,
  requireOutputsFile,
  requireTools,
  SUBSCRIPTION_PLACEHOLDER,
} from './preflight';
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

// The bootstrap's outputs file is small: a few ids and names.
const MAX_BOOTSTRAP_OUTPUTS_BYTES = 64 * 1024;

/** The outputs of the bootstrap stack in the file cdktf wrote; throws one line naming the file otherwise. */
function readBootstrapOutputs(file: string): Record<string, unknown> {
  const again = 'run "workload-id bootstrap" again to write it';
  let text: string;
  try {
    text = readTextFile(file, { maxBytes: MAX_BOOTSTRAP_OUTPUTS_BYTES });
  } catch (err) {
    throw new Error(
      `cannot read bootstrap outputs file ${file}: ${(err as Error).message.replace(`cannot read ${file}: `, '')}`,
    );
  }
  let all: unknown;
  try {
    all = JSON.parse(text);
  } catch (err) {
    throw new Error(
      `bootstrap outputs file ${file}: it is not JSON (${(err as Error).message.slice(0, 100)})`,
    );
  }
  if (!isObject(all))
    throw new Error(
      `bootstrap outputs file ${file}: it holds ${echo(all)}, not the outputs of stack "${BOOTSTRAP_STACK_NAME}"`,
    );
  const outputs = all[BOOTSTRAP_STACK_NAME];
  if (!isObject(outputs))
    throw new Error(
      `bootstrap outputs file ${file}: it has no stack "${BOOTSTRAP_STACK_NAME}" (${again})`,
    );
  return outputs;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * What the pipeline needs, read from the bootstrap's outputs file: the `azure/login` inputs (no secret among them)
 * and where the state is. Each value is checked before it is printed (a GUID, or the config's own name), so a forged
 * file cannot add a line to what a user pastes into the pipeline's settings; throws one line naming the output and
 * the file otherwise.
 */
export function pipelineValues(config: Config, outputsFile: string): string[] {
  const state = stateOf(config);
  const o = readBootstrapOutputs(outputsFile);
  const check = (name: string, ok: (value: string) => boolean, must: string): string => {
    const value = o[name];
    if (value === undefined)
      throw new Error(
        `bootstrap outputs file ${outputsFile}: output "${name}" is missing (run "workload-id bootstrap" again to write it)`,
      );
    if (typeof value !== 'string' || !ok(value))
      throw new Error(
        `bootstrap outputs file ${outputsFile}: output "${name}" is ${echo(value)}, which must be ${must}`,
      );
    return value;
  };
  const same = (name: string, expected: string, key: string) =>
    check(
      name,
      (v) => v === expected,
      `${JSON.stringify(expected)}, the config's state.azurerm.${key}`,
    );
  const storageAccount = same('state_storage_account', state.storageAccount, 'storageAccount');
  const container = same('state_container', state.container, 'container');
  const lines = [
    `Remote state: container ${container} of storage account ${storageAccount} (resource group ${state.resourceGroup}); "${STATE_ROLE}" granted to whoever ran bootstrap.`,
  ];
  const github = config.deployer?.github;
  if (!github) {
    lines.push('No deployer in the config: deploy from a shell signed in with az login.');
    return lines;
  }
  const id = (name: string) => check(name, guid.test, guid.description);
  const [clientId, tenantId, subscriptionId] = [
    id('deployer_client_id'),
    id('tenant_id'),
    id('subscription_id'),
  ];
  lines.push(
    `For GitHub Actions in ${github.repository}, environment ${github.environment} (variables: none of them is a secret):`,
    `  AZURE_CLIENT_ID=${clientId}`,
    `  AZURE_TENANT_ID=${tenantId}`,
    `  AZURE_SUBSCRIPTION_ID=${subscriptionId}`,
    'The workflow: examples/github-actions/deploy.yml (permissions: id-token: write; azure/login with these three; ARM_USE_OIDC=true for Terraform).',
    github.ownerId === undefined
      ? `The deployer trusts the subject ${githubSubject(github)}: it fits a repository without immutable subject claims (GitHub's default for those created or renamed before mid-2026). A newer repository's tokens carry its ids (repo:OWNER@OWNER_ID/REPO@REPO_ID:...): set deployer.github.ownerId and repositoryId (gh api repos/${github.repository} --jq '.owner.id, .id') and run bootstrap again, or azure/login fails with AADSTS700213.`
      : `The deployer trusts the subject ${githubSubject(github)} (immutable subject claims).`,
  );
  return lines;
}

/** Create the remote state's storage, and the CI deployer when the config has one. */
export async function bootstrap(options: BootstrapOptions): Promise<void> {
  const config = loadConfig(options.config);
  const state = stateOf(config);
  requireOutputsFile('bootstrap', resolve(options.outputs ?? DEFAULT_BOOTSTRAP_OUTPUTS));
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
