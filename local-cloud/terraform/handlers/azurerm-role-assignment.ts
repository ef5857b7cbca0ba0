/**
 * `azurerm_role_assignment`: a built-in role for a principal at a scope. ARM has it at once; Key Vault's data plane
 * honours it only after the propagation delay (see `propagated()` in the store).
 */
import {
  type CloudStoreData,
  deployerObjectId,
  newGuid,
  ROLE_DEFINITION_IDS,
  sameId,
} from '../../core/cloud-store';
import { AzureError, type ResourceHandler } from '../handler';
import { cloudStore, required, resolve, str } from './common';
import { parseRoleAssignmentId } from './resource-ids';

export const azurermRoleAssignment: ResourceHandler = {
  async create({ planned }) {
    const scope = required(planned, 'scope');
    const principalId = required(planned, 'principal_id');
    const name = str(planned.name) ?? newGuid();
    const assignment = cloudStore().update((data) => {
      const subscriptionId = /^\/subscriptions\/([^/]+)/i.exec(scope)?.[1];
      if (!subscriptionId || !data.subscriptions.some((s) => sameId(s.id, subscriptionId))) {
        throw new AzureError(
          'InvalidScope',
          `The scope '${scope}' is not valid for role assignments: no subscription of the signed-in tenant holds it.`,
          ['scope'],
        );
      }
      const roleName = roleNameOf(
        str(planned.role_definition_name),
        str(planned.role_definition_id),
      );
      const principalType = principalTypeOf(data, principalId);
      if (!principalType) {
        throw new AzureError(
          'PrincipalNotFound',
          `Principal ${principalId.replaceAll('-', '')} does not exist in the directory ${data.subscriptions.find((s) => sameId(s.id, subscriptionId))?.tenantId}. Check that you have the correct principal ID. If you are creating this principal and then immediately assigning a role, this error might be related to a replication delay. In this case, set the role assignment principalType property to a value, such as ServicePrincipal, User, or Group.`,
        );
      }
      if (
        data.roleAssignments.some(
          (a) =>
            a.principalId === principalId &&
            a.roleDefinitionName === roleName &&
            sameId(a.scope, scope),
        )
      ) {
        throw new AzureError(
          'RoleAssignmentExists',
          'unexpected status 409 (409 Conflict) with error: RoleAssignmentExists: The role assignment already exists.',
        );
      }
      const created = {
        id: `${scope}/providers/Microsoft.Authorization/roleAssignments/${name}`,
        name,
        scope,
        roleDefinitionName: roleName,
        roleDefinitionId: `/subscriptions/${subscriptionId}/providers/Microsoft.Authorization/roleDefinitions/${ROLE_DEFINITION_IDS[roleName]}`,
        principalId,
        principalType: str(planned.principal_type) ?? principalType,
        createdAt: Date.now(),
      };
      data.roleAssignments.push(created);
      return created;
    });
    return resolve(planned, {
      id: assignment.id,
      name: assignment.name,
      role_definition_id: assignment.roleDefinitionId,
      role_definition_name: assignment.roleDefinitionName,
      principal_type: assignment.principalType,
      skip_service_principal_aad_check:
        typeof planned.skip_service_principal_aad_check === 'boolean'
          ? planned.skip_service_principal_aad_check
          : false,
    });
  },
  async read({ state }) {
    const assignment = cloudStore()
      .read()
      .roleAssignments.find((a) => sameId(a.id, String(state.id)));
    // role_assignment_resource.go, resourceArmRoleAssignmentRead: name, scope, role, principal and its type.
    return assignment
      ? {
          ...state,
          id: assignment.id,
          name: assignment.name,
          scope: assignment.scope,
          role_definition_id: assignment.roleDefinitionId,
          role_definition_name: assignment.roleDefinitionName,
          principal_id: assignment.principalId,
          principal_type: assignment.principalType,
        }
      : null;
  },
  async importState({ id }) {
    parseRoleAssignmentId(id);
    return { id };
  },
  async update({ planned }) {
    return planned;
  },
  async delete({ state }) {
    cloudStore().update((data) => {
      data.roleAssignments = data.roleAssignments.filter((a) => !sameId(a.id, String(state.id)));
    });
  },
};

function roleNameOf(name: string | undefined, definitionId: string | undefined): string {
  if (name) {
    if (!ROLE_DEFINITION_IDS[name])
      throw new AzureError(
        'RoleDefinitionNotFound',
        `loading Role Definition List: could not find role '${name}'`,
        ['role_definition_name'],
      );
    return name;
  }
  const guid = definitionId?.split('/').at(-1);
  const found = Object.entries(ROLE_DEFINITION_IDS).find(([, id]) => id === guid);
  if (!found)
    throw new AzureError(
      'RoleDefinitionDoesNotExist',
      `The specified role definition with ID '${guid ?? ''}' does not exist.`,
      ['role_definition_id'],
    );
  return found[0];
}

// Which kind of directory object a principal id names, or undefined when the directory has none.
function principalTypeOf(data: CloudStoreData, principalId: string): string | undefined {
  if (data.tenants.some((t) => deployerObjectId(data, t) === principalId)) return 'User';
  if (data.identities.some((i) => i.principalId === principalId)) return 'ServicePrincipal';
  if (data.servicePrincipals.some((sp) => sp.objectId === principalId)) return 'ServicePrincipal';
  if (
    data.clusters.some(
      (c) => c.kubeletIdentity.objectId === principalId || c.principalId === principalId,
    )
  )
    return 'ServicePrincipal';
  return undefined;
}
