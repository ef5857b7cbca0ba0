import { KubernetesCluster } from '@cdktf/provider-azurerm/lib/kubernetes-cluster';
import { KubernetesClusterNodePool } from '@cdktf/provider-azurerm/lib/kubernetes-cluster-node-pool';
import type { ResourceGroup } from '@cdktf/provider-azurerm/lib/resource-group';
import { Token } from 'cdktf';
import { Construct } from 'constructs';
import { aksClusterName } from '../../config/rules';
import type { Cluster } from './cluster';

/** Properties of an `AksCluster`. */
export interface AksClusterProps {
  /** Cluster name; also its DNS prefix. */
  readonly name: string;
  readonly resourceGroup: ResourceGroup;
  /** @default 1 - the lab's single system node */
  readonly nodeCount?: number;
  /** @default "Standard_D2s_v5" */
  readonly vmSize?: string;
  /** @default - AKS's current default version */
  readonly kubernetesVersion?: string;
  /** Add a Windows node pool for Windows workloads. @default - Linux nodes only */
  readonly windowsNodePool?: { readonly vmSize?: string; readonly nodeCount?: number };
}

/**
 * An AKS cluster that issues service-account tokens Microsoft Entra can trust.
 *
 * The OIDC issuer and the workload identity webhook are always on: they are why this construct exists.
 * @see https://learn.microsoft.com/azure/aks/workload-identity-deploy-cluster
 */
export class AksCluster extends Construct implements Cluster {
  /** The `azurerm_kubernetes_cluster` resource. */
  readonly resource: KubernetesCluster;
  /** The issuer URL, with its trailing `/`, that federated credentials must name exactly. */
  readonly oidcIssuerUrl: string;
  /** The cluster's name. */
  readonly clusterName: string;
  /** The Windows node pool, when asked for. */
  readonly windowsNodePool?: KubernetesClusterNodePool;

  constructor(scope: Construct, id: string, props: AksClusterProps) {
    super(scope, id);
    if (!Token.isUnresolved(props.name) && !aksClusterName.test(props.name)) {
      throw new Error(
        `cluster name ${JSON.stringify(props.name)} must be ${aksClusterName.description}`,
      );
    }
    this.clusterName = props.name;
    this.resource = new KubernetesCluster(this, 'Resource', {
      name: props.name,
      location: props.resourceGroup.location,
      resourceGroupName: props.resourceGroup.name,
      dnsPrefix: props.name,
      kubernetesVersion: props.kubernetesVersion,
      oidcIssuerEnabled: true,
      workloadIdentityEnabled: true,
      roleBasedAccessControlEnabled: true,
      // Patch releases and node images are security fixes: take them without a human in the loop.
      automaticUpgradeChannel: 'patch',
      nodeOsUpgradeChannel: 'NodeImage',
      imageCleanerEnabled: true,
      imageCleanerIntervalHours: 48,
      defaultNodePool: {
        name: 'system',
        nodeCount: props.nodeCount ?? 1,
        vmSize: props.vmSize ?? 'Standard_D2s_v5',
        osDiskType: 'Managed',
        upgradeSettings: { maxSurge: '10%' },
      },
      identity: { type: 'SystemAssigned' },
      networkProfile: { networkPlugin: 'azure', networkPolicy: 'azure' },
    });
    this.oidcIssuerUrl = this.resource.oidcIssuerUrl;
    if (props.windowsNodePool) {
      // AKS generates the Windows admin credentials when windows_profile is left out: none pass through Terraform state.
      this.windowsNodePool = new KubernetesClusterNodePool(this, 'WindowsPool', {
        name: 'win', // Windows pool names are at most 6 characters
        kubernetesClusterId: this.resource.id,
        osType: 'Windows',
        osSku: 'Windows2022',
        vmSize: props.windowsNodePool.vmSize ?? 'Standard_D4s_v5',
        nodeCount: props.windowsNodePool.nodeCount ?? 1,
      });
    }
  }
}
