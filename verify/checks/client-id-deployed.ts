import { excerpt } from '../../config/echo';
import { isPlaceholder, outputName } from '../../config/outputs';
import { CLIENT_ID_ANNOTATION as CLIENT_ID } from '../../config/webhook';
import type { CheckInput, Problem } from '../check';
import { parseReference } from '../synthesized-pair';

export const id = 'client-id-deployed';
export const title = `${CLIENT_ID} is the deployed client id of the identity that trusts the service account (from the outputs file)`;
export const needs = 'outputs';
export const prevents =
  'AADSTS700016, or AADSTS700211/AADSTS700213 (older Entra: AADSTS70021): Entra looks for the credential on another identity';

/** Compare each annotation with the client id output of the identities that trust its service account. */
export function run({ pair, model, bindings }: CheckInput): Problem[] {
  if (!bindings) return [];
  // The deployed client ids by the identity each workload's client id output names: built once, read for every pod.
  const deployed = new Map<string | undefined, string[]>();
  for (const [workload, b] of bindings) {
    const output = pair.terraform.output?.[outputName(workload, 'clientId')]?.value;
    const identity = parseReference(output)?.address;
    deployed.set(identity, [...(deployed.get(identity) ?? []), b.clientId]);
  }
  const seen = new Set<string>();
  return model.workloadPods.flatMap((pod) => {
    const clientId = pod.account?.metadata.annotations?.[CLIENT_ID];
    if (!clientId || isPlaceholder(clientId) || pod.trusting.length === 0) return [];
    if (seen.has(pod.accountRef)) return [];
    seen.add(pod.accountRef);
    const expected = [...pod.trustingIdentities].flatMap(
      (identity) => deployed.get(identity) ?? [],
    );
    const known = expected.length > 0 ? expected : [...bindings.values()].map((b) => b.clientId);
    if (known.includes(clientId)) return [];
    const names = [...pod.trustingIdentities]
      .map((address) => {
        const values = model.identities.get(address)?.values;
        return String(values?.name ?? values?.display_name ?? address);
      })
      .join(', ');
    return [
      {
        subject: pod.accountRef,
        message: `client id ${excerpt(clientId)} is not the client id of any deployed workload identity (expected the one of ${names})`,
        fix: 'synthesize the manifests from the outputs of the current deploy',
      },
    ];
  });
}
