import { DataAzureadClientConfig } from '@cdktf/provider-azuread/lib/data-azuread-client-config';
import { AzureadProvider } from '@cdktf/provider-azuread/lib/provider';
import { DataAzurermClientConfig } from '@cdktf/provider-azurerm/lib/data-azurerm-client-config';
import {
  AzurermProvider,
  type AzurermProviderFeatures,
} from '@cdktf/provider-azurerm/lib/provider';
import { ResourceGroup } from '@cdktf/provider-azurerm/lib/resource-group';
import { TimeProvider } from '@cdktf/provider-time/lib/provider';
import { type TerraformBackend, TerraformOutput, TerraformStack } from 'cdktf';
import type { Construct } from 'constructs';
import {
  CLUSTER_NAME_OUTPUT,
  outputName,
  REGISTRY_LOGIN_SERVER_OUTPUT,
  REGISTRY_NAME_OUTPUT,
  RESOURCE_GROUP_OUTPUT,
  SUBSCRIPTION_OUTPUT,
  type WorkloadBindings,
} from '../../config/outputs';
import type { Config, WorkloadConfig } from '../../config/schema';
import { terraformIdentifier } from '../../config/terraform-names';
import { AksCluster } from '../azure/aks-cluster';
import { ApplicationIdentity, type ResourceTenant } from '../azure/application-identity';
import type { Cluster } from '../azure/cluster';
import { ContainerRegistry } from '../azure/container-registry';
import { ExistingAksCluster } from '../azure/existing-aks-cluster';
import { ExistingContainerRegistry } from '../azure/existing-container-registry';
import { ExistingKeyVault } from '../azure/existing-key-vault';
import type { FederatedIdentity } from '../azure/federated-identity';
import type { ImageRegistry } from '../azure/image-registry';
import { KeyVault } from '../azure/key-vault';
import type { ResourceGroupReference } from '../azure/resource-group-reference';
import type { SecretVault } from '../azure/secret-vault';
import { WorkloadIdentity } from '../azure/workload-identity';
import { stateBackend } from './state-backend';

/** Properties of an `AzureStack`. */
export interface AzureStackProps {
  /** The validated config. */
  readonly config: Config;
}

/**
 * What `terraform destroy` does to a vault, chosen so that it needs no right beyond the deploy's own.
 *
 * azurerm's default purges the vault on destroy, which needs `Microsoft.KeyVault/locations/deletedVaults/purge/action`
 * at subscription scope. Here destroy leaves the vault and its secrets soft-deleted for `softDeleteRetentionDays`
 * (Azure purges them then), and a deploy of the same config in the same subscription and region recovers them
 * under the same name (the generated name depends on the subscription and the group only).
 * @see https://registry.terraform.io/providers/hashicorp/azurerm/latest/docs/guides/features-block
 */
const FEATURES: AzurermProviderFeatures = {
  keyVault: [
    {
      purgeSoftDeleteOnDestroy: false,
      purgeSoftDeletedSecretsOnDestroy: false,
      recoverSoftDeletedKeyVaults: true,
      recoverSoftDeletedSecrets: true,
    },
  ],
};

/**
 * The Azure side of the lab: AKS, Key Vault and secrets, one identity per `managedIdentity` name, its federated
 * credentials and roles, the resource groups they need, and the outputs the Kubernetes side reads.
 *
 * With `registry`, an Azure Container Registry (new or existing) that the cluster's kubelet identity may pull from.
 *
 * A resource group is created only when something this stack creates lives in it and nothing that exists already
 * does: an existing cluster, vault or registry names a group that exists. Managed identities live in the group named
 * `resourceGroup`, in the vault's tenant.
 *
 * With `keyVault.tenantId` the vault, its resource group and the identities' service principals live in that other
 * tenant (through aliased providers), and the workloads ask that tenant for their tokens. With `keyVault.subscriptionId`
 * alone the vault and its group live in that subscription of the deployer's tenant (an aliased provider too).
 * @see https://learn.microsoft.com/azure/aks/workload-identity-cross-tenant
 */
export class AzureStack extends TerraformStack {
  /** The cluster, new or existing. */
  readonly cluster: Cluster;
  /** The vault, new or existing. */
  readonly keyVault: SecretVault;
  /** The registry the cluster pulls from, new or existing, when the config has one. */
  readonly registry?: ImageRegistry;
  /** Where this stack keeps its state; other stacks read its outputs through it. */
  readonly backend: TerraformBackend;
  private readonly identities = new Map<string, FederatedIdentity>();
  private readonly newIdentity: (workload: WorkloadConfig) => FederatedIdentity;

