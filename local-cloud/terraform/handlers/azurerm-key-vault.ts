/**
 * `azurerm_key_vault` and its data source. A vault name is a global DNS name: a name held in another subscription
 * (also soft-deleted there) is `VaultAlreadyExists`; in the same subscription the vault is the one Terraform manages.
 * Attributes come from the vault's real settings: `rbac_authorization_enabled` is what was configured.
 */
import { type CloudStoreData, type StoredKeyVault, sameId } from '../../cloud-store';
import {
  type Attributes,
  AzureError,
  type DataSourceHandler,
  type ResourceHandler,
} from '../handler';
import { alreadyExists } from './azurerm-resource-group';
import {
  armId,
  armTarget,
  bool,
  cloudStore,
  normalizeLocation,
  num,
  required,
  resolve,
  resourceGroupOf,
  str,
  stringMap,
} from './common';

// Azure's own rule for a vault name (stricter than azurerm's validator, which lets Azure refuse the rest at create).
const NAME = /^[a-zA-Z](?!.*--)[a-zA-Z0-9-]{1,22}[a-zA-Z0-9]$/;

/** How azurerm names a vault in its errors (go-azure-helpers commonids KeyVaultId.String()). */
function vaultIdText(vault: StoredKeyVault): string {
  return `Key Vault (Subscription: ${JSON.stringify(vault.subscriptionId)}\nResource Group Name: ${JSON.stringify(vault.resourceGroupName)}\nKey Vault Name: ${JSON.stringify(vault.name)})`;
}

export const azurermKeyVault: ResourceHandler = {
  async create({ planned, context }) {
    const vault = cloudStore().update((data) => {
      const { subscriptionId } = armTarget(context, data);
      const group = resourceGroupOf(data, subscriptionId, required(planned, 'resource_group_name'));
      const name = required(planned, 'name');
      if (!NAME.test(name)) {
        throw new AzureError(
          'VaultNameNotValid',
          `Key Vault name must be 3 - 24 characters long, begin with a letter, end with a letter or digit, and not contain consecutive hyphens: ${JSON.stringify(name)}`,
          ['name'],
        );
      }
      const id = armId(subscriptionId, group.name, 'Microsoft.KeyVault/vaults', name);
      if (data.keyVaults.some((v) => sameId(v.id, id)))
        throw alreadyExists(id, 'azurerm_key_vault');
      if (nameTaken(data, name, subscriptionId)) throw vaultAlreadyExists(name);
      const rbac = rbacEnabled(planned);
      const created: StoredKeyVault = {
        id,
        subscriptionId,
        resourceGroupName: group.name,
        name,
        location: normalizeLocation(required(planned, 'location')),
        tenantId: required(planned, 'tenant_id'),
        vaultUri: `https://${name.toLowerCase()}.vault.azure.net/`,
        skuName: required(planned, 'sku_name'),
        rbacAuthorizationEnabled: rbac,
        purgeProtectionEnabled: bool(planned.purge_protection_enabled, false),
        softDeleteRetentionDays: num(planned.soft_delete_retention_days, 90),
        publicNetworkAccessEnabled: bool(planned.public_network_access_enabled, true),
        tags: stringMap(planned.tags),
        secrets: [],
      };
      data.keyVaults.push(created);
      return created;
    });
    return resolve(planned, computedOf(vault, planned));
  },
  async read({ state }) {
    const vault = cloudStore()
      .read()
      .keyVaults.find((v) => sameId(v.id, String(state.id)));
    return vault ? { ...state, ...computedOf(vault, state) } : null;
  },
  async update({ prior, planned }) {
    const vault = cloudStore().update((data) => {
      const found = data.keyVaults.find((v) => sameId(v.id, String(planned.id)));
      if (!found)
        throw new AzureError('ResourceNotFound', `Key Vault ${String(planned.id)} was not found`);
      // azurerm's Update code refuses these, not its plan (azurerm v4.55.0
      // internal/services/keyvault/key_vault_resource.go:561 and :612).
      if (found.purgeProtectionEnabled && planned.purge_protection_enabled === false) {
        throw new AzureError(
          'BadRequest',
          `updating ${vaultIdText(found)}: once Purge Protection has been Enabled it's not possible to disable it`,
          ['purge_protection_enabled'],
        );
      }
      if (
        typeof planned.soft_delete_retention_days === 'number' &&
        prior.soft_delete_retention_days !== planned.soft_delete_retention_days &&
        found.softDeleteRetentionDays
      ) {
        throw new AzureError(
          'BadRequest',
          `updating ${vaultIdText(found)}: once \`soft_delete_retention_days\` has been configured it cannot be modified`,
          ['soft_delete_retention_days'],
        );
      }
      Object.assign(found, {
        rbacAuthorizationEnabled: rbacEnabled(planned),
        purgeProtectionEnabled: bool(
          planned.purge_protection_enabled,
          found.purgeProtectionEnabled,
        ),
        publicNetworkAccessEnabled: bool(planned.public_network_access_enabled, true),
        skuName: str(planned.sku_name) ?? found.skuName,
        tags: stringMap(planned.tags),
      });
      return found;
    });
    return resolve(planned, computedOf(vault, planned));
  },
  // With `features {}`, azurerm purges the vault after deleting it (unless purge protection is on): the name is free again.
  async delete({ state }) {
    cloudStore().update((data) => {
      const id = String(state.id);
      data.keyVaults = data.keyVaults.filter((v) => !sameId(v.id, id));
      data.roleAssignments = data.roleAssignments.filter(
        (a) => !(sameId(a.scope, id) || a.scope.toLowerCase().startsWith(`${id.toLowerCase()}/`)),
      );
    });
  },
};

