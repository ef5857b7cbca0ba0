/**
 * `azurerm_key_vault_secret` through Key Vault's data plane, as the deployer.
 *
 * Create first GETs the secret (is it there already?) and fails on any answer but 404, with no retry on 403: a role
 * assignment that has not yet reached the data plane fails the apply with `ForbiddenByRbac`, as on Azure. The value
 * comes from the configuration only (`value_wo`, write-only, or `value`); Key Vault holds it, the state never holds
 * `value_wo`.
 */
import { randomBytes } from 'node:crypto';
import { secretValueRefusal } from '../../azure/key-vault-rules';
import {
  type CloudStoreData,
  dataActionAllowed,
  purgeTime,
  type StoredDeletedSecret,
  type StoredKeyVault,
  sameId,
} from '../../core/cloud-store';
import { type Attributes, AzureError, type HandlerContext, type ResourceHandler } from '../handler';
import {
  armTarget,
  asSet,
  bool,
  cloudStore,
  featureBlock,
  required,
  resolve,
  str,
  stringMap,
  tagsValue,
} from './common';
import { InvalidIdError, parseNestedItemId } from './resource-ids';

export const azurermKeyVaultSecret: ResourceHandler = {
  async create({ planned, config, context }) {
    const name = required(planned, 'name');
    const value = secretValue(config);
    const recover = bool(featureBlock(context, 'key_vault').recover_soft_deleted_secrets, true);
    const secret = cloudStore().update((data) => {
      const { vault, principalId } = dataPlane(data, required(planned, 'key_vault_id'), context);
      // The existence check: GET as the deployer.
      authorize(data, vault, principalId, 'getSecret', name, 'GetSecret');
      if (vault.secrets.some((s) => s.name.toLowerCase() === name.toLowerCase())) {
        throw new AzureError(
          'SecretExists',
          `Secret "${name}" already exists - to be managed via Terraform this resource needs to be imported into the State. Please see the resource documentation for "azurerm_key_vault_secret" for more information.`,
        );
      }
      authorize(data, vault, principalId, 'setSecret', name, 'SetSecret');
      // A deleted, recoverable secret keeps its name: SetSecret answers 409; azurerm recovers it when the features
      // block allows, then sets the value again (key_vault_secret_resource.go, resourceKeyVaultSecretCreate).
      const deleted = liveDeletedSecrets(vault).find(
        (s) => s.name.toLowerCase() === name.toLowerCase(),
      );
      if (deleted) {
        if (!recover) throw deletedSecretConflict(name);
        authorize(data, vault, principalId, 'recover', name, 'RecoverDeletedSecret');
        const { deletedAt: _deletedAt, scheduledPurgeAt: _purgeAt, ...recovered } = deleted;
        vault.deletedSecrets = (vault.deletedSecrets ?? []).filter((s) => s !== deleted);
        vault.secrets = [...vault.secrets, recovered];
      }
      return setSecret(vault, name, value, planned);
    });
    return resolve(
      { ...planned, value_wo: null },
      stateOf(secret.vault, secret.name, secret.version),
    );
  },
  /**
   * What azurerm's Read sets (key_vault_secret_resource.go, resourceKeyVaultSecretRead): the vault found by the id's
   * base URL, then the latest version's name, version, content type, dates and tags. `value` is Key Vault's value
   * unless `value_wo_version` is set (so an import of a write-only secret puts the value in state until the next
   * apply, as on Azure). A secret or vault gone (deleted ones included) is dropped from state.
   */
  async read({ state }) {
    const data = cloudStore().read();
    const { baseUrl, name } = parseNestedItemId(String(state.id));
    const vault = data.keyVaults.find((v) => v.vaultUri.toLowerCase() === baseUrl.toLowerCase());
    const secret = vault?.secrets.find((s) => s.name.toLowerCase() === name.toLowerCase());
    if (!vault || !secret) return null;
    return {
      ...state,
      ...stateOf(vault, secret.name, secret.version),
      id: state.id,
      key_vault_id: vault.id,
      name: secret.name,
      value:
        state.value_wo_version === null || state.value_wo_version === undefined
          ? secret.value
          : null,
      content_type: asSet(secret.contentType ?? '', state, 'content_type', ''),
      tags: tagsValue(secret.tags, state),
    };
  },
  async update({ prior, planned, config, context }) {
    const name = required(planned, 'name');
    // A new value is written only when its version says so (write-only values are never compared).
    const newValue =
      prior.value_wo_version !== planned.value_wo_version ||
      (str(config.value) !== undefined && prior.value !== planned.value);
    const secret = cloudStore().update((data) => {
      const { vault, principalId } = dataPlane(data, required(planned, 'key_vault_id'), context);
      authorize(data, vault, principalId, 'setSecret', name, 'SetSecret');
      const current = vault.secrets.find((s) => s.name.toLowerCase() === name.toLowerCase());
      return setSecret(
        vault,
        name,
        newValue || !current ? secretValue(config) : current.value,
        planned,
      );
    });
    return resolve(
      { ...planned, value_wo: null },
      stateOf(secret.vault, secret.name, secret.version),
    );
  },
  /**
   * Delete, then purge when `purge_soft_deleted_secrets_on_destroy` (default true) says so and the vault has no purge
   * protection (key_vault_secret_resource.go, resourceKeyVaultSecretDelete); otherwise the secret stays deleted but
   * recoverable for the vault's retention days, and its name stays taken.
   */
  async delete({ state, context }) {
    const purge = bool(
      featureBlock(context, 'key_vault').purge_soft_deleted_secrets_on_destroy,
      true,
    );
    cloudStore().update((data) => {
      const vault = data.keyVaults.find((v) => sameId(v.id, String(state.key_vault_id)));
      if (!vault) return;
      const name = String(state.name);
      const { principalId } = dataPlane(data, vault.id, context);
      authorize(data, vault, principalId, 'delete', name, 'DeleteSecret');
      const secret = vault.secrets.find((s) => s.name.toLowerCase() === name.toLowerCase());
      if (!secret) return;
      vault.secrets = vault.secrets.filter((s) => s !== secret);
      if (purge && !vault.purgeProtectionEnabled) {
        authorize(data, vault, principalId, 'purge', name, 'PurgeDeletedSecret');
        return;
      }
      const now = Date.now();
      vault.deletedSecrets = [
        ...liveDeletedSecrets(vault, now),
        {
          ...secret,
          deletedAt: now,
          scheduledPurgeAt: purgeTime(vault.softDeleteRetentionDays, now),
        },
      ];
    });
  },
  // `terraform import` by the versioned data-plane id; the vault is found by its URL (keyvault/internal.go, nestedItemResourceImporter).
  async importState({ id }) {
    try {
      parseNestedItemId(id);
    } catch (err) {
      throw new InvalidIdError(
        `parsing ID ${JSON.stringify(id)} for Key Vault Child import: ${(err as Error).message}`,
      );
    }
    return { id };
  },
};

