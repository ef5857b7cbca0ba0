import { KubernetesCluster } from '@cdktf/provider-azurerm/lib/kubernetes-cluster';
import { KubernetesClusterNodePool } from '@cdktf/provider-azurerm/lib/kubernetes-cluster-node-pool';
import { Token } from 'cdktf';
import { Construct } from 'constructs';
import { aksDnsPrefix, windows2022VersionProblem } from '../../config/aks';
import {
  aksClusterName,
  aksNodeResourceGroup,
  defaultNodeResourceGroup,
  MAX_NODE_RESOURCE_GROUP_LENGTH,
} from '../../config/rules';
import type { Cluster } from './cluster';
import type { ResourceGroupReference } from './resource-group-reference';

/** Properties of the Windows node pool of an `AksCluster`. */
export interface WindowsNodePoolProps {
  /** @default "Standard_D4s_v5" - Windows nodes need more memory than the Linux system pool */
  readonly vmSize?: string;
  /** @default 1 */
  readonly nodeCount?: number;
}

/** Properties of an `AksCluster`. */
export interface AksClusterProps {
  /** The cluster's name. */
  readonly name: string;
  /** The group the cluster lives in. */
  readonly resourceGroup: ResourceGroupReference;
  /**
   * First label of the API server's host name.
   * @default - the cluster name with "_" as "-", cut to 54 characters (the rule azurerm checks)
   */
  readonly dnsPrefix?: string;
  /**
   * The resource group AKS creates for the nodes (at most 80 characters).
   * @default - AKS's `MC_<group>_<cluster>_<location>`, refused here when it is over 80 characters
   */
  readonly nodeResourceGroup?: string;
  /** @default 1 - the lab's single system node */
  readonly nodeCount?: number;
  /** Changing it replaces the nodes through a temporary pool, not the cluster. @default "Standard_D2s_v5" */
  readonly vmSize?: string;
  /**
   * The version the cluster is created with. The patch channel upgrades it afterwards, so Terraform ignores the
   * difference that follows: a minor upgrade is `az aks upgrade`.
   * @default - AKS's current default version
   */
  readonly kubernetesVersion?: string;
  /** Add a Windows Server 2022 node pool for Windows workloads. @default - Linux nodes only */
  readonly windowsNodePool?: WindowsNodePoolProps;
}

/** Temporary pool names while a pool's VM size changes: lowercase letters and digits, at most 12 (6 on Windows). */
const ROTATION_POOL_NAME = 'systemtmp';
const WINDOWS_ROTATION_POOL_NAME = 'wintmp';
/** The surge AKS sets itself when none is given: stating it keeps plans free of a diff after every upgrade. */
const MAX_SURGE = '10%';

/**
 * An AKS cluster that issues service-account tokens Microsoft Entra can trust.
 *
 * The OIDC issuer and the workload identity webhook are always on: they are why this construct exists.
 * @see https://learn.microsoft.com/azure/aks/workload-identity-deploy-cluster
 */
export class AksCluster extends Construct implements Cluster {
  /** The `azurerm_kubernetes_cluster` resource. */
  readonly resource: KubernetesCluster;
  readonly oidcIssuerUrl: string;
  readonly clusterName: string;
  readonly resourceGroup: ResourceGroupReference;
  readonly kubeletObjectId: string;
  /** The API server's DNS prefix. */
  readonly dnsPrefix: string;
  /** The node resource group name the config set; undefined: AKS's own. */
  readonly nodeResourceGroup?: string;
  /** The Windows node pool, when asked for. */
  readonly windowsNodePool?: KubernetesClusterNodePool;