export const dataAzurermKeyVault: DataSourceHandler = {
  async read({ config, context }) {
    const data = cloudStore().read();
    const { subscriptionId } = armTarget(context, data);
    const name = required(config, 'name');
    const group = required(config, 'resource_group_name');
    const vault = data.keyVaults.find(
      (v) =>
        sameId(v.subscriptionId, subscriptionId) &&
        v.resourceGroupName.toLowerCase() === group.toLowerCase() &&
        v.name.toLowerCase() === name.toLowerCase(),
    );
    if (!vault)
      throw new AzureError(
        'ResourceNotFound',
        `Key Vault (Subscription: "${subscriptionId}"\nResource Group Name: "${group}"\nKey Vault Name: "${name}") was not found`,
      );
    return {
      ...config,
      ...computedOf(vault, config),
      enable_rbac_authorization: vault.rbacAuthorizationEnabled,
      public_network_access_enabled: vault.publicNetworkAccessEnabled,
      name: vault.name,
      resource_group_name: vault.resourceGroupName,
      location: vault.location,
      sku_name: vault.skuName,
      tenant_id: vault.tenantId,
      purge_protection_enabled: vault.purgeProtectionEnabled,
      soft_delete_retention_days: vault.softDeleteRetentionDays,
      tags: vault.tags,
    };
  },
};

/** Whether a Key Vault name is held by a vault in another subscription (or soft-deleted there). */
export function nameTaken(data: CloudStoreData, name: string, subscriptionId: string): boolean {
  const lower = name.toLowerCase();
  return (
    data.vaultNamesTakenElsewhere.some((n) => n.toLowerCase() === lower) ||
    data.keyVaults.some(
      (v) => v.name.toLowerCase() === lower && !sameId(v.subscriptionId, subscriptionId),
    )
  );
}

/** Azure's answer to a vault name someone else holds. */
export function vaultAlreadyExists(name: string): AzureError {
  return new AzureError(
    'VaultAlreadyExists',
    `creating Key Vault (Vault Name: "${name}"): unexpected status 409 (409 Conflict) with error: VaultAlreadyExists: The vault name '${name}' is already in use. Vault names are globally unique so it is possible that the name is already taken. If you are sure that the vault name was not taken then it is possible that a vault with the same name was recently deleted but not purged after being placed in a recoverable state. If the vault is in a recoverable state then the vault will need to be purged before reusing the name.`,
    ['name'],
  );
}

// `rbac_authorization_enabled` is the newer name of `enable_rbac_authorization`; unset means access policies.
function rbacEnabled(attributes: Attributes): boolean {
  return bool(
    attributes.rbac_authorization_enabled,
    bool(attributes.enable_rbac_authorization, false),
  );
}

// Only what Azure computes: arguments keep the planned value, or Terraform reports an inconsistent result.
function computedOf(vault: StoredKeyVault, _attributes: Attributes): Attributes {
  const computed: Attributes = {
    id: vault.id,
    vault_uri: vault.vaultUri,
    rbac_authorization_enabled: vault.rbacAuthorizationEnabled,
    access_policy: [],
  };
  return computed;
}
