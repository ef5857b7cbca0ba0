import { BUILT_IN_NAMESPACES } from '../../config/cluster-objects';
import type { CheckInput, Problem } from '../check';

export const id = 'namespace';
export const title =
  'the namespace of each workload pod is in the manifests, or one every cluster has (default)';
export const needs = 'nothing';
export const prevents = 'kubectl apply fails: namespace not found';

/** Each workload pod's namespace has its Namespace object. */
export function run({ model }: CheckInput): Problem[] {
  return model.workloadPods.flatMap((pod) =>
    model.namespaces.has(pod.namespace) || BUILT_IN_NAMESPACES.has(pod.namespace)
      ? []
      : [
          {
            subject: pod.ref,
            message: `namespace ${pod.namespace} is not in the manifests`,
            fix: 'add the Namespace object',
          },
        ],
  );
}
