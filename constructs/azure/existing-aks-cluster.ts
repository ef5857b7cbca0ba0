import { DataAzurermKubernetesCluster } from '@cdktf/provider-azurerm/lib/data-azurerm-kubernetes-cluster';
import { Construct } from 'constructs';
import type { Cluster } from './cluster';
import type { ResourceGroupReference } from './resource-group-reference';

/** Properties of an `ExistingAksCluster`. */
export interface ExistingAksClusterProps {
  /** The cluster's name. */
  readonly name: string;
  /** The group the cluster lives in. */
  readonly resourceGroup: ResourceGroupReference;
}

/**
 * An AKS cluster this stack reads but does not own ("a new or existing AKS cluster").
 *
 * `terraform plan` fails with a clear message when its OIDC issuer is off, before any credential trusts an empty issuer.
 * The azurerm data source does not expose whether the workload identity webhook is on: `az aks update
 * --enable-workload-identity` is the fix when pods get no AZURE_CLIENT_ID.
 * @see https://learn.microsoft.com/azure/aks/workload-identity-deploy-cluster#update-an-existing-aks-cluster
 */
export class ExistingAksCluster extends Construct implements Cluster {
  /** The `azurerm_kubernetes_cluster` data source. */
  readonly resource: DataAzurermKubernetesCluster;
  readonly oidcIssuerUrl: string;
  readonly clusterName: string;
  readonly resourceGroup: ResourceGroupReference;
  readonly kubeletObjectId: string;

  constructor(scope: Construct, id: string, props: ExistingAksClusterProps) {
    super(scope, id);
    this.clusterName = props.name;
    this.resourceGroup = props.resourceGroup;
    const group = props.resourceGroup.name;
    this.resource = new DataAzurermKubernetesCluster(this, 'Resource', {
      name: props.name,
      resourceGroupName: group,
      lifecycle: {
        postcondition: [
          {
            condition: '${self.oidc_issuer_enabled && self.oidc_issuer_url != ""}',
            errorMessage: `AKS cluster ${props.name} has no OIDC issuer: run "az aks update -g ${group} -n ${props.name} --enable-oidc-issuer --enable-workload-identity" first.`,
          },
        ],
      },
    });
    this.oidcIssuerUrl = this.resource.oidcIssuerUrl;
    this.kubeletObjectId = this.resource.kubeletIdentity.get(0).objectId;
  }
}
