/**
 * What the command line and the chart agree on about the objects in a cluster: which namespaces exist before any
 * deploy, and the label that marks what `deploy` made, so that `destroy` deletes nothing else.
 */

/** Namespaces every Kubernetes cluster has: the chart never creates, adopts or deletes them. */
export const BUILT_IN_NAMESPACES: ReadonlySet<string> = new Set([
  'default',
  'kube-system',
  'kube-public',
  'kube-node-lease',
]);

/** The label on every object the chart makes (Kubernetes' recommended `managed-by` label). */
export const MANAGED_BY_LABEL = 'app.kubernetes.io/managed-by';
/** Its value: the command line's name. */
export const MANAGED_BY = 'workload-id';
/** `app.kubernetes.io/managed-by=workload-id`, as a label selector. */
export const MANAGED_BY_SELECTOR = `${MANAGED_BY_LABEL}=${MANAGED_BY}`;
