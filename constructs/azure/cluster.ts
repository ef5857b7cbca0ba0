import type { ResourceGroupReference } from './resource-group-reference';

/** What federated credentials, outputs and the Kubernetes side need of a cluster, new or existing. */
export interface Cluster {
  /** The issuer URL, with its trailing `/`, that federated credentials must name exactly. */
  readonly oidcIssuerUrl: string;
  /** The cluster's name. */
  readonly clusterName: string;
  /** The resource group the cluster lives in: what `az aks get-credentials` and a cluster data source need. */
  readonly resourceGroup: ResourceGroupReference;
  /** Object id of the kubelet identity: the identity the nodes pull images as (`AcrPull` names it). */
  readonly kubeletObjectId: string;
}
