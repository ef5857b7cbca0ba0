import { AzureadProvider } from '@cdktf/provider-azuread/lib/provider';
import { DataAzurermClientConfig } from '@cdktf/provider-azurerm/lib/data-azurerm-client-config';
import { AzurermProvider } from '@cdktf/provider-azurerm/lib/provider';
import { ResourceGroup } from '@cdktf/provider-azurerm/lib/resource-group';
import { LocalBackend, TerraformOutput, TerraformStack } from 'cdktf';
import type { Construct } from 'constructs';
import {
  CLUSTER_NAME_OUTPUT,
  outputName,
  RESOURCE_GROUP_OUTPUT,
  type WorkloadBindings,
} from '../../config/outputs';
import type { Config, WorkloadConfig } from '../../config/schema';
import { AksCluster } from '../azure/aks-cluster';
import { ApplicationIdentity } from '../azure/application-identity';
import type { Cluster } from '../azure/cluster';
import { ExistingAksCluster } from '../azure/existing-aks-cluster';
import { ExistingKeyVault } from '../azure/existing-key-vault';
import type { FederatedIdentity } from '../azure/federated-identity';
import { KeyVault, type SecretReadGrant } from '../azure/key-vault';
import { WorkloadIdentity } from '../azure/workload-identity';

/** Properties of an `AzureStack`. */
export interface AzureStackProps {
  readonly config: Config;
}

/**
 * The Azure side of the lab: resource group, AKS, Key Vault and secrets, one identity per `managedIdentity` name,
 * its federated credentials and roles, and the outputs the Kubernetes side reads.
 *
 * With `keyVault.tenantId` the vault, its resource group and the identities' service principals live in that other
 * tenant (through aliased providers), and the workloads ask that tenant for their tokens.
 * @see https://learn.microsoft.com/azure/aks/workload-identity-cross-tenant
 */
export class AzureStack extends TerraformStack {
  /** The cluster, new or existing. */
  readonly cluster: Cluster;
  /** The vault, new or existing. */
  readonly keyVault: SecretReadGrant;
  /** Identities by `managedIdentity` name. */
  readonly identities = new Map<string, FederatedIdentity>();
  /** Where this stack keeps its state; other stacks read its outputs through it. */
  readonly backend: LocalBackend;

