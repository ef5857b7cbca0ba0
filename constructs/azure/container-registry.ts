import { ContainerRegistry as ContainerRegistryResource } from '@cdktf/provider-azurerm/lib/container-registry';
import type { DataAzurermClientConfig } from '@cdktf/provider-azurerm/lib/data-azurerm-client-config';
import type { RoleAssignment } from '@cdktf/provider-azurerm/lib/role-assignment';
import { Fn, Token } from 'cdktf';
import { Construct } from 'constructs';
import {
  containerRegistryName,
  GENERATED_REGISTRY_NAME_HASH_LENGTH,
  GENERATED_REGISTRY_NAME_PREFIX,
} from '../../config/container-registry';
import type { Cluster } from './cluster';
import { grantAcrPull, type ImageRegistry } from './image-registry';
import type { ResourceGroupReference } from './resource-group-reference';

/** Properties of a `ContainerRegistry`. */
export interface ContainerRegistryProps {
  /**
   * Globally unique registry name (`<name>.azurecr.io`).
   * @default - "wiacr" and 16 hex digits of the SHA-1 of the deployer's subscription id and the resource group's
   * name, computed by Terraform at plan time: different in every subscription, the same on every re-deploy
   */
  readonly name?: string;
  /** The group the registry lives in. */
  readonly resourceGroup: ResourceGroupReference;
  /** The deploying principal: its subscription names a generated registry. */
  readonly deployer: DataAzurermClientConfig;
  /** @default "Basic" - enough for a lab's few images */
  readonly sku?: string;
}

/**
 * An Azure Container Registry that the project's program is built into (`az acr build`, no local Docker), pulled by
 * the cluster's kubelet identity. Admin user off: pulls go through Entra, never a shared password.
 * @see https://learn.microsoft.com/azure/aks/cluster-container-registry-integration
 */
export class ContainerRegistry extends Construct implements ImageRegistry {
  /** The `azurerm_container_registry` resource. */
  readonly resource: ContainerRegistryResource;
  readonly registryName: string;
  readonly loginServer: string;

  constructor(scope: Construct, id: string, props: ContainerRegistryProps) {
    super(scope, id);
    if (
      props.name !== undefined &&
      !Token.isUnresolved(props.name) &&
      !containerRegistryName.test(props.name)
    ) {
      throw new Error(
        `registry name ${JSON.stringify(props.name)} must be ${containerRegistryName.description}`,
      );
    }
    const seed = Fn.lower(Fn.join('/', [props.deployer.subscriptionId, props.resourceGroup.name]));
    this.resource = new ContainerRegistryResource(this, 'Resource', {
      name:
        props.name ??
        `${GENERATED_REGISTRY_NAME_PREFIX}${Fn.substr(Fn.sha1(seed), 0, GENERATED_REGISTRY_NAME_HASH_LENGTH)}`,
      location: props.resourceGroup.location,
      resourceGroupName: props.resourceGroup.name,
      sku: props.sku ?? 'Basic',
      adminEnabled: false,
    });
    this.registryName = this.resource.name;
    this.loginServer = this.resource.loginServer;
  }

  grantPull(cluster: Cluster): RoleAssignment {
    return grantAcrPull(this, this.resource.id, cluster);
  }
}
