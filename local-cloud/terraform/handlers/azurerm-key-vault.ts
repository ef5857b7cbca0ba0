/**
 * `azurerm_key_vault` and its data source. A vault name is a global DNS name: a name held in another subscription
 * (also soft-deleted there) is `VaultAlreadyExists`; in the same subscription the vault is the one Terraform manages.
 * Attributes come from the vault's real settings: `rbac_authorization_enabled` is what was configured.
 */
import {
  type CloudStoreData,
  deletedVaults,
  purgeTime,
  type StoredDeletedKeyVault,
  type StoredKeyVault,
  sameId,
  subscriptionActionAllowed,
} from '../../core/cloud-store';
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
  asSet,
  bool,
  cloudStore,
  featureBlock,
  normalizeLocation,
  num,
  required,
  resolve,
  resourceGroupOf,
  str,
  stringMap,
  tagsValue,
} from './common';
import { KEY_VAULT_ID, parseId } from './resource-ids';

// Azure's own rule for a vault name (stricter than azurerm's validator, which lets Azure refuse the rest at create).
const NAME = /^[a-zA-Z](?!.*--)[a-zA-Z0-9-]{1,22}[a-zA-Z0-9]$/;

/** How azurerm names a vault in its errors (go-azure-helpers commonids KeyVaultId.String()). */
function vaultIdText(vault: StoredKeyVault): string {
  return `Key Vault (Subscription: ${JSON.stringify(vault.subscriptionId)}\nResource Group Name: ${JSON.stringify(vault.resourceGroupName)}\nKey Vault Name: ${JSON.stringify(vault.name)})`;
}

export const azurermKeyVault: ResourceHandler = {
  async create({ planned, context }) {
    const recover = bool(featureBlock(context, 'key_vault').recover_soft_deleted_key_vaults, true);
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
      const location = normalizeLocation(required(planned, 'location'));
      const id = armId(subscriptionId, group.name, 'Microsoft.KeyVault/vaults', name);
      if (data.keyVaults.some((v) => sameId(v.id, id)))
        throw alreadyExists(id, 'azurerm_key_vault');
      const settings = {
        tenantId: required(planned, 'tenant_id'),
        skuName: required(planned, 'sku_name'),
        rbacAuthorizationEnabled: rbacEnabled(planned),
        purgeProtectionEnabled: bool(planned.purge_protection_enabled, false),
        softDeleteRetentionDays: num(planned.soft_delete_retention_days, 90),
        publicNetworkAccessEnabled: bool(planned.public_network_access_enabled, true),
        tags: stringMap(planned.tags),
      };
      // GetDeleted at subscription scope (key_vault_resource.go, resourceKeyVaultCreate): a 403 reads as "not found".
      const deleted = visibleDeletedVault(data, subscriptionId, location, name);
      if (deleted) {
        if (!recover) throw optedOutOfRecovering(name, location);
        // createMode = recover: the vault comes back with its secrets (live and deleted), under the new settings.
        data.deletedKeyVaults = (data.deletedKeyVaults ?? []).filter((d) => d !== deleted);
        const recovered: StoredKeyVault = { ...deleted.vault, ...settings };
        data.keyVaults.push(recovered);
        return recovered;
      }
      if (nameTaken(data, name, subscriptionId)) throw vaultAlreadyExists(name);
      if (deletedVaults(data).some((d) => d.vault.name.toLowerCase() === name.toLowerCase()))
        throw deletedVaultConflict(id);
      const created: StoredKeyVault = {
        id,
        subscriptionId,
        resourceGroupName: group.name,
        name,
        location,
        vaultUri: `https://${name.toLowerCase()}.vault.azure.net/`,
        ...settings,
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
    return vault ? { ...state, ...readOf(vault, state) } : null;
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
        tenantId: str(planned.tenant_id) ?? found.tenantId,
        tags: stringMap(planned.tags),
      });
      return found;
    });
    return resolve(planned, computedOf(vault, planned));
  },
  /**
   * Delete, then purge when the features block says so (`purge_soft_delete_on_destroy`, default true) and purge
   * protection allows it (key_vault_resource.go, resourceKeyVaultDelete); otherwise the vault stays soft-deleted,
   * with its secrets, for its retention days, and its name stays taken.
   */
  async delete({ state, context }) {
    const purge = bool(featureBlock(context, 'key_vault').purge_soft_delete_on_destroy, true);
    // The delete stands even when the purge after it fails, as on Azure: the vault is then soft-deleted.
    const refused = cloudStore().update((data) => {
      const id = String(state.id);
      const vault = data.keyVaults.find((v) => sameId(v.id, id));
      if (!vault) return undefined;
      data.keyVaults = data.keyVaults.filter((v) => v !== vault);
      data.roleAssignments = data.roleAssignments.filter(
        (a) => !(sameId(a.scope, id) || a.scope.toLowerCase().startsWith(`${id.toLowerCase()}/`)),
      );
      const now = Date.now();
      data.deletedKeyVaults = [
        ...deletedVaults(data, now),
        { vault, deletedAt: now, scheduledPurgeAt: purgeTime(vault.softDeleteRetentionDays, now) },
      ];
      if (!purge || vault.purgeProtectionEnabled) return undefined;
      const action = 'Microsoft.KeyVault/locations/deletedVaults/purge/action';
      if (!subscriptionActionAllowed(data, vault.subscriptionId, action)) {
        const { principalId } = armTarget(context, data);
        return new AzureError(
          'AuthorizationFailed',
          `purging Key Vault (Subscription: ${JSON.stringify(vault.subscriptionId)}\nResource Group Name: ${JSON.stringify(vault.resourceGroupName)}\nVault Name: ${JSON.stringify(vault.name)}): unexpected status 403 (403 Forbidden) with error: AuthorizationFailed: The client '${principalId}' with object id '${principalId}' does not have authorization to perform action '${action}' over scope '${deletedVaultId(vault.subscriptionId, vault.location, vault.name)}' or the scope is invalid. If access was recently granted, please refresh your credentials.`,
        );
      }
      data.deletedKeyVaults = data.deletedKeyVaults.filter((d) => d.vault !== vault);
      return undefined;
    });
    if (refused) throw refused;
  },
  // `terraform import`: the id is parsed as azurerm parses it (commonids.ParseKeyVaultID); Read fills the rest.
  async importState({ id }) {
    parseId(KEY_VAULT_ID, id);
    return { id };
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
    [...data.keyVaults, ...deletedVaults(data).map((d) => d.vault)].some(
      (v) => v.name.toLowerCase() === lower && !sameId(v.subscriptionId, subscriptionId),
    )
  );
}

