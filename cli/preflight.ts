// What deploy, destroy and logs check before they start, each failure explained in one line.
import { type Stats, statSync } from 'node:fs';
import { createInterface } from 'node:readline/promises';
import { secretEnvironmentVariables, secretFromEnv } from '../config/outputs';
import type { Config } from '../config/schema';
import { kindOf } from '../lib/read-file';
import { acrTasksNote } from './acr-build';
import {
  CommandError,
  type ExternalCommand,
  findProgram,
  formatCommand,
  runCommand,
} from './run-step';

/** The programs the operating commands run, and how to get each. */
export const TOOLS = {
  cdktf: 'run "npm ci" in the project (cdktf-cli is one of its dev dependencies)',
  terraform: 'install Terraform >= 1.11 (https://developer.hashicorp.com/terraform/install)',
  az: 'install the Azure CLI (https://learn.microsoft.com/cli/azure/install-azure-cli)',
  kubectl: 'install kubectl ("az aks install-cli", or https://kubernetes.io/docs/tasks/tools/)',
} as const;

/** One of `TOOLS`. */
export type Tool = keyof typeof TOOLS;

/** The tools not found on PATH (nor, for cdktf, in `node_modules/.bin`). */
export function missingTools(tools: readonly Tool[]): Tool[] {
  return tools.filter((tool) => findProgram(tool) === undefined);
}

/** Throw one line naming every missing tool and how to get it. */
export function requireTools(name: string, tools: readonly Tool[]): void {
  const missing = missingTools(tools);
  if (missing.length === 0) return;
  const which =
    missing.length === 1
      ? `${missing[0]} is`
      : `${missing.slice(0, -1).join(', ')} and ${missing.at(-1)} are`;
  throw new CommandError(
    `${name}: ${which} not on PATH: ${missing.map((tool) => TOOLS[tool]).join('; ')}`,
  );
}

/** The `TF_VAR_secret_*` variables the Azure stack needs that are not set (or empty). */
export function missingSecretVariables(
  config: Config,
  env: NodeJS.ProcessEnv = process.env,
): string[] {
  return secretEnvironmentVariables(config).filter(
    (name) => secretFromEnv(name, env) === undefined,
  );
}

/** Throw one line naming the unset `TF_VAR_secret_*` variables; `why` says what to put in them. */
export function requireSecretVariables(name: string, config: Config, why: string): void {
  const missing = missingSecretVariables(config);
  if (missing.length === 0) return;
  const which =
    missing.length === 1
      ? `${missing[0]} is`
      : `${missing.slice(0, -1).join(', ')} and ${missing.at(-1)} are`;
  throw new CommandError(`${name}: ${which} not set: ${why}`);
}

/** The subscription `az` is logged in to. */
export interface AzureAccount {
  readonly name: string;
  readonly id: string;
}

/** Placeholder for the subscription in `--dry-run` output when `ARM_SUBSCRIPTION_ID` is not set. */
export const SUBSCRIPTION_PLACEHOLDER = '<subscription of az account show>';

/**
 * `az account show`: whether `az` is logged in, and to which subscription; with `subscription`, whether it can
 * reach that one.
 */
export function azAccountShow(subscription?: string): ExternalCommand {
  return {
    program: 'az',
    args: [
      'account',
      'show',
      ...(subscription ? ['--subscription', subscription] : []),
      '--output',
      'json',
    ],
  };
}

/**
 * Resolve, once, the subscription cdktf deploys to and every `az` call names: `ARM_SUBSCRIPTION_ID` when set
 * (azurerm reads it), else the one `az` is on. Throws one line saying to log in when `az account show` fails.
 */
export async function requireAzureLogin(
  name: string,
  print: (line: string) => void,
  fromEnv: string | undefined = process.env.ARM_SUBSCRIPTION_ID || undefined,
): Promise<AzureAccount> {
  const command = azAccountShow(fromEnv);
  print(formatCommand(command));
  const { code, stdout } = await runCommand(command, { capture: true }).catch((err: Error) => {
    throw new CommandError(`${name}: ${err.message}`);
  });
  let account: Partial<AzureAccount> = {};
  try {
    account = JSON.parse(stdout);
  } catch {
    // reported below
  }
  if (code !== 0 || !account.id) {
    throw new CommandError(
      fromEnv
        ? `${name}: az cannot reach subscription ${fromEnv} of ARM_SUBSCRIPTION_ID ("az account show --subscription" failed): run "az login" with an account that has access to it, or unset ARM_SUBSCRIPTION_ID`
        : `${name}: not logged in to Azure ("az account show" failed): run "az login", then "az account set --subscription <id>"`,
    );
  }
  print(
    `Azure subscription: ${account.name ?? '?'} (${account.id}), from ${fromEnv ? 'ARM_SUBSCRIPTION_ID' : 'az account show'}: cdktf and every az call use it`,
  );
  return { name: account.name ?? '', id: account.id };
}

