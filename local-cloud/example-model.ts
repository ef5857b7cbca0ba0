/**
 * A small hand-written world for tests and demos of the local cloud: one tenant, one AKS cluster, one identity
 * federated with one service account, one vault whose `username` secret that identity may read, and one container
 * registry holding the project's image, which the cluster's kubelet identity may pull.
 */

import type { CloudModel } from './core/model';
import type { Pod, ServiceAccount } from './kubernetes/objects';

/** Fixed ids of the example, so tests can name them. */
export const EXAMPLE = {
  tenantId: 'c0ffee00-0000-4000-8000-000000000001',
  subscriptionId: '5c1d2b6e-0000-4000-8000-000000000002',
  oidcIssuerUrl:
    'https://westeurope.oic.prod-aks.azure.com/c0ffee00-0000-4000-8000-000000000001/0b2c4d6e-0000-4000-8000-000000000003/',
  clientId: '9a8b7c6d-0000-4000-8000-000000000004',
  principalId: '1f2e3d4c-0000-4000-8000-000000000005',
  namespace: 'workload-id-test',
  serviceAccountName: 'workload-id-sa',
  vaultName: 'kv-wi-demo-7f3a',
  vaultUrl: 'https://kv-wi-demo-7f3a.vault.azure.net/',
  vaultId:
    '/subscriptions/5c1d2b6e-0000-4000-8000-000000000002/resourceGroups/rg-wi-demo/providers/Microsoft.KeyVault/vaults/kv-wi-demo-7f3a',
  /** Object id of the cluster's kubelet identity, which pulls images. */
  kubeletPrincipalId: '7e6d5c4b-0000-4000-8000-000000000006',
  registryId:
    '/subscriptions/5c1d2b6e-0000-4000-8000-000000000002/resourceGroups/rg-wi-demo/providers/Microsoft.ContainerRegistry/registries/acrwidemo7f3a',
  /** The project's program, as `az acr build` pushed it to the example registry. */
  appImage: 'acrwidemo7f3a.azurecr.io/workload-id-app:0.1.0',
  appImageDigest: `sha256:${'5e'.repeat(32)}`,
  /** A public image every cluster can pull: the workload identity project's Go sample. */
  sampleImage: 'ghcr.io/azure/azure-workload-identity/msal-go:latest',
} as const;

/**
 * The example model; `overrides` replace whole top-level fields (e.g. `roleAssignments`) to make a broken variant.
 *
 * The vault also holds `password`, which the identity may not read.
 */
export function exampleModel(overrides: Partial<CloudModel> = {}): CloudModel {
  return {
    tenantId: EXAMPLE.tenantId,
    subscriptionId: EXAMPLE.subscriptionId,
    clusters: [
      {
        name: 'aks-wi-demo',
        oidcIssuerUrl: EXAMPLE.oidcIssuerUrl,
        kubeletPrincipalId: EXAMPLE.kubeletPrincipalId,
      },
    ],
    identities: [
      {
        address: 'azurerm_user_assigned_identity.workload_Resource_1A2B3C4D',
        name: 'id-wi-demo',
        clientId: EXAMPLE.clientId,
        principalId: EXAMPLE.principalId,
        tenantId: EXAMPLE.tenantId,
      },
    ],
    federatedCredentials: [
      {
        name: 'fic-workload-id-sa',
        clientId: EXAMPLE.clientId,
        issuer: EXAMPLE.oidcIssuerUrl,
        subject: `system:serviceaccount:${EXAMPLE.namespace}:${EXAMPLE.serviceAccountName}`,
        audiences: ['api://AzureADTokenExchange'],
      },
    ],
    roleAssignments: [
      {
        principalId: EXAMPLE.principalId,
        roleDefinitionName: 'Key Vault Secrets User',
        scope: `${EXAMPLE.vaultId}/secrets/username`,
      },
      {
        principalId: EXAMPLE.kubeletPrincipalId,
        roleDefinitionName: 'AcrPull',
        scope: EXAMPLE.registryId,
      },
    ],
    keyVaults: [
      {
        name: EXAMPLE.vaultName,
        id: EXAMPLE.vaultId,
        vaultUri: EXAMPLE.vaultUrl,
        tenantId: EXAMPLE.tenantId,
        secrets: new Map([
          ['username', 'admin'],
          ['password', 'not-for-this-identity'],
        ]),
      },
    ],
    registries: [
      {
        id: EXAMPLE.registryId,
        loginServer: 'acrwidemo7f3a.azurecr.io',
        images: [{ repository: 'workload-id-app', tag: '0.1.0', digest: EXAMPLE.appImageDigest }],
      },
    ],
    ...overrides,
  };
}

/** The example's service account, annotated with the identity's client id; `name` makes a look-alike one. */
export function exampleServiceAccount(name: string = EXAMPLE.serviceAccountName): ServiceAccount {
  return {
    apiVersion: 'v1',
    kind: 'ServiceAccount',
    metadata: {
      name,
      namespace: EXAMPLE.namespace,
      annotations: { 'azure.workload.identity/client-id': EXAMPLE.clientId },
    },
  };
}

/**
 * A pod of the example's namespace that opts in to workload identity, running as `serviceAccountName`.
 *
 * @param image - @default the project's image in the example registry, pulled with the kubelet identity's AcrPull
 */
export function examplePod(
  serviceAccountName: string = EXAMPLE.serviceAccountName,
  image: string = EXAMPLE.appImage,
): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: 'workload-id-app',
      namespace: EXAMPLE.namespace,
      labels: { 'azure.workload.identity/use': 'true' },
    },
    spec: { serviceAccountName, containers: [{ name: 'app', image }] },
  };
}