/** A vault's deleted secrets whose retention has not ended. */
function liveDeletedSecrets(vault: StoredKeyVault, now = Date.now()): StoredDeletedSecret[] {
  return (vault.deletedSecrets ?? []).filter((s) => s.scheduledPurgeAt > now);
}

/** Key Vault's 409 to SetSecret on a deleted, recoverable secret (innererror ObjectIsDeletedButRecoverable). */
function deletedSecretConflict(name: string): AzureError {
  return new AzureError(
    'ObjectIsDeletedButRecoverable',
    `keyvault.BaseClient#SetSecret: Failure responding to request: StatusCode=409 -- Original Error: autorest/azure: Service returned an error. Status=409 Code="Conflict" Message="Secret ${name} is currently in a deleted but recoverable state, and its name cannot be reused; in this state, the secret can only be recovered or purged." InnerError={"code":"ObjectIsDeletedButRecoverable"}`,
    ['name'],
  );
}

function secretValue(config: Attributes): string {
  const value =
    typeof config.value_wo === 'string'
      ? config.value_wo
      : typeof config.value === 'string'
        ? config.value
        : undefined;
  if (value === undefined)
    throw new AzureError('InvalidParameter', 'one of `value` or `value_wo` must be specified', [
      'value_wo',
    ]);
  const refused = secretValueRefusal(String(config.name), value);
  if (refused) {
    // The value itself is never echoed: only its size.
    throw new AzureError(
      refused.code,
      `keyvault.BaseClient#SetSecret: Failure responding to request: StatusCode=${refused.status} -- Original Error: autorest/azure: Service returned an error. Status=${refused.status} Code="${refused.code}" Message="${refused.message}"`,
    );
  }
  return value;
}