  constructor(scope: Construct, id: string, props: AzureStackProps) {
    super(scope, id);
    const { config } = props;
    // Relative to the stack's working directory (cdktf.out/stacks/<id>): state stays in the project, no machine path in the JSON.
    this.backend = new LocalBackend(this, { path: `../../../terraform.${id}.tfstate` });
    // value_wo needs Terraform 1.11.
    this.addOverride('terraform.required_version', '>= 1.11.0');
    new AzurermProvider(this, 'azurerm', { features: [{}] });

    const resourceGroup = new ResourceGroup(this, 'ResourceGroup', {
      name: config.resourceGroup,
      location: config.location,
    });
    const vault = config.keyVault;
    // The tenant that holds the vault, when it is not the deployer's default one.
    const resources = vault.tenantId
      ? new AzurermProvider(this, 'azurerm-resources', {
          alias: 'resources',
          features: [{}],
          tenantId: vault.tenantId,
          subscriptionId: vault.subscriptionId,
        })
      : undefined;
    // A group of its own for a new vault named elsewhere, or living in the other tenant (even under the same name).
    const vaultGroup =
      !vault.existing &&
      vault.resourceGroup &&
      (resources || vault.resourceGroup !== config.resourceGroup)
        ? new ResourceGroup(this, 'VaultResourceGroup', {
            name: vault.resourceGroup,
            location: config.location,
            provider: resources,
          })
        : resourceGroup;
    const deployer = new DataAzurermClientConfig(this, 'Deployer');
    const vaultDeployer = resources
      ? new DataAzurermClientConfig(this, 'VaultDeployer', { provider: resources })
      : deployer;
    const applications = config.workloads.some((w) => w.identity === 'application');
    if (applications) new AzureadProvider(this, 'azuread', {});
    const applicationTenant =
      applications && vault.tenantId
        ? {
            tenantId: vault.tenantId,
            provider: new AzureadProvider(this, 'azuread-resources', {
              alias: 'resources',
              tenantId: vault.tenantId,
            }),
          }
        : undefined;
    this.newIdentity = (workload) =>
      workload.identity === 'application'
        ? new ApplicationIdentity(this, `Application-${workload.managedIdentity}`, {
            displayName: workload.managedIdentity,
            resourceTenant: applicationTenant,
          })
        : new WorkloadIdentity(this, `Identity-${workload.managedIdentity}`, {
            // Beside the vault in its tenant; an existing vault's group exists already.
            resourceGroup:
              vault.existing && vault.resourceGroup
                ? { name: vault.resourceGroup, location: config.location }
                : vaultGroup,
            name: workload.managedIdentity,
            provider: resources,
          });
    const cluster = config.cluster;
    this.cluster = cluster.existing
      ? new ExistingAksCluster(this, 'Cluster', {
          name: cluster.name,
          resourceGroupName: cluster.resourceGroup ?? config.resourceGroup,
        })
      : new AksCluster(this, 'Cluster', {
          name: cluster.name,
          resourceGroup,
          nodeCount: cluster.nodeCount,
          vmSize: cluster.vmSize,
          kubernetesVersion: cluster.kubernetesVersion,
          windowsNodePool: cluster.windowsNodePool,
        });
    this.keyVault = vault.existing
      ? new ExistingKeyVault(this, 'KeyVault', {
          name: vault.name,
          resourceGroupName: vault.resourceGroup ?? config.resourceGroup,
          provider: resources,
        })
      : this.newKeyVault(config, vaultGroup, vaultDeployer, resources);

    const trusted = new Set<string>();
    const granted = new Set<string>();
    for (const workload of config.workloads) {
      const identity = this.identityOf(workload);
      const account = `${workload.managedIdentity}|${workload.namespace}|${workload.serviceAccount}`;
      if (!trusted.has(account)) {
        trusted.add(account);
        identity.addFederatedCredential({
          cluster: this.cluster,
          namespace: workload.namespace,
          serviceAccountName: workload.serviceAccount,
        });
      }
      const secret = workload.roleScope === 'secret' ? workload.secret : undefined;
      const grant = `${workload.managedIdentity}|${secret ?? '(vault)'}`;
      if (!granted.has(grant)) {
        granted.add(grant);
        this.keyVault.grantSecretRead(identity, secret);
      }
      this.addBindingOutputs(workload.name, {
        clientId: identity.clientId,
        tenantId: identity.tenantId,
        vaultUrl: this.keyVault.vaultUrl,
        oidcIssuerUrl: this.cluster.oidcIssuerUrl,
      });
    }
    new TerraformOutput(this, CLUSTER_NAME_OUTPUT, {
      value: this.cluster.clusterName,
    }).overrideLogicalId(CLUSTER_NAME_OUTPUT);
    // The cluster's group (az aks get-credentials): an existing cluster may live in another one.
    const clusterGroup = cluster.existing
      ? (cluster.resourceGroup ?? config.resourceGroup)
      : resourceGroup.name;
    new TerraformOutput(this, RESOURCE_GROUP_OUTPUT, { value: clusterGroup }).overrideLogicalId(
      RESOURCE_GROUP_OUTPUT,
    );
  }

  private readonly newIdentity: (workload: WorkloadConfig) => FederatedIdentity;

  private newKeyVault(
    config: Config,
    resourceGroup: ResourceGroup,
    deployer: DataAzurermClientConfig,
    provider?: AzurermProvider,
  ): KeyVault {
    const vault = new KeyVault(this, 'KeyVault', {
      name: config.keyVault.name,
      resourceGroup,
      deployer,
      provider,
      skuName: config.keyVault.sku,
      softDeleteRetentionDays: config.keyVault.softDeleteRetentionDays,
      purgeProtectionEnabled: config.keyVault.purgeProtection,
    });
    for (const secret of config.keyVault.secrets)
      vault.addSecret(secret.name, { version: secret.version });
    return vault;
  }

  private identityOf(workload: WorkloadConfig): FederatedIdentity {
    const identity = this.identities.get(workload.managedIdentity) ?? this.newIdentity(workload);
    this.identities.set(workload.managedIdentity, identity);
    return identity;
  }

  private addBindingOutputs(workload: string, bindings: WorkloadBindings): void {
    for (const key of Object.keys(bindings) as (keyof WorkloadBindings)[]) {
      const name = outputName(workload, key);
      new TerraformOutput(this, name, {
        value: bindings[key],
        description: `${key} for workload "${workload}"`,
      }).overrideLogicalId(name);
    }
  }
}
