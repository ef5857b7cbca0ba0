import type { CheckInput, Problem } from '../check';
import { rolesHeldBy } from '../pair-model';
import { resourcesOf } from '../synthesized-pair';

export const id = 'role-least-privilege';
export const title =
  'a workload identity holds "Key Vault Secrets User", never a role that writes secrets or grants access';
export const needs = 'nothing';
export const prevents =
  'a compromised pod changes or deletes secrets, or grants itself more (the workload only reads)';

// Roles that write or delete secrets, or hand out access: more than a reader needs.
const TOO_MUCH = new Set([
  'Key Vault Secrets Officer',
  'Key Vault Administrator',
  'Key Vault Data Access Administrator',
  'Key Vault Contributor',
  'Owner',
  'Contributor',
  'User Access Administrator',
]);

/** Every role assignment of an identity that a workload pod signs in as. */
export function run({ pair, model }: CheckInput): Problem[] {
  const roles = resourcesOf(pair.terraform, 'azurerm_role_assignment');
  const flagged = new Set<string>();
  return model.workloadPods.flatMap((pod) =>
    rolesHeldBy(pod, roles, model).flatMap((role) => {
      const name = String(role.values.role_definition_name);
      if (!TOO_MUCH.has(name) || flagged.has(role.address)) return [];
      flagged.add(role.address);
      return [
        {
          subject: role.address,
          message: `the identity trusted for ${pod.subject} holds "${name}"`,
          fix: 'grant "Key Vault Secrets User" on the secret the workload reads instead',
        },
      ];
    }),
  );
}