function setSecret(vault: StoredKeyVault, name: string, value: string, planned: Attributes) {
  const now = Math.floor(Date.now() / 1000);
  const version = randomBytes(16).toString('hex');
  const existing = vault.secrets.find((s) => s.name.toLowerCase() === name.toLowerCase());
  const secret = {
    name: existing?.name ?? name,
    value,
    version,
    created: existing?.created ?? now,
    updated: now,
    contentType: str(planned.content_type),
    tags: stringMap(planned.tags),
  };
  vault.secrets = [...vault.secrets.filter((s) => s !== existing), secret];
  return { vault, name: secret.name, version };
}

function stateOf(vault: StoredKeyVault, name: string, version: string): Attributes {
  const base = `${vault.vaultUri}secrets/${name}`;
  return {
    id: `${base}/${version}`,
    version,
    versionless_id: base,
    resource_id: `${vault.id}/secrets/${name}/versions/${version}`,
    resource_versionless_id: `${vault.id}/secrets/${name}`,
  };
}

// The vault behind `key_vault_id`, and who calls its data plane: the deployer, with a token of the provider's tenant.
function dataPlane(
  data: CloudStoreData,
  keyVaultId: string,
  context: HandlerContext,
): { vault: StoredKeyVault; principalId: string } {
  const vault = data.keyVaults.find((v) => sameId(v.id, keyVaultId));
  if (!vault)
    throw new AzureError(
      'ResourceNotFound',
      `retrieving base URI for Key Vault ${JSON.stringify(keyVaultId)}: the Key Vault was not found`,
      ['key_vault_id'],
    );
  const { tenantId, principalId } = armTarget(context, data);
  if (!sameId(tenantId, vault.tenantId)) {
    throw new AzureError(
      'Unauthorized',
      `Status=401 Code="Unauthorized" Message="AKV10032: Invalid issuer. Expected one of https://sts.windows.net/${vault.tenantId}/, found https://sts.windows.net/${tenantId}/."`,
    );
  }
  return { vault, principalId };
}

// Key Vault's RBAC check, with the role assignments the data plane has seen so far.
function authorize(
  data: CloudStoreData,
  vault: StoredKeyVault,
  principalId: string,
  action: string,
  name: string,
  operation: string,
): void {
  const scope = `${vault.id}/secrets/${name}`;
  const dataAction = `secrets/${action}/action`;
  if (vault.rbacAuthorizationEnabled && dataActionAllowed(data, principalId, dataAction, scope))
    return;
  const message =
    'Caller is not authorized to perform action on resource.\\r\\n' +
    'If role assignments, deny assignments or role definitions were changed recently, please observe propagation time.\\r\\n' +
    `Caller: appid=${data.deployer.clientId};oid=${principalId};iss=https://sts.windows.net/${vault.tenantId}/\\r\\n` +
    `Action: 'Microsoft.KeyVault/vaults/${dataAction}'\\r\\n` +
    `Resource: '${scope.toLowerCase()}'\\r\\n` +
    'Assignment: (not found)\\r\\nDenyAssignmentId: null\\r\\nDecisionReason: null \\r\\n' +
    `Vault: ${vault.name};location=${vault.location}\\r\\n`;
  const error = `keyvault.BaseClient#${operation}: Failure responding to request: StatusCode=403 -- Original Error: autorest/azure: Service returned an error. Status=403 Code="Forbidden" Message="${message}" InnerError={"code":"ForbiddenByRbac"}`;
  throw new AzureError(
    'ForbiddenByRbac',
    operation === 'GetSecret'
      ? `checking for presence of existing Secret ${JSON.stringify(name)} (Key Vault ${JSON.stringify(vault.vaultUri)}): ${error}`
      : error,
  );
}