/** The id of a deleted vault, as `GetDeleted` addresses it: by subscription, location and name. */
function deletedVaultId(subscriptionId: string, location: string, name: string): string {
  return `/subscriptions/${subscriptionId}/providers/Microsoft.KeyVault/locations/${location}/deletedVaults/${name}`;
}

/**
 * The soft-deleted vault `GetDeleted` finds for the deployer, or undefined: none there, or the deployer lacks
 * `Microsoft.KeyVault/locations/deletedVaults/read` at the subscription (azurerm treats the 403 as not found).
 */
function visibleDeletedVault(
  data: CloudStoreData,
  subscriptionId: string,
  location: string,
  name: string,
): StoredDeletedKeyVault | undefined {
  if (
    !subscriptionActionAllowed(
      data,
      subscriptionId,
      'Microsoft.KeyVault/locations/deletedVaults/read',
    )
  )
    return undefined;
  return deletedVaults(data).find(
    (d) =>
      sameId(d.vault.subscriptionId, subscriptionId) &&
      d.vault.location === location &&
      d.vault.name.toLowerCase() === name.toLowerCase(),
  );
}

/** azurerm's refusal when a soft-deleted vault exists and the features block opts out of recovering it (key_vault_resource.go, optedOutOfRecoveringSoftDeletedKeyVaultErrorFmt). */
function optedOutOfRecovering(name: string, location: string): AzureError {
  return new AzureError(
    '',
    `An existing soft-deleted Key Vault exists with the Name ${JSON.stringify(name)} in the location ${JSON.stringify(location)}, however automatically recovering this KeyVault has been disabled via the "features" block. Terraform can automatically recover the soft-deleted Key Vault when this behaviour is enabled within the "features" block (located within the "provider" block) - more information can be found here: https://registry.terraform.io/providers/hashicorp/azurerm/latest/docs/guides/features-block Alternatively you can manually recover this (e.g. using the Azure CLI) and then import this into Terraform via "terraform import", or pick a different name/location.`,
    ['name'],
  );
}

/**
 * Azure's answer to a create over a soft-deleted vault of the same subscription that azurerm did not recover (it could
 * not see it): 409 ConflictError (reported in alan-turing-institute/data-safe-haven#2523).
 */
function deletedVaultConflict(id: string): AzureError {
  return new AzureError(
    'ConflictError',
    `creating Key Vault ${JSON.stringify(id)}: unexpected status 409 (409 Conflict) with error: ConflictError: A vault with the same name already exists in deleted state. You need to either recover or purge existing key vault. Follow this link https://go.microsoft.com/fwlink/?linkid=2149745 for more information on soft delete.`,
    ['name'],
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

/**
 * What azurerm's Read sets from the vault (key_vault_resource.go, resourceKeyVaultRead): name and group from the id,
 * location, tenant, RBAC, purge protection, public network access, retention (90 when Azure omits it), sku and
 * tags. The `enabled_for_*` flags, network ACLs, access policies and contacts are not held by the local cloud: they
 * keep their state.
 */
function readOf(vault: StoredKeyVault, state: Attributes): Attributes {
  return {
    ...computedOf(vault, state),
    name: vault.name,
    resource_group_name: vault.resourceGroupName,
    location: vault.location,
    tenant_id: vault.tenantId,
    sku_name: vault.skuName,
    // Optional+Computed in azurerm (key_vault_resource.go:224), Optional only in the served schema: kept null when unset.
    enable_rbac_authorization: asSet(
      vault.rbacAuthorizationEnabled,
      state,
      'enable_rbac_authorization',
      vault.rbacAuthorizationEnabled,
    ),
    purge_protection_enabled: asSet(
      vault.purgeProtectionEnabled,
      state,
      'purge_protection_enabled',
      false,
    ),
    // Default true and 90 (key_vault_resource.go, the schema of public_network_access_enabled and soft_delete_retention_days).
    public_network_access_enabled: asSet(
      vault.publicNetworkAccessEnabled,
      state,
      'public_network_access_enabled',
      true,
    ),
    soft_delete_retention_days: asSet(
      vault.softDeleteRetentionDays,
      state,
      'soft_delete_retention_days',
      90,
    ),
    tags: tagsValue(vault.tags, state),
  };
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
