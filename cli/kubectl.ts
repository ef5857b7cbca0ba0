// How the command line reaches the cluster: always a named context (and, for destroy, a kubeconfig of its own),
// never whatever context happens to be current.
import type { ClusterOutputs } from '../config/outputs';
import { az } from './az';
import type { ExternalCommand } from './run-step';

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
