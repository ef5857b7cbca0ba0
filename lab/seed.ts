/**
 * The world a config is deployed into, before the deploy: the tenants and subscriptions it names, and the
 * resources it only reads (an existing cluster, an existing vault with its secrets), as someone else made them.
 */
import type { Config } from '../config/schema';
import {
  addCluster,
  type CloudStoreData,
  clusterSecrets,
  githubRepository,
  guidFrom,
  HOME_SUBSCRIPTION_ID,
  newGuid,
  resourceGroupId,
  sameId,
} from '../local-cloud';

/** Add what `config` expects to exist already; what is there is kept (a re-deploy finds the same world). */
export function seedWorld(
  data: CloudStoreData,
  config: Config,
  existingSecrets: Readonly<Record<string, string>>,
): void {
  const home = data.deployer.homeTenantId;
  const vault = config.keyVault;
  if (vault.tenantId && !data.tenants.includes(vault.tenantId)) data.tenants.push(vault.tenantId);
  // A cross-tenant vault read through an application: the deployer adds its service principal in the vault's
  // tenant, which needs an application admin role there (docs/deploy.md lists it among the deployer's rights).
  if (
    vault.tenantId &&
    vault.tenantId !== home &&
    config.workloads.some((w) => w.identity === 'application')
  ) {
    const roles = data.deployer.directoryRoles[vault.tenantId] ?? [];
    if (!roles.includes('Application Administrator')) {
      Object.assign(data, {
        deployer: {
          ...data.deployer,
          directoryRoles: {
            ...data.deployer.directoryRoles,
            [vault.tenantId]: [...roles, 'Application Administrator'],
          },
        },
      });
    }
  }
  if (
    vault.subscriptionId &&
    !data.subscriptions.some((s) => sameId(s.id, vault.subscriptionId ?? ''))
  ) {
    data.subscriptions.push({ id: vault.subscriptionId, tenantId: vault.tenantId ?? home });
  }
  const group = (subscriptionId: string, name: string) => {
    if (!data.resourceGroups.some((g) => sameId(g.id, resourceGroupId(subscriptionId, name)))) {
      data.resourceGroups.push({
        id: resourceGroupId(subscriptionId, name),
        subscriptionId,
        name,
        location: config.location,
        tags: {},
      });
    }
  };
  if (config.cluster.existing) {
    const rg = config.cluster.resourceGroup ?? config.resourceGroup;
    group(HOME_SUBSCRIPTION_ID, rg);
    const there = data.clusters.some(
      (c) => c.name === config.cluster.name && c.resourceGroupName === rg,
    );
    if (!there) {
      addCluster(data, {
        subscriptionId: HOME_SUBSCRIPTION_ID,
        resourceGroupName: rg,
        name: config.cluster.name,
        location: config.location,
        tenantId: home,
        dnsPrefix: config.cluster.name.replace(/[^a-zA-Z0-9-]/g, '').slice(0, 54) || 'aks',
        oidcIssuerEnabled: true,
        workloadIdentityEnabled: true,
        secrets: clusterSecrets(),
      });
    }
  }
  if (vault.existing) {
    const name = vault.name;
    if (!name)
      throw new Error(
        'keyVault.existing needs keyVault.name: the local cloud cannot make up a vault to read',
      );
    const subscriptionId = vault.subscriptionId ?? HOME_SUBSCRIPTION_ID;
    const rg = vault.resourceGroup ?? config.resourceGroup;
    group(subscriptionId, rg);
    const id = `${resourceGroupId(subscriptionId, rg)}/providers/Microsoft.KeyVault/vaults/${name}`;
    if (!data.keyVaults.some((v) => sameId(v.id, id))) {
      const now = Math.floor(Date.now() / 1000);
      data.keyVaults.push({
        id,
        subscriptionId,
        resourceGroupName: rg,
        name,
        location: config.location,
        tenantId: vault.tenantId ?? home,
        vaultUri: `https://${name.toLowerCase()}.vault.azure.net/`,
        skuName: 'standard',
        rbacAuthorizationEnabled: true,
        purgeProtectionEnabled: false,
        softDeleteRetentionDays: 90,
        publicNetworkAccessEnabled: true,
        tags: {},
        secrets: Object.entries(existingSecrets).map(([name, value]) => ({
          name,
          value,
          version: newGuid().replaceAll('-', ''),
          created: now,
          updated: now,
          tags: {},
        })),
      });
    }
  }
  const registry = config.registry;
  if (registry?.existing && registry.name) {
    const rg = registry.resourceGroup ?? config.resourceGroup;
    group(HOME_SUBSCRIPTION_ID, rg);
    const id = `${resourceGroupId(HOME_SUBSCRIPTION_ID, rg)}/providers/Microsoft.ContainerRegistry/registries/${registry.name}`;
    if (!data.registries.some((r) => sameId(r.id, id))) {
      data.registries.push({
        id,
        subscriptionId: HOME_SUBSCRIPTION_ID,
        resourceGroupName: rg,
        name: registry.name,
        location: config.location,
        loginServer: `${registry.name.toLowerCase()}.azurecr.io`,
        sku: registry.sku,
        adminEnabled: false,
        tags: {},
        images: [],
      });
    }
  }
  // GitHub holds the deployer's repository: with the ids the config names, a repository with immutable subject claims;
  // without them, one from before them, whose ids nobody wrote down.
  const github = config.deployer?.github;
  if (github && !githubRepository(data, github.repository)) {
    const [owner, name] = github.repository.split('/');
    const idFrom = (seed: string) => Number.parseInt(guidFrom(seed).slice(0, 7), 16) + 1;
    data.githubRepositories = [
      ...(data.githubRepositories ?? []),
      {
        owner,
        name,
        ownerId: github.ownerId ?? idFrom(`github-owner:${owner}`),
        id: github.repositoryId ?? idFrom(`github-repository:${github.repository}`),
        immutableSubjects: github.ownerId !== undefined,
      },
    ];
  }
}
