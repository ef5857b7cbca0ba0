/**
 * Azure built-in roles the project assigns by id: their definition ids are the same in every tenant.
 *
 * @see https://learn.microsoft.com/azure/role-based-access-control/built-in-roles
 */
export const BUILT_IN_ROLE_IDS = {
  /** Read, write and delete blobs, and lease them (what Terraform's azurerm backend does). */
  'Storage Blob Data Contributor': 'ba92f5b4-2d11-453d-a403-e96b0029c9fe',
  /** Create and manage resources, but not access (no `Microsoft.Authorization` writes). */
  Contributor: 'b24988ac-6180-42a0-ab88-20f7382dd24c',
  /** Assign roles (`Microsoft.Authorization/roleAssignments/write`), constrainable by a condition. */
  'Role Based Access Control Administrator': 'f58310d9-a9f6-439a-9e8d-f62e7b41a168',
  'Key Vault Secrets User': '4633458b-17de-408a-b874-0445c86b69e6',
  'Key Vault Secrets Officer': 'b86a8fe4-44ce-4948-aee5-eccb2c155cd7',
  AcrPull: '7f951dda-4ed3-4680-a7ca-43fe172d538d',
} as const;

/** One of `BUILT_IN_ROLE_IDS`. */
export type BuiltInRole = keyof typeof BUILT_IN_ROLE_IDS;

/**
 * An ABAC condition (version 2.0) that lets a role assigner create and delete assignments of `roles` only.
 *
 * @see https://learn.microsoft.com/azure/role-based-access-control/delegate-role-assignments-examples#example-constrain-roles
 */
export function onlyAssignRoles(roles: readonly BuiltInRole[]): string {
  const ids = roles.map((r) => BUILT_IN_ROLE_IDS[r]).join(', ');
  const clause = (action: string, source: string) =>
    `((!(ActionMatches{'Microsoft.Authorization/roleAssignments/${action}'})) OR (@${source}[Microsoft.Authorization/roleAssignments:RoleDefinitionId] ForAnyOfAnyValues:GuidEquals {${ids}}))`;
  return `${clause('write', 'Request')} AND ${clause('delete', 'Resource')}`;
}

/** The role Terraform's azurerm backend needs with `use_azuread_auth`: read, write and lease the state blobs. */
export const STATE_ROLE: BuiltInRole = 'Storage Blob Data Contributor';
