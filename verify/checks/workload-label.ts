import { USE_WORKLOAD_IDENTITY_LABEL as USE_LABEL } from '../../config/webhook';
import type { CheckInput, Problem } from '../check';

export const id = 'workload-label';
export const title = `the label ${USE_LABEL}: "true" is on the pod (or pod template), not only on the service account`;
export const needs = 'nothing';
export const prevents =
  'the webhook does not inject AZURE_CLIENT_ID and the token file: the credential finds no workload identity';

/** A pod that runs as an annotated service account carries the label itself. */
export function run({ model }: CheckInput): Problem[] {
  return model.workloadPods.flatMap((pod) => {
    if (pod.labelled) return [];
    const onAccount = pod.account?.metadata.labels?.[USE_LABEL] === 'true';
    return [
      {
        subject: pod.ref,
        message: `the pod lacks the label ${USE_LABEL}: "true"${onAccount ? ' (it is on the service account, which the webhook ignores)' : ''}`,
        fix: `label the pod (or the Deployment's pod template) ${USE_LABEL}: "true"`,
      },
    ];
  });
}