/**
 * Ask before doing something that cannot be undone or costs money; `--yes` answers for the user.
 *
 * Without a terminal to ask on, refuse rather than guess.
 */
export async function confirm(
  name: string,
  question: string,
  yes: boolean | undefined,
): Promise<void> {
  if (yes) return;
  if (!process.stdin.isTTY)
    throw new CommandError(
      `${name}: refusing to ${name} without confirmation: stdin is not a terminal; pass --yes to confirm`,
    );
  const prompt = createInterface({ input: process.stdin, output: process.stdout });
  try {
    const answer = await prompt.question(`${question} [y/N] `);
    if (!/^y(es)?$/i.test(answer.trim()))
      throw new CommandError(`${name}: cancelled; nothing was changed`);
  } finally {
    prompt.close();
  }
}

/** What `preflight` checks and asks. */
export interface PreflightOptions {
  readonly config: Config;
  readonly tools: readonly Tool[];
  /** What to put in the `TF_VAR_secret_*` variables, said when one is missing. */
  readonly secretHint: string;
  /** The confirmation question, given where it happens (`subscription <name> (<id>)`). */
  readonly question: (subscription: string) => string;
  /** Checks that need the subscription, run after the login and before the confirmation (deployer rights). */
  readonly rights?: (subscription: string, print: (line: string) => void) => Promise<void>;
  /** Only say what would be checked (and what is missing now); run nothing, ask nothing. */
  readonly dryRun?: boolean;
  readonly yes?: boolean;
}

/**
 * The checks before deploy or destroy, in one place: secret variables, tools, Azure login, then the confirmation.
 *
 * Returns the subscription every later step runs in: cdktf's `ARM_SUBSCRIPTION_ID` (azurerm 4 does not take it
 * from `az` by itself) and every `az` call's `--subscription`. A dry run returns `ARM_SUBSCRIPTION_ID`, or a
 * placeholder, and runs nothing.
 */
export async function preflight(name: string, options: PreflightOptions): Promise<string> {
  const fromEnv = process.env.ARM_SUBSCRIPTION_ID || undefined;
  const acrTasks = acrTasksNote(options.config);
  if (acrTasks) console.log(acrTasks);
  if (options.dryRun) {
    const variables = secretEnvironmentVariables(options.config);
    const missing = [...missingSecretVariables(options.config), ...missingTools(options.tools)];
    console.log(
      `preflight: ${variables.length > 0 ? `${variables.join(', ')} set; ` : ''}${options.tools.join(', ')} on PATH; az logged in (cdktf then runs with ARM_SUBSCRIPTION_ID of that subscription, and every az call with --subscription):`,
    );
    console.log(formatCommand(azAccountShow(fromEnv)));
    if (missing.length > 0) console.log(`preflight: missing now: ${missing.join(', ')}`);
    return fromEnv ?? SUBSCRIPTION_PLACEHOLDER;
  }
  requireSecretVariables(name, options.config, options.secretHint);
  requireTools(name, options.tools);
  const account = await requireAzureLogin(name, (line) => console.log(line), fromEnv);
  await options.rights?.(account.id, (line) => console.log(line));
  await confirm(
    name,
    options.question(`subscription ${account.name} (${account.id})`),
    options.yes,
  );
  return account.id;
}

/**
 * Refuse, before anything runs, an outputs file that is there and is not a regular file (a directory, a device such
 * as /dev/zero, a pipe): cdktf could not write it, nor the command read it back. One not there yet is fine.
 */
export function requireOutputsFile(name: string, file: string): void {
  let stats: Stats;
  try {
    stats = statSync(file);
  } catch {
    return;
  }
  if (!stats.isFile())
    throw new CommandError(
      `${name}: the outputs file ${file} is ${kindOf(stats)}, not a file: name a file with --outputs`,
    );
}
