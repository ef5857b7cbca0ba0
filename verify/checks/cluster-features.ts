import type { CheckInput, Problem } from '../check';
import { resourcesOf } from '../synthesized-pair';

export const id = 'cluster-features';
export const title = 'the cluster has the OIDC issuer and workload identity on';
export const needs = 'nothing';
export const prevents = 'the cluster issues no token Entra can verify, and the webhook never runs';

const FLAGS = ['oidc_issuer_enabled', 'workload_identity_enabled'] as const;

/** Both flags are literally `true` on every cluster the stack creates. */
export function run({ pair }: CheckInput): Problem[] {
  return resourcesOf(pair.terraform, 'azurerm_kubernetes_cluster').flatMap((cluster) =>
    FLAGS.filter((flag) => cluster.values[flag] !== true).map((flag) => ({
      subject: cluster.address,
      message: `${flag} is not true`,
      fix: `set ${flag} = true on the cluster`,
    })),
  );
}
