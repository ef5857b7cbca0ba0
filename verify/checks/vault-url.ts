import { echo, excerpt } from '../../config/echo';
import { isPlaceholder, keyVaultUrl } from '../../config/outputs';
import type { CheckInput, Problem } from '../check';
import { resourcesOf } from '../synthesized-pair';

export const id = 'vault-url';
export const title =
  "the outputs' vault URL is the URL of the Azure stack's vault, and each workload pod's KEYVAULT_URL is that URL";
export const needs = 'outputs';
export const prevents =
  'the workload asks another vault (or host) for the secret: 403 or a name that does not resolve, or its token goes elsewhere';

/** Compare the deployed vault URL with the vault's name in the Azure stack, and with `KEYVAULT_URL` of each pod. */
export function run({ pair, model, bindings }: CheckInput): Problem[] {
  if (!bindings) return [];
  const problems: Problem[] = [];
  // A name that is a literal of the stack; a name generated at deploy time is an expression and is not compared here.
  const names = [
    ...resourcesOf(pair.terraform, 'azurerm_key_vault'),
    ...resourcesOf(pair.terraform, 'data.azurerm_key_vault'),
  ].flatMap((v) =>
    typeof v.values.name === 'string' && !v.values.name.includes('${') ? [v.values.name] : [],
  );
  const expected = new Set(names.map(keyVaultUrl));
  const deployed = new Set([...bindings.values()].map((b) => b.vaultUrl));
  for (const [workload, b] of bindings) {
    if (expected.size > 0 && !expected.has(b.vaultUrl))
      problems.push({
        subject: `the outputs of workload ${workload}`,
        message: `vault URL ${excerpt(b.vaultUrl)} is not the URL of vault ${names.map((n) => JSON.stringify(n)).join(' or ')} (${[...expected].join(', ')})`,
        fix: 'deploy the Azure stack of this config again and write the outputs file from that deploy',
      });
  }
  for (const pod of model.workloadPods) {
    const url = pod.env('KEYVAULT_URL');
    if (url === undefined || isPlaceholder(url) || deployed.has(url)) continue;
    problems.push({
      subject: pod.ref,
      message: `KEYVAULT_URL ${echo(url)} is not the deployed vault URL (${[...deployed].join(', ')})`,
      fix: 'synthesize the manifests from the outputs of the current deploy',
    });
  }
  return problems;
}
