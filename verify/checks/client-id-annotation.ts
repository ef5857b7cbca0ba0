import { CLIENT_ID_ANNOTATION as CLIENT_ID } from '../../config/webhook';
import type { CheckInput, Problem } from '../check';

export const id = 'client-id-annotation';
export const title = `the service account of each workload pod carries ${CLIENT_ID}`;
export const needs = 'nothing';
export const prevents = 'no AZURE_CLIENT_ID is injected: the credential cannot sign in';

/** The annotation is there and not empty (its value is compared with the outputs by `client-id-deployed`). */
export function run({ model }: CheckInput): Problem[] {
  const seen = new Set<string>();
  return model.workloadPods.flatMap((pod) => {
    if (!pod.account || pod.account.metadata.annotations?.[CLIENT_ID] || seen.has(pod.accountRef))
      return [];
    seen.add(pod.accountRef);
    return [
      {
        subject: pod.accountRef,
        message: `annotation ${CLIENT_ID} is missing`,
        fix: "annotate the service account with the identity's client id",
      },
    ];
  });
}
