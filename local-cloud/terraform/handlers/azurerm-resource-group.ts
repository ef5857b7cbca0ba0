/**
 * `azurerm_resource_group`: a group in the provider's subscription. Deleting a group that still holds resources
 * fails, as azurerm 4's default `prevent_deletion_if_contains_resources` makes it.
 */
import { resourceGroupId, sameId } from '../../core/cloud-store';
import { AzureError, type ResourceHandler } from '../handler';
import {
  armTarget,
  asSet,
  cloudStore,
  normalizeLocation,
  required,
  resolve,
  stringMap,
  tagsValue,
} from './common';
import { parseSegments, RESOURCE_GROUP_ID } from './resource-ids';

export const azurermResourceGroup: ResourceHandler = {
  async create({ planned, context }) {
    const name = required(planned, 'name');
    const location = normalizeLocation(required(planned, 'location'));
    const group = cloudStore().update((data) => {
      const { subscriptionId } = armTarget(context, data);
      const id = resourceGroupId(subscriptionId, name);
      if (data.resourceGroups.some((g) => sameId(g.id, id)))
        throw alreadyExists(id, 'azurerm_resource_group');
      const created = { id, subscriptionId, name, location, tags: stringMap(planned.tags) };
      data.resourceGroups.push(created);
      return created;
    });
    return resolve(planned, { id: group.id, location: group.location, managed_by: null });
  },
  async read({ state }) {
    const group = cloudStore()
      .read()
      .resourceGroups.find((g) => sameId(g.id, String(state.id)));
    // resource_group_resource.go, resourceResourceGroupRead: name from the id, location, managed_by and tags.
    return group
      ? {
          ...state,
          id: group.id,
          name: group.name,
          location: group.location,
          managed_by: asSet(group.managedBy ?? '', state, 'managed_by', ''),
          tags: tagsValue(group.tags, state),
        }
      : null;
  },
  // Imported through `ImporterValidatingIdentity`: the segment parser's error, not wrapped (internal/tf/pluginsdk/imports.go).
  async importState({ id }) {
    parseSegments(RESOURCE_GROUP_ID, id);
    return { id };
  },
  async update({ planned }) {
    cloudStore().update((data) => {
      const group = data.resourceGroups.find((g) => sameId(g.id, String(planned.id)));
      if (group) Object.assign(group, { tags: stringMap(planned.tags) });
    });
    return planned;
  },
  async delete({ state }) {
    cloudStore().update((data) => {
      const id = String(state.id);
      const prefix = `${id.toLowerCase()}/`;
      const inside = [
        ...data.clusters,
        ...data.identities,
        ...data.keyVaults,
        ...data.registries,
        ...(data.storageAccounts ?? []),
      ].filter((r) => r.id.toLowerCase().startsWith(prefix));
      if (inside.length > 0) {
        throw new AzureError(
          'ResourceGroupNotEmpty',
          `deleting Resource Group "${String(state.name)}": the Resource Group still contains Resources.\n\nTerraform is configured to check for Resources within the Resource Group when deleting the Resource Group - and raise an error if nested Resources still exist to avoid unintentionally deleting these Resources.\n\nTerraform has detected that the following Resources still exist within the Resource Group:\n\n${inside.map((r) => `* \`${r.id}\``).join('\n')}\n\nThis feature is intended to avoid the unintentional destruction of nested Resources provisioned through some other means (for example, an ARM Template Deployment) - as such you must either remove these Resources, or disable this behaviour using the feature flag \`prevent_deletion_if_contains_resources\` within the \`features\` block when configuring the Provider.`,
        );
      }
      data.resourceGroups = data.resourceGroups.filter((g) => !sameId(g.id, id));
      // Role assignments scoped inside the group go with it.
      data.roleAssignments = data.roleAssignments.filter(
        (a) => !(sameId(a.scope, id) || a.scope.toLowerCase().startsWith(prefix)),
      );
    });
  },
};

/** azurerm's refusal to create what exists but is not in the state. */
export function alreadyExists(id: string, type: string): AzureError {
  return new AzureError(
    'ResourceAlreadyExists',
    `A resource with the ID "${id}" already exists - to be managed via Terraform this resource needs to be imported into the State. Please see the resource documentation for "${type}" for more information.`,
  );
}
