import { echo } from '../../config/echo';
import type { CheckInput, Problem } from '../check';

export const id = 'service-account';
export const title = 'each workload pod runs as a service account of the manifests';
export const needs = 'nothing';
export const prevents = 'the pod is refused, or runs as "default" which no credential trusts';

/** The pod's `serviceAccountName` is a ServiceAccount of its namespace in the manifests. */
export function run({ model }: CheckInput): Problem[] {
  return model.workloadPods.flatMap((pod) =>
    pod.account
      ? []
      : [
          {
            subject: pod.ref,
            message: `service account ${echo(pod.accountName)} is not in namespace ${pod.namespace} of the manifests`,
            fix: 'set serviceAccountName to the annotated service account',
          },
        ],
  );
}
