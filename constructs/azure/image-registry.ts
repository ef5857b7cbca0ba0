import { RoleAssignment } from '@cdktf/provider-azurerm/lib/role-assignment';
import type { Construct } from 'constructs';
import type { Cluster } from './cluster';

/** Role that pulls images from a container registry. */
export const ACR_PULL_ROLE = 'AcrPull';

/** A container registry a cluster pulls from: new (`ContainerRegistry`) or existing (`ExistingContainerRegistry`). */
export interface ImageRegistry {
  /** The registry's name (`az acr build --registry`). */
  readonly registryName: string;
  /** `<name>.azurecr.io`: the prefix of the registry's images. */
  readonly loginServer: string;
  /** `AcrPull` on the registry for the cluster's kubelet identity; returns the assignment. */
  grantPull(cluster: Cluster): RoleAssignment;
}

/** `AcrPull` on the registry `registryId` for the cluster's kubelet identity, as a child of the registry construct. */
export function grantAcrPull(
  registry: Construct,
  registryId: string,
  cluster: Cluster,
): RoleAssignment {
  return new RoleAssignment(registry, `AcrPull-${cluster.clusterName}`, {
    scope: registryId,
    roleDefinitionName: ACR_PULL_ROLE,
    principalId: cluster.kubeletObjectId,
    principalType: 'ServicePrincipal',
  });
}