  constructor(scope: Construct, id: string, props: AzureStackProps) {
    super(scope, id);
    const { config } = props;
    this.backend = stateBackend(this, config.state);
    // value_wo needs Terraform 1.11.
    this.addOverride('terraform.required_version', '>= 1.11.0');
    new AzurermProvider(this, 'azurerm', { features: [FEATURES] });

    const vault = config.keyVault;
    const cluster = config.cluster;
    // The subscription (and tenant) that holds the vault, when it is not the deployer's default one: whenever
    // subscriptionId is set, so that Terraform works where preflight checked the rights.
    const resources =
      vault.tenantId || vault.subscriptionId
        ? new AzurermProvider(this, 'azurerm-resources', {
            alias: 'resources',
            features: [FEATURES],
            tenantId: vault.tenantId,
            subscriptionId: vault.subscriptionId,
          })
        : undefined;
    // Identities follow the vault's tenant only: in the deployer's tenant they stay in the stack's own group.
    const identityProvider = vault.tenantId ? resources : undefined;
    const groupOf = this.resourceGroups(config, resources);
    const clusterGroup = cluster.resourceGroup ?? config.resourceGroup;
    const vaultGroup = vault.resourceGroup ?? config.resourceGroup;

    this.cluster = cluster.existing
      ? new ExistingAksCluster(this, 'Cluster', {
          name: cluster.name,
          resourceGroup: groupOf(clusterGroup, 'Cluster'),
        })
      : new AksCluster(this, 'Cluster', {
          name: cluster.name,
          resourceGroup: groupOf(clusterGroup, 'Cluster'),
          nodeResourceGroup: cluster.nodeResourceGroup,
          nodeCount: cluster.nodeCount,
          vmSize: cluster.vmSize,
          kubernetesVersion: cluster.kubernetesVersion,
          windowsNodePool: cluster.windowsNodePool,
        });

    const deployer = new DataAzurermClientConfig(this, 'Deployer');
    if (config.registry) {
      const registry = config.registry;
      const registryGroup = groupOf(registry.resourceGroup ?? config.resourceGroup, 'Registry');
      this.registry =
        registry.existing && registry.name
          ? new ExistingContainerRegistry(this, 'Registry', {
              name: registry.name,
              resourceGroup: registryGroup,
            })
          : new ContainerRegistry(this, 'Registry', {
              name: registry.name,
              resourceGroup: registryGroup,
              deployer,
              sku: registry.sku,
            });
      this.registry.grantPull(this.cluster);
    }
    if (vault.existing) {
      if (vault.name === undefined)
        throw new Error('keyVault.name is required with keyVault.existing: which vault to read?');
      this.keyVault = new ExistingKeyVault(this, 'KeyVault', {
        name: vault.name,
        resourceGroup: groupOf(vaultGroup, 'Vault', resources),
        provider: resources,
      });
    } else {
      new TimeProvider(this, 'time');
      const keyVault = new KeyVault(this, 'KeyVault', {
        name: vault.name,
        resourceGroup: groupOf(vaultGroup, 'Vault', resources),
        deployer: resources
          ? new DataAzurermClientConfig(this, 'VaultDeployer', { provider: resources })
          : deployer,
        provider: resources,
        skuName: vault.sku,
        softDeleteRetentionDays: vault.softDeleteRetentionDays,
        purgeProtectionEnabled: vault.purgeProtection,
        // A new cluster takes minutes: the secrets wait for it too, which widens the role's propagation window.
        secretsWaitFor: this.cluster instanceof AksCluster ? [this.cluster.resource] : [],
      });
      for (const secret of vault.secrets)
        keyVault.addSecret(secret.name, { version: secret.version });
      this.keyVault = keyVault;
    }

    const applications = config.workloads.some((w) => w.identity === 'application');
    const applicationDeployer = applications ? this.applicationDeployer() : undefined;
    const applicationTenant: ResourceTenant | undefined =
      applications && vault.tenantId ? this.resourceTenant(vault.tenantId) : undefined;
    this.newIdentity = (workload) =>
      workload.identity === 'application'
        ? new ApplicationIdentity(this, `Application-${workload.managedIdentity}`, {
            displayName: workload.managedIdentity,
            // biome-ignore lint/style/noNonNullAssertion: created above whenever a workload has identity: application
            deployer: applicationDeployer!,
            resourceTenant: applicationTenant,
          })
        : new WorkloadIdentity(this, `Identity-${workload.managedIdentity}`, {
            name: workload.managedIdentity,
            // The stack's own group, in the vault's tenant: a managed identity can be used only in its own tenant.
            resourceGroup: groupOf(config.resourceGroup, 'Identity', identityProvider),
            provider: identityProvider,
          });

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
        if (secret === undefined) this.keyVault.grantReadAllSecrets(identity);
        else this.keyVault.secret(secret).grantRead(identity);
      }
      this.addBindingOutputs(workload.name, {
        clientId: identity.clientId,
        tenantId: identity.tenantId,
        vaultUrl: this.keyVault.vaultUrl,
        vaultName: this.keyVault.vaultName,
        oidcIssuerUrl: this.cluster.oidcIssuerUrl,
      });
    }
    new TerraformOutput(this, CLUSTER_NAME_OUTPUT, {
      value: this.cluster.clusterName,
    }).overrideLogicalId(CLUSTER_NAME_OUTPUT);
    if (this.registry) {
      new TerraformOutput(this, REGISTRY_NAME_OUTPUT, {
        value: this.registry.registryName,
      }).overrideLogicalId(REGISTRY_NAME_OUTPUT);
      new TerraformOutput(this, REGISTRY_LOGIN_SERVER_OUTPUT, {
        value: this.registry.loginServer,
      }).overrideLogicalId(REGISTRY_LOGIN_SERVER_OUTPUT);
    }
    // What `az aks get-credentials` and the Kubernetes stack need: the group the cluster really lives in.
    new TerraformOutput(this, RESOURCE_GROUP_OUTPUT, {
      value: this.cluster.resourceGroup.name,
    }).overrideLogicalId(RESOURCE_GROUP_OUTPUT);
    // The subscription the cluster was deployed in: deploy and destroy refuse an outputs file of another one.
    new TerraformOutput(this, SUBSCRIPTION_OUTPUT, {
      value: deployer.subscriptionId,
    }).overrideLogicalId(SUBSCRIPTION_OUTPUT);
  }

  /** The identity of this `managedIdentity` name; throws when no workload of the config names it. */
  identity(name: string): FederatedIdentity {
    const identity = this.identities.get(name);
    if (!identity)
      throw new Error(`no workload of the config has managedIdentity ${JSON.stringify(name)}`);
    return identity;
  }

  /**
   * A function that gives the group of a name in a tenant: created on first use (construct id `ResourceGroup` for
   * the top-level group, `<role>ResourceGroup` for the others), or only referenced when an existing cluster or vault
   * says it exists already.
   */
  private resourceGroups(
    config: Config,
    resources: AzurermProvider | undefined,
  ): (name: string, role: string, provider?: AzurermProvider) => ResourceGroupReference {
    const keyOf = (name: string, provider?: AzurermProvider) =>
      `${provider ? 'resources' : 'home'}/${name.toLowerCase()}`;
    const existing = new Set<string>();
    if (config.cluster.existing)
      existing.add(keyOf(config.cluster.resourceGroup ?? config.resourceGroup));
    if (config.keyVault.existing)
      existing.add(keyOf(config.keyVault.resourceGroup ?? config.resourceGroup, resources));
    if (config.registry?.existing)
      existing.add(keyOf(config.registry.resourceGroup ?? config.resourceGroup));
    const groups = new Map<string, ResourceGroupReference>();
    return (name, role, provider) => {
      const key = keyOf(name, provider);
      const known = groups.get(key);
      if (known) return known;
      const group: ResourceGroupReference = existing.has(key)
        ? { name, location: config.location }
        : new ResourceGroup(
            this,
            !provider && name === config.resourceGroup ? 'ResourceGroup' : `${role}ResourceGroup`,
            { name, location: config.location, provider },
          );
      groups.set(key, group);
      return group;
    };
  }

  /** The azuread provider and the deploying principal it signs in as: the owner of the applications. */
  private applicationDeployer(): DataAzureadClientConfig {
    new AzureadProvider(this, 'azuread', {});
    return new DataAzureadClientConfig(this, 'ApplicationDeployer');
  }

  /** The tenant of a cross-tenant vault, for the service principals of applications. */
  private resourceTenant(tenantId: string): ResourceTenant {
    const provider = new AzureadProvider(this, 'azuread-resources', {
      alias: 'resources',
      tenantId,
    });
    return {
      tenantId,
      provider,
      deployer: new DataAzureadClientConfig(this, 'ResourceTenantDeployer', { provider }),
    };
  }

  private identityOf(workload: WorkloadConfig): FederatedIdentity {
    const identity = this.identities.get(workload.managedIdentity) ?? this.newIdentity(workload);
    this.identities.set(workload.managedIdentity, identity);
    return identity;
  }

  private addBindingOutputs(workload: string, bindings: WorkloadBindings): void {
    for (const key of Object.keys(bindings) as (keyof WorkloadBindings)[]) {
      const name = outputName(workload, key);
      if (!terraformIdentifier.test(name))
        throw new Error(
          `workload name ${JSON.stringify(workload)} gives the output name ${JSON.stringify(name)}, which must be ${terraformIdentifier.description}`,
        );
      new TerraformOutput(this, name, {
        value: bindings[key],
        description: `${key} for workload "${workload}"`,
      }).overrideLogicalId(name);
    }
  }
}
