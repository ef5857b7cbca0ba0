/**
 * `azurerm_key_vault_secret` through Key Vault's data plane, as the deployer.
 *
 * Create first GETs the secret (is it there already?) and fails on any answer but 404, with no retry on 403: a role
 * assignment that has not yet reached the data plane fails the apply with `ForbiddenByRbac`, as on Azure. The value
 * comes from the configuration only (`value_wo`, write-only, or `value`); Key Vault holds it, the state never holds
 * `value_wo`.
 */
import { randomBytes } from 'node:crypto';
import {
  type CloudStoreData,
  dataActionAllowed,
  type StoredKeyVault,
  sameId,
} from '../../cloud-store';
import { secretValueRefusal } from '../../key-vault-rules';
import { type Attributes, AzureError, type HandlerContext, type ResourceHandler } from '../handler';
import { armTarget, cloudStore, required, resolve, str, stringMap } from './common';

export const azurermKeyVaultSecret: ResourceHandler = {
  async create({ planned, config, context }) {
    const name = required(planned, 'name');
    const value = secretValue(config);
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
      return setSecret(vault, name, value, planned);
    });
    return resolve(
      { ...planned, value_wo: null },
      stateOf(secret.vault, secret.name, secret.version),
    );
  },
  async read({ state }) {
    const data = cloudStore().read();
    const vault = data.keyVaults.find((v) => sameId(v.id, String(state.key_vault_id)));
    const secret = vault?.secrets.find(
      (s) => s.name.toLowerCase() === String(state.name).toLowerCase(),
    );
    if (!vault || !secret) return null;
    return {
      ...state,
      ...stateOf(vault, secret.name, secret.version),
      content_type: secret.contentType ?? state.content_type ?? null,
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
  async delete({ state, context }) {
    cloudStore().update((data) => {
      const vault = data.keyVaults.find((v) => sameId(v.id, String(state.key_vault_id)));
      if (!vault) return;
      const { principalId } = dataPlane(data, vault.id, context);
      authorize(data, vault, principalId, 'delete', String(state.name), 'DeleteSecret');
      // With `features {}`, azurerm purges the deleted secret: nothing is left.
      vault.secrets = vault.secrets.filter(
        (s) => s.name.toLowerCase() !== String(state.name).toLowerCase(),
      );
    });
  },
};

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
