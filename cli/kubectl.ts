// How the command line reaches the cluster: always a named context (and, for destroy, a kubeconfig of its own),
// never whatever context happens to be current.
import { existsSync } from 'node:fs';
import { type ClusterOutputs, OutputsError, readClusterOutputs } from '../config/outputs';
import type { Config } from '../config/schema';
import { az } from './az';
import { SUBSCRIPTION_PLACEHOLDER } from './preflight';
import { CommandError, type ExternalCommand } from './run-step';

/** The cluster a config names: its name, its group, and the subscription the command runs in. */
export function configuredCluster(config: Config, subscription: string): ClusterOutputs {
  return {
    clusterName: config.cluster.name,
    resourceGroupName: config.cluster.resourceGroup ?? config.resourceGroup,
    subscriptionId: subscription,
  };
}

/**
 * The cluster a command acts on: the one the config names, in `subscription`; an outputs file that exists must name
 * the same cluster, group and subscription (Azure compares names without case), else the command refuses, naming
 * both. Its values are checked as Azure names first, so that none reaches a command line unchecked.
 *
 * `name` starts the message (empty inside a step, whose failure names the command already).
 */
export function targetCluster(
  name: string,
  config: Config,
  outputs: string,
  subscription: string,
): ClusterOutputs {
  const configured = configuredCluster(config, subscription);
  if (!existsSync(outputs)) return configured;
  const lead = name ? `${name}: ` : '';
  let deployed: ClusterOutputs;
  try {
    deployed = readClusterOutputs(outputs);
  } catch (err) {
    if (err instanceof OutputsError) throw new CommandError(`${lead}${err.message}`);
    throw err;
  }
  const same = (a: string, b: string) => a.toLowerCase() === b.toLowerCase();
  const subscriptionKnown = subscription !== SUBSCRIPTION_PLACEHOLDER;
  if (
    !same(deployed.clusterName, configured.clusterName) ||
    !same(deployed.resourceGroupName, configured.resourceGroupName) ||
    (subscriptionKnown && !same(deployed.subscriptionId, subscription))
  )
    throw new CommandError(
      `${lead}outputs file ${outputs} names cluster ${deployed.clusterName} in resource group ${deployed.resourceGroupName} of subscription ${deployed.subscriptionId}, but the config names cluster ${configured.clusterName} in resource group ${configured.resourceGroupName}${subscriptionKnown ? ` of subscription ${subscription}` : ''}: refusing to act on another cluster; pass the outputs file of this config (--outputs), or the config of that deploy (--config)`,
    );
  return configured;
}

/** Which cluster every `kubectl` of a command talks to. */
export interface KubeTarget {
  /** The context `az aks get-credentials --context` wrote: named after the cluster. */
  readonly context: string;
  /** A kubeconfig file of the command's own. @default - kubectl's (`$KUBECONFIG` or `~/.kube/config`) */
  readonly kubeconfig?: string;
}

/** The target for a cluster: its context is named after it. */
export function kubeTargetOf(cluster: ClusterOutputs, kubeconfig?: string): KubeTarget {
  return { context: cluster.clusterName, kubeconfig };
}

/** `kubectl [--kubeconfig <file>] --context <context> <args>`. */
export function kubectl(target: KubeTarget, args: readonly string[]): ExternalCommand {
  return {
    program: 'kubectl',
    args: [
      ...(target.kubeconfig ? ['--kubeconfig', target.kubeconfig] : []),
      '--context',
      target.context,
      ...args,
    ],
  };
}

/**
 * `az aks get-credentials` into the target's context (and file), in the given subscription.
 *
 * Without a file of its own it merges into kubectl's kubeconfig, as the lab's script does, so that `logs` and the
 * user's own kubectl find the context afterwards.
 */
export function getCredentials(
  cluster: ClusterOutputs,
  subscription: string,
  target: KubeTarget,
): ExternalCommand {
  return az(subscription, [
    'aks',
    'get-credentials',
    '--resource-group',
    cluster.resourceGroupName,
    '--name',
    cluster.clusterName,
    '--context',
    target.context,
    ...(target.kubeconfig ? ['--file', target.kubeconfig] : []),
    '--overwrite-existing',
  ]);
}
