import type { CheckInput, Problem } from '../check';
import { rolesHeldBy } from '../pair-model';
import { parseReference, resourcesOf, type TerraformResource } from '../synthesized-pair';

export const id = 'role-scope';
export const title =
  'the trusted identity holds a secret-reading role on the secret the pod reads (all its versions), or on its vault';
export const needs = 'nothing';
export const prevents = 'Key Vault answers 403 Forbidden (ForbiddenByRbac)';

// The built-in roles that read secret values.
const READ_ROLES: ReadonlySet<string> = new Set([
  'Key Vault Secrets User',
  'Key Vault Secrets Officer',
  'Key Vault Administrator',
]);

/** A role on the secret the pod reads (`SECRET_NAME`), or on its vault, held by an identity that trusts the pod. */
export function run({ pair, model }: CheckInput): Problem[] {
  const roles = resourcesOf(pair.terraform, 'azurerm_role_assignment');
  const secrets = resourcesOf(pair.terraform, 'azurerm_key_vault_secret');
  return model.workloadPods.flatMap((pod) => {
    const secretName = pod.env('SECRET_NAME');
    if (!pod.account || pod.trusting.length === 0 || !secretName) return [];
    const secret = secrets.find((s) => s.values.name === secretName);
    const held = rolesHeldBy(pod, roles, model).filter((r) =>
      READ_ROLES.has(String(r.values.role_definition_name)),
    );
    if (held.some((role) => covers(role.values.scope, secret, secretName))) return [];
    const versioned = held.find((role) => {
      const scope = parseReference(role.values.scope);
      return secret !== undefined && scope?.address === secret.address;
    });
    if (versioned) {
      const attribute = parseReference(versioned.values.scope)?.attribute;
      return [
        {
          subject: pod.ref,
          message: `${versioned.address} is scoped to ${attribute} of secret ${JSON.stringify(secretName)}, not to the secret itself (a version, or a data-plane URL)`,
          fix: "scope the role to the secret's resource_versionless_id: it then covers every version",
        },
      ];
    }
    return [
      {
        subject: pod.ref,
        message: `the identity trusted for ${pod.subject} holds no secret-reading role on secret ${JSON.stringify(secretName)} or its vault`,
        fix: `grant "Key Vault Secrets User" on the secret ${secretName} (or the vault) to that identity`,
      },
    ];
  });
}

/**
 * Whether a scope covers every version of a secret: the secret's ARM id without version, its vault's id, or, in a
 * vault the stack only reads, `<vault id>` or `<vault id>/secrets/<name>`.
 */
function covers(
  scope: unknown,
  secret: TerraformResource | undefined,
  secretName: string,
): boolean {
  const reference = parseReference(scope);
  if (secret && reference?.address === secret.address)
    return reference.attribute === 'resource_versionless_id';
  const vault = parseReference(secret?.values.key_vault_id)?.address;
  if (vault !== undefined && reference?.address === vault) return reference.attribute === 'id';
  const existing =
    typeof scope === 'string'
      ? /^\$\{data\.azurerm_key_vault\.[\w-]+\.id\}(?:\/secrets\/([\w-]+))?$/.exec(scope)
      : null;
  return (
    existing !== null &&
    (existing[1] === undefined || existing[1].toLowerCase() === secretName.toLowerCase())
  );
}
