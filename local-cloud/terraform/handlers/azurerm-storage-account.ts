/**
 * `azurerm_storage_account` and `azurerm_storage_container` (through `storage_account_id`, as Resource Manager makes
 * it): what the blob endpoint of the local cloud serves, and how (shared keys, versions).
 *
 * What replaces them is the planner's, from the facts generated out of azurerm's source (generate-facts.ts).
 */
import { type CloudStoreData, type StoredStorageAccount, sameId } from '../../core/cloud-store';
import { AzureError, type ResourceHandler } from '../handler';
import { alreadyExists } from './azurerm-resource-group';
import {
  armId,
  armTarget,
  block,
  bool,
  cloudStore,
  normalizeLocation,
  required,
  resolve,
  resourceGroupOf,
  str,
  stringMap,
} from './common';

/** The storage accounts of the store (a store written before they were served has none). */
export function storageAccountsOf(data: CloudStoreData): StoredStorageAccount[] {
  data.storageAccounts ??= [];
  return data.storageAccounts;
}

function endpoints(name: string) {
  return {
    primary_blob_endpoint: `https://${name}.blob.core.windows.net/`,
    primary_blob_host: `${name}.blob.core.windows.net`,
  };
}

export const azurermStorageAccount: ResourceHandler = {
  async create({ planned, context }) {
    const account = cloudStore().update((data) => {
      const { subscriptionId, tenantId } = armTarget(context, data);
      const group = resourceGroupOf(data, subscriptionId, required(planned, 'resource_group_name'));
      const name = required(planned, 'name');
      const id = armId(subscriptionId, group.name, 'Microsoft.Storage/storageAccounts', name);
      const accounts = storageAccountsOf(data);
      if (accounts.some((a) => sameId(a.id, id)))
        throw alreadyExists(id, 'azurerm_storage_account');
      // A storage account name is a global DNS name (<name>.blob.core.windows.net).
      if (accounts.some((a) => a.name === name))
        throw new AzureError(
          'StorageAccountAlreadyTaken',
          `creating Storage Account (Subscription: "${subscriptionId}"\nResource Group Name: "${group.name}"\nStorage Account Name: "${name}"): performing Create: unexpected status 409 (409 Conflict) with error: StorageAccountAlreadyTaken: The storage account named ${name} is already taken.`,
          ['name'],
        );
      const blob = block(planned.blob_properties);
      const created: StoredStorageAccount = {
        id,
        subscriptionId,
        resourceGroupName: group.name,
        name,
        location: normalizeLocation(required(planned, 'location')),
        tenantId,
        sharedAccessKeyEnabled: bool(planned.shared_access_key_enabled, true),
        allowNestedItemsToBePublic: bool(planned.allow_nested_items_to_be_public, true),
        minTlsVersion: str(planned.min_tls_version) ?? 'TLS1_2',
        versioningEnabled: bool(blob?.versioning_enabled, false),
        tags: stringMap(planned.tags),
        containers: [],
      };
      accounts.push(created);
      return created;
    });
    return resolve(planned, { id: account.id, ...endpoints(account.name) });
  },
  async read({ state }) {
    const account = storageAccountsOf(cloudStore().read()).find((a) =>
      sameId(a.id, String(state.id)),
    );
    return account ? { ...state, ...endpoints(account.name) } : null;
  },
  async update({ planned }) {
    cloudStore().update((data) => {
      const account = storageAccountsOf(data).find((a) => sameId(a.id, String(planned.id)));
      if (!account) return;
      const blob = block(planned.blob_properties);
      Object.assign(account, {
        sharedAccessKeyEnabled: bool(planned.shared_access_key_enabled, true),
        allowNestedItemsToBePublic: bool(planned.allow_nested_items_to_be_public, true),
        minTlsVersion: str(planned.min_tls_version) ?? 'TLS1_2',
        versioningEnabled: bool(blob?.versioning_enabled, false),
        tags: stringMap(planned.tags),
      });
    });
    return planned;
  },
  async delete({ state }) {
    cloudStore().update((data) => {
      const id = String(state.id);
      data.storageAccounts = storageAccountsOf(data).filter((a) => !sameId(a.id, id));
      const prefix = `${id.toLowerCase()}/`;
      data.roleAssignments = data.roleAssignments.filter(
        (a) => !(sameId(a.scope, id) || a.scope.toLowerCase().startsWith(prefix)),
      );
    });
  },
};

export const azurermStorageContainer: ResourceHandler = {
  async create({ planned }) {
    const accountId = required(planned, 'storage_account_id');
    const name = required(planned, 'name');
    const container = cloudStore().update((data) => {
      const account = storageAccountsOf(data).find((a) => sameId(a.id, accountId));
      if (!account)
        throw new AzureError(
          'ResourceNotFound',
          `checking for existing Container "${name}" (Storage Account ${accountId}): unexpected status 404 (404 Not Found) with error: ResourceNotFound: The Resource 'Microsoft.Storage/storageAccounts/${accountId.split('/').at(-1)}' was not found.`,
        );
      const id = `${account.id}/blobServices/default/containers/${name}`;
      if (account.containers.some((c) => c.name === name))
        throw alreadyExists(id, 'azurerm_storage_container');
      const created = { id, name, accessType: str(planned.container_access_type) ?? 'private' };
      account.containers.push(created);
      return created;
    });
    return resolve(planned, {
      id: container.id,
      resource_manager_id: container.id,
      has_immutability_policy: false,
      has_legal_hold: false,
    });
  },
  async read({ state }) {
    const id = String(state.id);
    const found = storageAccountsOf(cloudStore().read())
      .flatMap((a) => a.containers)
      .some((c) => sameId(c.id, id));
    return found ? state : null;
  },
  async update({ planned }) {
    return planned;
  },
  async delete({ state }) {
    cloudStore().update((data) => {
      const id = String(state.id);
      for (const account of storageAccountsOf(data))
        account.containers = account.containers.filter((c) => !sameId(c.id, id));
      data.roleAssignments = data.roleAssignments.filter((a) => !sameId(a.scope, id));
    });
  },
};
