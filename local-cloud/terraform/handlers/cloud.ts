/**
 * The handlers backed by the local cloud's store, by Terraform type name: every resource and data source of
 * azurerm, azuread and kubernetes the project synthesizes.
 */
import { PROVIDER_FACTS } from '../facts';
import type { DataSourceHandler, ResourceHandler } from '../handler';
import {
  azureadApplication,
  azureadApplicationFederatedIdentityCredential,
  azureadClientConfig,
  azureadServicePrincipal,
} from './azuread';
import { azurermClientConfig } from './azurerm-client-config';
import {
  azurermContainerRegistry,
  dataAzurermContainerRegistry,
} from './azurerm-container-registry';
import { azurermFederatedIdentityCredential } from './azurerm-federated-identity-credential';
import { azurermKeyVault, dataAzurermKeyVault } from './azurerm-key-vault';
import { azurermKeyVaultSecret } from './azurerm-key-vault-secret';
import {
  azurermKubernetesCluster,
  azurermKubernetesClusterNodePool,
  dataAzurermKubernetesCluster,
} from './azurerm-kubernetes-cluster';
import { azurermResourceGroup } from './azurerm-resource-group';
import { azurermRoleAssignment } from './azurerm-role-assignment';
import { azurermStorageAccount, azurermStorageContainer } from './azurerm-storage-account';
import { azurermUserAssignedIdentity } from './azurerm-user-assigned-identity';
import { known } from './common';
import { kubernetesManifest } from './kubernetes-manifest';

/**
 * What a handler returns is cut to the attributes the schema has: Terraform's values carry every one of them. An
 * argument that is still null holds its `Default` (from the facts): what Azure holds when nobody set it, and what the
 * planner planned for it, so an import (whose state is the id alone) reads as a deploy left it.
 */
function schemaBound(type: string, handler: ResourceHandler): ResourceHandler {
  const facts = PROVIDER_FACTS[type.split('_')[0] as string]?.resources[type]?.attributes ?? {};
  return {
    ...handler,
    read: async (args) => {
      const state = await handler.read(args);
      if (!state) return null;
      const bound = known(args.state, state);
      for (const [name, fact] of Object.entries(facts))
        if (
          !name.includes('.') &&
          fact.default !== undefined &&
          (bound[name] ?? null) === null &&
          name in bound
        )
          bound[name] = fact.default;
      return bound;
    },
  };
}

function dataSchemaBound(handler: DataSourceHandler): DataSourceHandler {
  return { read: async (args) => known(args.config, await handler.read(args)) };
}

const RESOURCES: Readonly<Record<string, ResourceHandler>> = {
  azurerm_resource_group: azurermResourceGroup,
  azurerm_kubernetes_cluster: azurermKubernetesCluster,
  azurerm_kubernetes_cluster_node_pool: azurermKubernetesClusterNodePool,
  azurerm_user_assigned_identity: azurermUserAssignedIdentity,
  azurerm_federated_identity_credential: azurermFederatedIdentityCredential,
  azurerm_role_assignment: azurermRoleAssignment,
  azurerm_key_vault: azurermKeyVault,
  azurerm_key_vault_secret: azurermKeyVaultSecret,
  azurerm_container_registry: azurermContainerRegistry,
  azurerm_storage_account: azurermStorageAccount,
  azurerm_storage_container: azurermStorageContainer,
  azuread_application: azureadApplication,
  azuread_service_principal: azureadServicePrincipal,
  azuread_application_federated_identity_credential: azureadApplicationFederatedIdentityCredential,
  kubernetes_manifest: kubernetesManifest,
};

const DATA_SOURCES: Readonly<Record<string, DataSourceHandler>> = {
  azurerm_client_config: azurermClientConfig,
  azurerm_kubernetes_cluster: dataAzurermKubernetesCluster,
  azurerm_key_vault: dataAzurermKeyVault,
  azurerm_container_registry: dataAzurermContainerRegistry,
  azuread_client_config: azureadClientConfig,
};

export const CLOUD_RESOURCE_HANDLERS: Readonly<Record<string, ResourceHandler>> =
  Object.fromEntries(
    Object.entries(RESOURCES).map(([type, handler]) => [type, schemaBound(type, handler)]),
  );

export const CLOUD_DATA_SOURCE_HANDLERS: Readonly<Record<string, DataSourceHandler>> =
  Object.fromEntries(
    Object.entries(DATA_SOURCES).map(([type, handler]) => [type, dataSchemaBound(handler)]),
  );
