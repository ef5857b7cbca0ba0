import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Command } from 'commander';
import { MANAGED_BY_SELECTOR } from '../config/cluster-objects';
import type { KubeObject } from '../config/kubernetes-object';
import { loadConfig } from '../config/load-config';
import {
  AZURE_STACK_NAME,
  BOTH_STACKS,
  DEFAULT_OUTPUTS_FILE,
  PLACEHOLDER_BINDINGS,
  readOutputs,
} from '../config/outputs';
import type { Config } from '../config/schema';
import { AZ_NOT_FOUND_EXIT_CODE } from './az';
import { cdktfCommand, configForCdktf } from './deploy-command';
import { getCredentials, type KubeTarget, kubectl, kubeTargetOf, targetCluster } from './kubectl';
import { preflight } from './preflight';
import { stateCheckStep } from './remote-state';
import { type ExternalCommand, formatCommand, runCommand, runSteps, type Step } from './run-step';
import {
  aksAuthenticationCommand,
  type ClusterSignIn,
  convertKubeconfigCommand,
  parseSignIn,
  requireKubelogin,
} from './single-cluster-access';

/** Options of the `destroy` command. */
export interface DestroyOptions {
  readonly config?: string;
  /** The outputs file of the deploy, to bind the manifests to delete. @default - `$WI_OUTPUTS` or `outputs.json` */
  readonly outputs?: string;
  readonly dryRun?: boolean;
  /** The deploy was `deploy --single`: destroy both stacks with one `cdktf destroy workload-identity workload-identity-k8s`. */
  readonly single?: boolean;
  /** Do not ask before destroying. */
  readonly yes?: boolean;
}

/** The objects the chart makes for a config, as `deploy` applied them (cdk8s loaded only when needed). */
export async function chartObjects(config: Config): Promise<KubeObject[]> {
  const { manifestObjects } = await import('../manifests/synth-manifests');
  const bindings = new Map(config.workloads.map((w) => [w.name, PLACEHOLDER_BINDINGS]));
  return manifestObjects(config, bindings) as KubeObject[];
}

/**
 * `kubectl delete <kind> --selector managed-by=workload-id --field-selector metadata.name=<name>`: the object of
 * that name only when deploy made it (an object of the same name someone else made stays).
 */
export function deleteCommand(target: KubeTarget, object: KubeObject): ExternalCommand {
  return kubectl(target, [
    'delete',
    object.kind.toLowerCase(),
    ...(object.kind === 'Namespace' ? [] : ['--namespace', object.metadata.namespace ?? 'default']),
    '--selector',
    MANAGED_BY_SELECTOR,
    '--field-selector',
    `metadata.name=${object.metadata.name}`,
    '--ignore-not-found',
  ]);
}

/**
 * The steps of a destroy, the reverse of a deploy, in `subscription` (cdktf's `ARM_SUBSCRIPTION_ID`, every az
 * call's `--subscription`).
 *
 * The cluster's credentials go to `kubeconfig`, a file of this command's own, and every kubectl names it and the
 * cluster's context. Only the objects the chart makes are deleted, each by name and only when it carries deploy's
 * label: a namespace deploy did not make (default, or one that existed) and whatever else is in it stay.
 */
