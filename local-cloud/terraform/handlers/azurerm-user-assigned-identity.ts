/** `azurerm_user_assigned_identity`: a managed identity with a client id and a service principal in the subscription's tenant. */
import { newGuid, sameId } from '../../core/cloud-store';
import type { ResourceHandler } from '../handler';
import { alreadyExists } from './azurerm-resource-group';
import {
  armId,
  armTarget,
  cloudStore,
  normalizeLocation,
  required,
  resolve,
  resourceGroupOf,
  stringMap,
  tagsValue,
} from './common';
import { parseId, USER_ASSIGNED_IDENTITY_ID } from './resource-ids';

export const azurermUserAssignedIdentity: ResourceHandler = {
  async create({ planned, context }) {
    const identity = cloudStore().update((data) => {
      const { subscriptionId, tenantId } = armTarget(context, data);
      const group = resourceGroupOf(data, subscriptionId, required(planned, 'resource_group_name'));
      const name = required(planned, 'name');
      const id = armId(
        subscriptionId,
        group.name,
        'Microsoft.ManagedIdentity/userAssignedIdentities',
        name,
      );
      if (data.identities.some((i) => sameId(i.id, id)))
        throw alreadyExists(id, 'azurerm_user_assigned_identity');
      const created = {
        id,
        subscriptionId,
        resourceGroupName: group.name,
        name,
        location: normalizeLocation(required(planned, 'location')),
        clientId: newGuid(),
        principalId: newGuid(),
        tenantId,
        tags: stringMap(planned.tags),
      };
      data.identities.push(created);
      return created;
    });
    return resolve(planned, {
      id: identity.id,
      client_id: identity.clientId,
      principal_id: identity.principalId,
      tenant_id: identity.tenantId,
      location: identity.location,
    });
  },
  async read({ state }) {
    const identity = cloudStore()
      .read()
      .identities.find((i) => sameId(i.id, String(state.id)));
    // user_assigned_identity_resource.go, Read: name and group from the id, location, tags and the three ids.
    return identity
      ? {
          ...state,
          id: identity.id,
          name: identity.name,
          resource_group_name: identity.resourceGroupName,
          location: identity.location,
          tags: tagsValue(identity.tags, state),
          client_id: identity.clientId,
          principal_id: identity.principalId,
          tenant_id: identity.tenantId,
        }
      : null;
  },
  // Typed resources validate the id with `IDValidationFunc` (internal/sdk/wrapper_resource.go): commonids.ValidateUserAssignedIdentityID.
  async importState({ id }) {
    parseId(USER_ASSIGNED_IDENTITY_ID, id);
    return { id };
  },
  async update({ planned }) {
    cloudStore().update((data) => {
      const identity = data.identities.find((i) => sameId(i.id, String(planned.id)));
      if (identity) Object.assign(identity, { tags: stringMap(planned.tags) });
    });
    return planned;
  },
  async delete({ state }) {
    cloudStore().update((data) => {
      const id = String(state.id);
      data.identities = data.identities.filter((i) => !sameId(i.id, id));
      // Federated credentials are child resources: they go with their identity.
      data.federatedCredentials = data.federatedCredentials.filter(
        (c) => !(c.parentKind === 'identity' && sameId(c.parentId, id)),
      );
    });
  },
};