  constructor(scope: Construct, id: string, props: AksClusterProps) {
    super(scope, id);
    if (!Token.isUnresolved(props.name) && !aksClusterName.test(props.name)) {
      throw new Error(
        `cluster name ${JSON.stringify(props.name)} must be ${aksClusterName.description}`,
      );
    }
    this.dnsPrefix = props.dnsPrefix ?? dnsPrefixOf(props.name);
    if (!Token.isUnresolved(this.dnsPrefix) && !aksDnsPrefix.test(this.dnsPrefix)) {
      throw new Error(
        `dnsPrefix ${JSON.stringify(this.dnsPrefix)} must be ${aksDnsPrefix.description}`,
      );
    }
    const version = props.kubernetesVersion;
    const windowsProblem =
      props.windowsNodePool && (version === undefined || !Token.isUnresolved(version))
        ? windows2022VersionProblem(version)
        : undefined;
    if (windowsProblem) throw new Error(`windowsNodePool: ${windowsProblem}`);
    this.nodeResourceGroup = props.nodeResourceGroup;
    if (this.nodeResourceGroup !== undefined) {
      if (
        !Token.isUnresolved(this.nodeResourceGroup) &&
        !aksNodeResourceGroup.test(this.nodeResourceGroup)
      )
        throw new Error(
          `nodeResourceGroup ${JSON.stringify(this.nodeResourceGroup)} must be ${aksNodeResourceGroup.description}`,
        );
    } else {
      const generated = defaultNodeResourceGroup(
        props.resourceGroup.name,
        props.name,
        props.resourceGroup.location,
      );
      if (!Token.isUnresolved(generated) && generated.length > MAX_NODE_RESOURCE_GROUP_LENGTH)
        throw new Error(
          `AKS would name the node resource group ${JSON.stringify(generated)}, ${generated.length} characters: at most ${MAX_NODE_RESOURCE_GROUP_LENGTH} are allowed; set nodeResourceGroup`,
        );
    }
    this.clusterName = props.name;
    this.resourceGroup = props.resourceGroup;
    this.resource = new KubernetesCluster(this, 'Resource', {
      name: props.name,
      location: props.resourceGroup.location,
      resourceGroupName: props.resourceGroup.name,
      dnsPrefix: this.dnsPrefix,
      nodeResourceGroup: this.nodeResourceGroup,
      kubernetesVersion: version,
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
        // A new VM size moves the system pool through a temporary one instead of failing the update.
        temporaryNameForRotation: ROTATION_POOL_NAME,
        osDiskType: 'Managed',
        upgradeSettings: { maxSurge: MAX_SURGE },
      },
      identity: { type: 'SystemAssigned' },
      networkProfile: { networkPlugin: 'azure', networkPolicy: 'azure' },
      // The patch channel moves a pinned version forward: without this, every plan after an upgrade would try to
      // set it back, which AKS refuses (no downgrades).
      lifecycle: version === undefined ? undefined : { ignoreChanges: ['kubernetes_version'] },
    });
    this.oidcIssuerUrl = this.resource.oidcIssuerUrl;
    this.kubeletObjectId = this.resource.kubeletIdentity.objectId;
    if (props.windowsNodePool) {
      // AKS generates the Windows admin credentials when windows_profile is left out: none pass through Terraform state.
      this.windowsNodePool = new KubernetesClusterNodePool(this, 'WindowsPool', {
        name: 'win', // Windows pool names are at most 6 characters
        kubernetesClusterId: this.resource.id,
        osType: 'Windows',
        osSku: 'Windows2022',
        vmSize: props.windowsNodePool.vmSize ?? 'Standard_D4s_v5',
        nodeCount: props.windowsNodePool.nodeCount ?? 1,
        temporaryNameForRotation: WINDOWS_ROTATION_POOL_NAME,
        upgradeSettings: { maxSurge: MAX_SURGE },
      });
    }
  }
}

/** A DNS prefix from a cluster name, which may hold "_" and 63 characters where the prefix may not. */
function dnsPrefixOf(clusterName: string): string {
  if (Token.isUnresolved(clusterName)) return clusterName;
  const prefix = clusterName.replaceAll('_', '-').slice(0, 54).replace(/-+$/, '');
  // A one-character cluster name: the prefix needs two.
  return prefix.length < 2 ? `${prefix}-aks` : prefix;
}
