import { DataAzurermContainerRegistry } from '@cdktf/provider-azurerm/lib/data-azurerm-container-registry';
import type { RoleAssignment } from '@cdktf/provider-azurerm/lib/role-assignment';
import { Construct } from 'constructs';
import type { Cluster } from './cluster';
import { grantAcrPull, type ImageRegistry } from './image-registry';
import type { ResourceGroupReference } from './resource-group-reference';

/** Properties of an `ExistingContainerRegistry`. */
export interface ExistingContainerRegistryProps {
  /** The registry's name. */
  readonly name: string;
  /** The group the registry lives in. */
  readonly resourceGroup: ResourceGroupReference;
}

/** A container registry this stack reads but does not own; the cluster is only granted to pull from it. */
export class ExistingContainerRegistry extends Construct implements ImageRegistry {
  /** The `azurerm_container_registry` data source. */
  readonly resource: DataAzurermContainerRegistry;
  readonly registryName: string;
  readonly loginServer: string;

  constructor(scope: Construct, id: string, props: ExistingContainerRegistryProps) {
    super(scope, id);
    this.registryName = props.name;
    this.resource = new DataAzurermContainerRegistry(this, 'Resource', {
      name: props.name,
      resourceGroupName: props.resourceGroup.name,
    });
    this.loginServer = this.resource.loginServer;
  }

  grantPull(cluster: Cluster): RoleAssignment {
    return grantAcrPull(this, this.resource.id, cluster);
  }
}
