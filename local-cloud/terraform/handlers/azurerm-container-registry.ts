/**
 * `azurerm_container_registry` and its data source. Registry names are global (`<name>.azurecr.io`); the images a
 * registry holds are what `az acr build` pushed, and only an identity with `AcrPull` on it may pull them.
 */
import { type StoredRegistry, sameId } from '../../core/cloud-store';
import { AzureError, type DataSourceHandler, type ResourceHandler } from '../handler';
import { alreadyExists } from './azurerm-resource-group';
import {
  armId,
  armTarget,
  asSet,
  bool,
  cloudStore,
  normalizeLocation,
  required,
  resolve,
  resourceGroupOf,
  stringMap,
  tagsValue,
} from './common';
import { parseId, REGISTRY_ID } from './resource-ids';

export const azurermContainerRegistry: ResourceHandler = {
  async create({ planned, context }) {
    const registry = cloudStore().update((data) => {
      const { subscriptionId } = armTarget(context, data);
      const group = resourceGroupOf(data, subscriptionId, required(planned, 'resource_group_name'));
      const name = required(planned, 'name');
      const id = armId(subscriptionId, group.name, 'Microsoft.ContainerRegistry/registries', name);
      if (data.registries.some((r) => sameId(r.id, id)))
        throw alreadyExists(id, 'azurerm_container_registry');
      if (data.registries.some((r) => r.name.toLowerCase() === name.toLowerCase())) {
        throw new AzureError(
          'AlreadyInUse',
          `The registry DNS name ${name.toLowerCase()}.azurecr.io is already in use. You can check if the name is already claimed using following API: https://docs.microsoft.com/en-us/rest/api/containerregistry/registries/checknameavailability`,
          ['name'],
        );
      }
      const created: StoredRegistry = {
        id,
        subscriptionId,
        resourceGroupName: group.name,
        name,
        location: normalizeLocation(required(planned, 'location')),
        loginServer: `${name.toLowerCase()}.azurecr.io`,
        sku: required(planned, 'sku'),
        adminEnabled: bool(planned.admin_enabled, false),
        tags: stringMap(planned.tags),
        images: [],
      };
      data.registries.push(created);
      return created;
    });
    return resolve(planned, {
      id: registry.id,
      login_server: registry.loginServer,
      admin_username: null,
      admin_password: null,
    });
  },
  async read({ state }) {
    const registry = cloudStore()
      .read()
      .registries.find((r) => sameId(r.id, String(state.id)));
    // container_registry_resource.go, resourceContainerRegistryRead: name and group from the id, location, sku, admin
    // user, login server, tags (admin credentials are empty while the admin user is off).
    return registry
      ? {
          ...state,
          id: registry.id,
          name: registry.name,
          resource_group_name: registry.resourceGroupName,
          location: registry.location,
          sku: registry.sku,
          admin_enabled: asSet(registry.adminEnabled, state, 'admin_enabled', false),
          login_server: registry.loginServer,
          tags: tagsValue(registry.tags, state),
        }
      : null;
  },
  async importState({ id }) {
    parseId(REGISTRY_ID, id);
    return { id };
  },
  async update({ planned }) {
    cloudStore().update((data) => {
      const registry = data.registries.find((r) => sameId(r.id, String(planned.id)));
      if (registry)
        Object.assign(registry, {
          sku: required(planned, 'sku'),
          adminEnabled: bool(planned.admin_enabled, false),
          tags: stringMap(planned.tags),
        });
    });
    return planned;
  },
  async delete({ state }) {
    cloudStore().update((data) => {
      const id = String(state.id);
      data.registries = data.registries.filter((r) => !sameId(r.id, id));
      data.roleAssignments = data.roleAssignments.filter((a) => !sameId(a.scope, id));
    });
  },
};

export const dataAzurermContainerRegistry: DataSourceHandler = {
  async read({ config, context }) {
    const data = cloudStore().read();
    const { subscriptionId } = armTarget(context, data);
    const name = required(config, 'name');
    const group = required(config, 'resource_group_name');
    const registry = data.registries.find(
      (r) =>
        sameId(r.subscriptionId, subscriptionId) &&
        r.resourceGroupName.toLowerCase() === group.toLowerCase() &&
        r.name.toLowerCase() === name.toLowerCase(),
    );
    if (!registry)
      throw new AzureError(
        'ResourceNotFound',
        `Container Registry (Subscription: "${subscriptionId}"\nResource Group Name: "${group}"\nRegistry Name: "${name}") was not found`,
      );
    return {
      ...config,
      id: registry.id,
      login_server: registry.loginServer,
      location: registry.location,
      sku: registry.sku,
      admin_enabled: registry.adminEnabled,
      tags: registry.tags,
    };
  },
};