export async function destroySteps(
  options: DestroyOptions,
  config: Config,
  subscription: string,
  kubeconfig: string,
): Promise<Step[]> {
  const cdktfConfig = configForCdktf(options.config);
  // With remote state, the state is checked before anything is deleted: a missing role or container stops destroy
  // in one line, instead of after the Kubernetes objects are gone (cdktf destroy would meet it last).
  const stateCheck: Step[] = config.state
    ? [
        {
          title: 'cdktf synth',
          describe:
            'synthesize the stacks (cdktf.out/), for terraform init to reach the remote state they name',
          run: async () => {
            (await import('./synth-command')).synthBoth({
              config: options.config,
              placeholders: true,
            });
          },
        },
        stateCheckStep(config.state, subscription),
      ]
    : [];
  if (options.single)
    return [
      ...stateCheck,
      {
        title: `cdktf destroy ${BOTH_STACKS.join(' ')}`,
        command: cdktfCommand(
          ['destroy', ...BOTH_STACKS, '--auto-approve'],
          cdktfConfig,
          subscription,
        ),
      },
    ];
  const outputs = resolve(options.outputs ?? process.env.WI_OUTPUTS ?? DEFAULT_OUTPUTS_FILE);
  const cluster = targetCluster('destroy', config, outputs, subscription);
  const target = kubeTargetOf(cluster, kubeconfig);
  const objects = await chartObjects(config);
  // Workloads first, their service accounts next, the namespaces last.
  const order = (o: KubeObject) =>
    o.kind === 'Namespace' ? 2 : o.kind === 'ServiceAccount' ? 1 : 0;
  const deletions = [...objects].sort((a, b) => order(a) - order(b));
  // After a failed first deploy (quota, a VM size the region lacks) there is no cluster: nothing to delete in it,
  // and the Azure stack (group, vault, identities) must go all the same.
  let missing: string | undefined;
  let signIn: ClusterSignIn | undefined;
  const show = aksAuthenticationCommand(config, subscription);
  const skip = () => missing;
  return [
    ...stateCheck,
    {
      title: 'az aks show',
      describe: `${formatCommand(show).slice(2)}: whether the cluster exists (when it does not, the Kubernetes steps are skipped)`,
      run: async () => {
        const { code, stdout } = await runCommand(show, { capture: true, showErrors: true });
        // The Azure CLI exits with 3 on a 404 (ResourceNotFound, ResourceGroupNotFound) and with 1 on other errors.
        if (code === AZ_NOT_FOUND_EXIT_CODE)
          missing = `cluster ${cluster.clusterName} does not exist in resource group ${cluster.resourceGroupName} of subscription ${subscription} (az aks show: not found): nothing to delete in it`;
        else if (code !== 0)
          throw new Error(
            `"az aks show" failed (exit ${code}): cannot tell whether cluster ${cluster.clusterName} exists`,
          );
        if (missing)
          console.log(
            `destroy: ${missing}; the Kubernetes steps are skipped, the Azure stack is destroyed`,
          );
        signIn = code === 0 ? parseSignIn(stdout) : undefined;
        // Checked before anything is deleted: kubectl cannot delete in an Entra ID cluster without kubelogin.
        if (signIn) requireKubelogin('', config, signIn, 'kubectl');
      },
    },
    {
      title: 'az aks get-credentials',
      command: getCredentials(cluster, subscription, target),
      skip,
    },
    ...(config.cluster.existing
      ? [
          {
            title: 'kubelogin convert-kubeconfig',
            command: convertKubeconfigCommand(target, kubeconfig),
            skip: () =>
              missing ??
              (signIn?.entraId
                ? undefined
                : `cluster ${cluster.clusterName} has local accounts: its kube config signs in with a client certificate`),
          },
        ]
      : []),
    ...deletions.map((object) => ({
      title: `kubectl delete ${object.kind.toLowerCase()} ${object.metadata.namespace ? `${object.metadata.namespace}/` : ''}${object.metadata.name}`,
      command: deleteCommand(target, object),
      skip,
    })),
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

/** What destroy does to the vault, in one line: the azurerm `key_vault` features the Azure stack sets. */
export function vaultFate(config: Config, subscription: string, deployedName?: string): string {
  const vault = config.keyVault;
  const name: string | undefined = vault.name ?? deployedName;
  if (vault.existing)
    return `destroy: Key Vault ${name}: left as it is (an existing vault is only read; its secrets stay)`;
  const label = name ?? '(its generated name is in the outputs file of the deploy)';
  const days = vault.softDeleteRetentionDays;
  const free = vault.purgeProtection
    ? `purge protection is on: the name is free only after the ${days} days`
    : `to free the name at once: az keyvault purge --name ${name ?? '<vault name>'} --location ${config.location} --subscription ${vault.subscriptionId ?? subscription} (needs Microsoft.KeyVault/locations/deletedVaults/purge/action)`;
  return `destroy: Key Vault ${label} is not purged: it and its secrets stay soft-deleted for ${days} days (keyVault.softDeleteRetentionDays), then Azure purges them; a deploy of this config in the same subscription and location before then recovers the vault and its secrets under the same name; ${free}`;
}

/** The vault's name as deployed (generated when the config names none), from the outputs file when it exists. */
function deployedVaultName(config: Config, outputs: string | undefined): string | undefined {
  const file = resolve(outputs ?? process.env.WI_OUTPUTS ?? DEFAULT_OUTPUTS_FILE);
  try {
    return existsSync(file)
      ? readOutputs(file, config).get(config.workloads[0].name)?.vaultName
      : undefined;
  } catch {
    // a malformed outputs file only costs the name in a message
    return undefined;
  }
}

/**
 * Delete what `deploy` created: the Kubernetes objects it made, then the Azure side (resource group, cluster,
 * vault, identities).
 *
 * The vault is not purged: it stays soft-deleted for `softDeleteRetentionDays` (see `vaultFate`).
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
      `Destroy resource group ${config.resourceGroup} (AKS ${config.cluster.name}, Key Vault ${config.keyVault.name ?? 'named from the subscription'}) in ${where}?`,
    dryRun: options.dryRun,
    yes: options.yes,
  });
  // The cluster's credentials go to a file of destroy's own, removed at the end: the user's contexts stay as they are.
  const dir = options.dryRun ? undefined : mkdtempSync(join(tmpdir(), 'workload-id-destroy-'));
  try {
    const kubeconfig = dir ? join(dir, 'kubeconfig') : '<temp dir>/kubeconfig';
    const steps = await destroySteps(options, config, subscription, kubeconfig);
    console.log(
      `destroy: ${steps.length} step${steps.length === 1 ? '' : 's'}${options.dryRun ? ' (dry run: nothing is run)' : ''}`,
    );
    console.log(vaultFate(config, subscription, deployedVaultName(config, options.outputs)));
    await runSteps(steps, { name: 'destroy', dryRun: options.dryRun });
  } finally {
    if (dir) rmSync(dir, { recursive: true, force: true });
  }
}

/** `destroy`: the reverse of `deploy`. */
export function destroyCommand(): Command {
  return new Command('destroy')
    .description(
      'Delete what deploy created: az aks get-credentials (a kubeconfig of its own), kubectl delete of the objects deploy made (by label and name), then cdktf destroy (asks first unless --yes)',
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
      'the deploy was "deploy --single": destroy both stacks with one "cdktf destroy workload-identity workload-identity-k8s"',
    )
    .option('-y, --yes', 'do not ask for confirmation (required when stdin is not a terminal)')
    .addHelpText(
      'after',
      '\nThe Key Vault is not purged: it stays soft-deleted for keyVault.softDeleteRetentionDays, and a deploy of the same config in the same subscription and location recovers it; "az keyvault purge" frees the name at once (needs the purge right).\nA namespace deploy did not make (default, or one that existed) is never deleted, nor anything in it that deploy did not make.',
    )
    .action((options: DestroyOptions) => destroy(options));
}
