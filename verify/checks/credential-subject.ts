import type { CheckInput, Problem } from '../check';

export const id = 'credential-subject';
export const title =
  "a federated credential's subject is system:serviceaccount:<namespace>:<service account> of each workload pod";
export const needs = 'nothing';
export const prevents =
  "AADSTS700213 (older Entra: AADSTS70021): no federated credential has the token's subject";

/** Every workload pod whose service account is in the manifests is trusted by some credential. */
export function run({ model }: CheckInput): Problem[] {
  return model.workloadPods.flatMap((pod) => {
    if (!pod.account || pod.trusting.length > 0) return [];
    const near = model.credentials.map((c) => String(c.values.subject)).join(', ') || 'none';
    return [
      {
        subject: pod.ref,
        message: `no federated credential has subject ${pod.subject} (found: ${near})`,
        fix: "derive the credential's subject from the same namespace and service account as the manifests",
      },
    ];
  });
}
