import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  CloudStore,
  deployerObjectId,
  HOME_SUBSCRIPTION_ID,
  HOME_TENANT_ID,
  localMs,
  RBAC_PROPAGATION_SECONDS,
  STORE_ENV,
  TIME_SCALE_ENV,
} from '../../../local-cloud/core/cloud-store';
import { liveModel } from '../../../local-cloud/core/store-model';
import {
  type Attributes,
  AzureError,
  type HandlerContext,
  UNKNOWN,
} from '../../../local-cloud/terraform/handler';
import {
  azureadApplication,
  azureadApplicationFederatedIdentityCredential,
  azureadServicePrincipal,
} from '../../../local-cloud/terraform/handlers/azuread';
import { azurermClientConfig } from '../../../local-cloud/terraform/handlers/azurerm-client-config';
import { azurermContainerRegistry } from '../../../local-cloud/terraform/handlers/azurerm-container-registry';
import { azurermFederatedIdentityCredential } from '../../../local-cloud/terraform/handlers/azurerm-federated-identity-credential';
import {
  azurermKeyVault,
  dataAzurermKeyVault,
} from '../../../local-cloud/terraform/handlers/azurerm-key-vault';
import { azurermKeyVaultSecret } from '../../../local-cloud/terraform/handlers/azurerm-key-vault-secret';
import {
  azurermKubernetesCluster,
  dataAzurermKubernetesCluster,
} from '../../../local-cloud/terraform/handlers/azurerm-kubernetes-cluster';
import { azurermResourceGroup } from '../../../local-cloud/terraform/handlers/azurerm-resource-group';
import { azurermRoleAssignment } from '../../../local-cloud/terraform/handlers/azurerm-role-assignment';
import { azurermUserAssignedIdentity } from '../../../local-cloud/terraform/handlers/azurerm-user-assigned-identity';
import { kubernetesManifest } from '../../../local-cloud/terraform/handlers/kubernetes-manifest';
import { timeSleep } from '../../../local-cloud/terraform/handlers/time-sleep';
import { tempDir } from '../../support/helpers';

const context: HandlerContext = { providerConfig: { subscription_id: HOME_SUBSCRIPTION_ID } };
const saved = { ...process.env };
let store: CloudStore;

beforeEach(() => {
  store = new CloudStore(join(tempDir('wi-store-'), 'cloud-store.json')).init();
  process.env[STORE_ENV] = store.file;
  delete process.env[TIME_SCALE_ENV];
});
afterEach(() => {
  process.env = { ...saved };
  vi.useRealTimers();
});

/**
 * The test holds the clock that RBAC propagation is measured on (the store's `createdAt` and the data plane's `now`
 * are both `Date.now()`): it stands still until `advanceClock` moves it, so no result depends on the machine's speed.
 */
function holdClock(): void {
  vi.useFakeTimers({ toFake: ['Date'] });
}
function advanceClock(ms: number): void {
  vi.setSystemTime(Date.now() + ms);
}
const create = (
  handler: { create: (a: any) => Promise<Attributes> },
  planned: Attributes,
  config: Attributes = planned,
) => handler.create({ planned, config, context });

async function group(name = 'rg') {
  return create(azurermResourceGroup, { name, location: 'West Europe', tags: null, id: UNKNOWN });
}
async function identity(name = 'mi') {
  return create(azurermUserAssignedIdentity, {
    name,
    resource_group_name: 'rg',
    location: 'westeurope',
    id: UNKNOWN,
    client_id: UNKNOWN,
    principal_id: UNKNOWN,
    tenant_id: UNKNOWN,
  });
}
const credential = (parentId: string, name: string) =>
  create(azurermFederatedIdentityCredential, {
    name,
    parent_id: parentId,
    resource_group_name: 'rg',
    issuer: 'https://issuer.example/',
    subject: `system:serviceaccount:ns:${name}`,
    audience: ['api://AzureADTokenExchange'],
    id: UNKNOWN,
  });
async function vault(name = 'kv-unique-1234', rbac: boolean | null = true) {
  return create(azurermKeyVault, {
    name,
    resource_group_name: 'rg',
    location: 'westeurope',
    tenant_id: HOME_TENANT_ID,
    sku_name: 'standard',
    rbac_authorization_enabled: rbac,
    enable_rbac_authorization: UNKNOWN,
    id: UNKNOWN,
    vault_uri: UNKNOWN,
  });
}
const officer = (scope: string) =>
  create(azurermRoleAssignment, {
    scope,
    role_definition_name: 'Key Vault Secrets Officer',
    principal_id: deployerObjectId(store.read(), HOME_TENANT_ID),
    id: UNKNOWN,
    name: UNKNOWN,
    principal_type: UNKNOWN,
    role_definition_id: UNKNOWN,
  });
const secretPlan = (keyVaultId: string, name = 'username'): Attributes => ({
  name,
  key_vault_id: keyVaultId,
  value_wo: null,
  value_wo_version: 1,
  id: UNKNOWN,
  version: UNKNOWN,
  versionless_id: UNKNOWN,
  resource_id: UNKNOWN,
  resource_versionless_id: UNKNOWN,
});

describe("the local cloud's Azure handlers", () => {
  it("creates a managed identity in the provider's subscription, with ids Entra serves", async () => {
    await group();
    const mi = await identity();
    expect(mi.id).toBe(
      `/subscriptions/${HOME_SUBSCRIPTION_ID}/resourceGroups/rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/mi`,
    );
    expect(mi.tenant_id).toBe(HOME_TENANT_ID);
    expect(liveModel(store).identities).toEqual([
      {
        address: mi.id,
        name: 'mi',
        clientId: mi.client_id,
        principalId: mi.principal_id,
        tenantId: HOME_TENANT_ID,
      },
    ]);
    const config = await azurermClientConfig.read({ config: {}, context });
    expect(config).toMatchObject({
      tenant_id: HOME_TENANT_ID,
      subscription_id: HOME_SUBSCRIPTION_ID,
      object_id: deployerObjectId(store.read(), HOME_TENANT_ID),
    });
  });

  it("fails when the resource group does not exist, with Azure's code", async () => {
    await expect(identity()).rejects.toMatchObject({
      code: 'ResourceGroupNotFound',
      message: "Resource group 'rg' could not be found.",
    });
  });

  it('fails when azurerm has no subscription, as azurerm 4 does', async () => {
    delete process.env.ARM_SUBSCRIPTION_ID;
    await expect(
      azurermResourceGroup.create({
        planned: { name: 'rg', location: 'westeurope' },
        config: {},
        context: { providerConfig: {} },
      }),
    ).rejects.toThrow(
      '`subscription_id` is a required provider property when performing a plan/apply operation',
    );
  });

  it('fails when a group that still holds resources is deleted', async () => {
    const rg = await group();
    await identity();
    await expect(azurermResourceGroup.delete({ state: rg, context })).rejects.toThrow(
      /the Resource Group still contains Resources/,
    );
  });

  it('fails when two credentials of one identity are written at once (ConcurrentFederatedIdentityCredentialsWritesForSingleManagedIdentity), and not when chained', async () => {
    await group();
    const mi = await identity();
    const parallel = await Promise.allSettled([
      credential(String(mi.id), 'a'),
      credential(String(mi.id), 'b'),
    ]);
    expect(parallel.map((r) => r.status)).toEqual(['fulfilled', 'rejected']);
    expect((parallel[1] as PromiseRejectedResult).reason).toMatchObject({
      code: 'ConcurrentFederatedIdentityCredentialsWritesForSingleManagedIdentity',
    });
    expect((parallel[1] as PromiseRejectedResult).reason.message).toContain(
      'Concurrent Federated Identity Credentials writes under the same managed identity are not supported.',
    );
    // Chained: the second starts after the first ends.
    await credential(String(mi.id), 'b');
    expect(store.read().federatedCredentials.map((c) => c.name)).toEqual(['a', 'b']);
  });

  it('accepts 20 credentials on one identity and fails on the 21st', async () => {
    process.env[TIME_SCALE_ENV] = '0.001';
    await group();
    const mi = await identity();
    for (let i = 0; i < 20; i += 1) await credential(String(mi.id), `c${i}`);
    await expect(credential(String(mi.id), 'c20')).rejects.toThrow(/would exceed the limit of 20/);
    expect(store.read().federatedCredentials).toHaveLength(20);
  });

  it('keeps the issuer exactly: the credential Entra matches is the one Terraform wrote', async () => {
    await group();
    const mi = await identity();
    await credential(String(mi.id), 'exact');
    expect(liveModel(store).federatedCredentials).toEqual([
      {
        name: 'exact',
        clientId: mi.client_id,
        issuer: 'https://issuer.example/',
        subject: 'system:serviceaccount:ns:exact',
        audiences: ['api://AzureADTokenExchange'],
      },
    ]);
  });
});

describe('Key Vault through the handlers', () => {
  it("fails when a secret is written right after the deployer's role assignment (ForbiddenByRbac, no retry)", async () => {
    holdClock();
    await group();
    const kv = await vault();
    await officer(String(kv.id));
    const error = await create(azurermKeyVaultSecret, secretPlan(String(kv.id)), {
      ...secretPlan(String(kv.id)),
      value_wo: 'admin',
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AzureError);
    expect(error).toMatchObject({ code: 'ForbiddenByRbac' });
    expect((error as Error).message).toMatch(
      /^checking for presence of existing Secret "username" \(Key Vault "https:\/\/kv-unique-1234\.vault\.azure\.net\/"\): keyvault\.BaseClient#GetSecret: Failure responding to request: StatusCode=403/,
    );
    expect((error as Error).message).toContain(
      "Action: 'Microsoft.KeyVault/vaults/secrets/getSecret/action'",
    );
    expect((error as Error).message).toContain('InnerError={"code":"ForbiddenByRbac"}');
    expect(store.read().keyVaults[0].secrets).toEqual([]);
  });

  it('writes the secret once the assignment has propagated; the value is in the vault, never in the returned state', async () => {
    holdClock();
    await group();
    const kv = await vault();
    await officer(String(kv.id));
    advanceClock(localMs(RBAC_PROPAGATION_SECONDS));
    const state = await create(azurermKeyVaultSecret, secretPlan(String(kv.id)), {
      ...secretPlan(String(kv.id)),
      value_wo: 'canary-3f9a',
    });
    expect(JSON.stringify(state)).not.toContain('canary-3f9a');
    expect(state.value_wo).toBeNull();
    expect(state.versionless_id).toBe('https://kv-unique-1234.vault.azure.net/secrets/username');
    expect(state.resource_versionless_id).toBe(`${String(kv.id)}/secrets/username`);
    expect(store.read().keyVaults[0].secrets.map((s) => [s.name, s.value])).toEqual([
      ['username', 'canary-3f9a'],
    ]);
  });

  it('serves a role assignment to Key Vault only after the propagation delay, which is never zero', async () => {
    holdClock();
    await group();
    const kv = await vault();
    await officer(String(kv.id));
    expect(liveModel(store).roleAssignments).toEqual([]);
    advanceClock(localMs(RBAC_PROPAGATION_SECONDS) - 1);
    expect(liveModel(store).roleAssignments).toEqual([]);
    advanceClock(1);
    expect(liveModel(store).roleAssignments).toHaveLength(1);
    expect(localMs(RBAC_PROPAGATION_SECONDS, { [TIME_SCALE_ENV]: '0' })).toBeGreaterThan(0);
  });

  it('fails when the vault name is taken in another subscription (VaultAlreadyExists), the old default included', async () => {
    await group();
    await expect(vault('workload-id-kv-demo')).rejects.toMatchObject({
      code: 'VaultAlreadyExists',
    });
    await expect(vault('workload-id-kv-demo')).rejects.toThrow(
      "The vault name 'workload-id-kv-demo' is already in use. Vault names are globally unique",
    );
  });

  it('keeps a vault of the same subscription: a re-deploy reads and updates it', async () => {
    await group();
    const kv = await vault('kv-mine-5678');
    expect(await azurermKeyVault.read({ state: kv, context })).toMatchObject({
      id: kv.id,
      vault_uri: 'https://kv-mine-5678.vault.azure.net/',
      rbac_authorization_enabled: true,
    });
    expect(
      await azurermKeyVault.update({
        prior: kv,
        planned: { ...kv, tags: { team: 'a' } },
        config: kv,
        context,
      }),
    ).toMatchObject({ id: kv.id });
  });

  it('reports rbac_authorization_enabled as configured, not made up', async () => {
    await group();
    await vault('kv-policies-1', null);
    const read = await dataAzurermKeyVault.read({
      config: { name: 'kv-policies-1', resource_group_name: 'rg' },
      context,
    });
    expect(read).toMatchObject({
      rbac_authorization_enabled: false,
      enable_rbac_authorization: false,
      vault_uri: 'https://kv-policies-1.vault.azure.net/',
    });
  });
});

describe('secret values through the handlers', () => {
  it('fails when a secret value is over 25 KB, as Key Vault refuses the write, without echoing it', async () => {
    holdClock();
    await group();
    const kv = await vault();
    await officer(String(kv.id));
    advanceClock(localMs(RBAC_PROPAGATION_SECONDS));
    const tooBig = 'z'.repeat(25 * 1024 + 1);
    const error = await create(azurermKeyVaultSecret, secretPlan(String(kv.id), 'password'), {
      ...secretPlan(String(kv.id), 'password'),
      value_wo: tooBig,
    }).catch((e: Error) => e);
    expect(error).toMatchObject({ code: 'BadParameter' });
    expect((error as Error).message).toContain(
      "The value of secret 'password' is 25601 bytes; a secret value may be at most 25600 bytes (25 KB).",
    );
    expect((error as Error).message).not.toContain('zzzz');
  });
});

describe('AKS through the handlers', () => {
  const clusterPlan: Attributes = {
    name: 'aks',
    resource_group_name: 'rg',
    location: 'westeurope',
    dns_prefix: 'aks',
    oidc_issuer_enabled: true,
    workload_identity_enabled: true,
    identity: [
      { type: 'SystemAssigned', principal_id: UNKNOWN, tenant_id: UNKNOWN, identity_ids: null },
    ],
    id: UNKNOWN,
    oidc_issuer_url: UNKNOWN,
    kube_config: UNKNOWN,
  };

  it('makes the issuer when the cluster is created: URL ending with "/", with its own signing key', async () => {
    await group();
    const cluster = await create(azurermKubernetesCluster, clusterPlan);
    expect(cluster.oidc_issuer_url).toMatch(
      new RegExp(
        `^https://westeurope\\.oic\\.prod-aks\\.azure\\.com/${HOME_TENANT_ID}/[0-9a-f-]{36}/$`,
      ),
    );
    expect(cluster.identity).toEqual([
      {
        type: 'SystemAssigned',
        principal_id: expect.any(String),
        tenant_id: HOME_TENANT_ID,
        identity_ids: null,
      },
    ]);
    const [served] = liveModel(store).clusters;
    expect(served.oidcIssuerUrl).toBe(cluster.oidc_issuer_url);
    expect(served.issuerKey).toMatchObject({ kty: 'RSA', d: expect.any(String) });
  });

  it("serves a registry that the cluster's kubelet identity may pull from with AcrPull", async () => {
    holdClock();
    await group();
    const cluster = await create(azurermKubernetesCluster, {
      ...clusterPlan,
      kubelet_identity: UNKNOWN,
    });
    const registry = await create(azurermContainerRegistry, {
      name: 'acrWorkloadId',
      resource_group_name: 'rg',
      location: 'westeurope',
      sku: 'Basic',
      id: UNKNOWN,
      login_server: UNKNOWN,
    });
    const [kubelet] = cluster.kubelet_identity as Attributes[];
    await create(azurermRoleAssignment, {
      scope: registry.id,
      role_definition_name: 'AcrPull',
      principal_id: kubelet.object_id,
      id: UNKNOWN,
      name: UNKNOWN,
      principal_type: UNKNOWN,
      role_definition_id: UNKNOWN,
    });
    const model = liveModel(store, { [TIME_SCALE_ENV]: '0' });
    advanceClock(localMs(RBAC_PROPAGATION_SECONDS, { [TIME_SCALE_ENV]: '0' }));
    expect(model.registries).toEqual([
      { id: registry.id, loginServer: 'acrworkloadid.azurecr.io', images: [] },
    ]);
    expect(model.clusters[0].kubeletPrincipalId).toBe(kubelet.object_id);
    expect(model.roleAssignments).toContainEqual({
      principalId: kubelet.object_id,
      roleDefinitionName: 'AcrPull',
      scope: registry.id,
    });
  });

  it('fails when the node resource group AKS would name, MC_<group>_<cluster>_<location>, is over 80 characters', async () => {
    // GIVEN a group and a cluster whose names make MC_<group>_<cluster>_westeurope 81 characters long
    const groupName = 'g'.repeat(40);
    await group(groupName);
    const long = { ...clusterPlan, resource_group_name: groupName, name: 'c'.repeat(26) };
    expect(`MC_${groupName}_${long.name}_westeurope`).toHaveLength(81);
    // THEN AKS refuses the create, as azurerm reports it
    await expect(create(azurermKubernetesCluster, long)).rejects.toThrow(
      'performing CreateOrUpdate: unexpected status 400 (400 Bad Request) with error: InvalidParameter: The length of the node resource group name is too long. The maximum length is 80 and the length of the value provided is 81. Please see https://aka.ms/aks-naming-rules for more details.',
    );
    // AND a node_resource_group of 81 characters set by hand is refused the same way
    await expect(
      create(azurermKubernetesCluster, {
        ...clusterPlan,
        resource_group_name: groupName,
        node_resource_group: 'n'.repeat(81),
      }),
    ).rejects.toThrow('the length of the value provided is 81.');
    // AND a valid node_resource_group lets the cluster be created, and is what the state reports
    const created = await create(azurermKubernetesCluster, {
      ...long,
      node_resource_group: 'rg-nodes',
      kubelet_identity: UNKNOWN,
    });
    expect(created.node_resource_group).toBe('rg-nodes');
    expect((created.kubelet_identity as Attributes[])[0].user_assigned_identity_id).toMatch(
      /\/resourceGroups\/rg-nodes\/providers\/Microsoft\.ManagedIdentity\//,
    );
  });

  it('fails when workload identity is asked for without the issuer', async () => {
    await group();
    await expect(
      create(azurermKubernetesCluster, { ...clusterPlan, oidc_issuer_enabled: false }),
    ).rejects.toThrow(
      '`oidc_issuer_enabled` must be set to `true` to enable Azure AD Workload Identity',
    );
  });

  it('gives the data source an empty kube_config when the user credential is denied (azurerm swallows the 403)', async () => {
    await group();
    await create(azurermKubernetesCluster, clusterPlan);
    const read = () =>
      dataAzurermKubernetesCluster.read({
        config: { name: 'aks', resource_group_name: 'rg' },
        context,
      });
    expect((await read()).kube_config).toEqual([
      expect.objectContaining({
        host: expect.stringMatching(/^https:\/\/aks-[0-9a-f]{8}\.hcp\.westeurope\.azmk8s\.io:443$/),
        client_certificate: expect.any(String),
      }),
    ]);
    store.update((data) => {
      (data.clusters[0] as { userCredentialDeniedTo?: string[] }).userCredentialDeniedTo = [
        deployerObjectId(data, HOME_TENANT_ID),
      ];
    });
    expect(await read()).toMatchObject({
      kube_config: [],
      kube_config_raw: '',
      oidc_issuer_enabled: true,
    });
  });

  it('applies manifests into the cluster: the webhook mutates a pod on CREATE, and its spec is immutable afterwards', async () => {
    await group();
    const cluster = await create(azurermKubernetesCluster, clusterPlan);
    const [kubeConfig] = cluster.kube_config as Attributes[];
    const kube: HandlerContext = {
      providerConfig: {
        host: kubeConfig.host,
        client_certificate: Buffer.from(String(kubeConfig.client_certificate), 'base64').toString(
          'utf8',
        ),
      },
    };
    const apply = (manifest: Attributes) =>
      kubernetesManifest.create({
        planned: { manifest, object: UNKNOWN },
        config: { manifest },
        context: kube,
      });
    const pod = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'p', namespace: 'ns', labels: { 'azure.workload.identity/use': 'true' } },
      spec: {
        serviceAccountName: 'sa',
        containers: [{ name: 'app', image: 'app:1', env: [{ name: 'A', value: '1' }] }],
      },
    };
    await expect(apply(pod)).rejects.toThrow('namespaces "ns" not found');
    await apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'ns' } });
    await expect(apply(pod)).rejects.toThrow(
      'error looking up service account ns/sa: serviceaccount "sa" not found',
    );
    await apply({
      apiVersion: 'v1',
      kind: 'ServiceAccount',
      metadata: {
        name: 'sa',
        namespace: 'ns',
        annotations: { 'azure.workload.identity/client-id': 'c1' },
      },
    });
    const created = await apply(pod);
    const env = (
      (created.object as any).spec.containers[0].env as { name: string; value: string }[]
    ).map((e) => e.name);
    expect(env).toEqual([
      'A',
      'AZURE_CLIENT_ID',
      'AZURE_TENANT_ID',
      'AZURE_FEDERATED_TOKEN_FILE',
      'AZURE_AUTHORITY_HOST',
    ]);
    const changed = {
      ...pod,
      spec: {
        ...pod.spec,
        containers: [{ ...pod.spec.containers[0], env: [{ name: 'A', value: '2' }] }],
      },
    };
    await expect(
      kubernetesManifest.update({
        prior: created,
        planned: { manifest: changed, object: UNKNOWN },
        config: { manifest: changed },
        context: kube,
      }),
    ).rejects.toThrow(
      'Pod "p" is invalid: spec: Forbidden: pod updates may not change fields other than',
    );
    await expect(
      apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'default' } }),
    ).rejects.toThrow('namespaces "default" already exists');
  });

  it('fails when the kubernetes provider presents another client certificate', async () => {
    await group();
    const cluster = await create(azurermKubernetesCluster, clusterPlan);
    const [kubeConfig] = cluster.kube_config as Attributes[];
    const manifest = { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'x' } };
    await expect(
      kubernetesManifest.create({
        planned: { manifest, object: UNKNOWN },
        config: { manifest },
        context: { providerConfig: { host: kubeConfig.host, client_certificate: 'other' } },
      }),
    ).rejects.toThrow('the server has asked for the client to provide credentials');
  });
});

describe('Entra applications through the handlers', () => {
  it('fails when the deployer is neither an owner nor an application administrator (azuread removed it as owner)', async () => {
    store.update((data) =>
      Object.assign(data, { deployer: { ...data.deployer, directoryRoles: {} } }),
    );
    const app = await create(azureadApplication, {
      display_name: 'app',
      owners: null,
      id: UNKNOWN,
      client_id: UNKNOWN,
      object_id: UNKNOWN,
    });
    await expect(
      create(azureadServicePrincipal, {
        client_id: app.client_id,
        id: UNKNOWN,
        object_id: UNKNOWN,
      }),
    ).rejects.toMatchObject({ code: 'Authorization_RequestDenied' });
    const owned = await create(azureadApplication, {
      display_name: 'owned',
      owners: [deployerObjectId(store.read(), HOME_TENANT_ID)],
      id: UNKNOWN,
      client_id: UNKNOWN,
      object_id: UNKNOWN,
    });
    await create(azureadServicePrincipal, {
      client_id: owned.client_id,
      id: UNKNOWN,
      object_id: UNKNOWN,
    });
    await create(azureadApplicationFederatedIdentityCredential, {
      application_id: owned.id,
      display_name: 'fic',
      issuer: 'https://i/',
      subject: 's',
      audiences: ['api://AzureADTokenExchange'],
      id: UNKNOWN,
      credential_id: UNKNOWN,
    });
    expect(liveModel(store).federatedCredentials).toEqual([
      {
        name: 'fic',
        clientId: owned.client_id,
        issuer: 'https://i/',
        subject: 's',
        audiences: ['api://AzureADTokenExchange'],
      },
    ]);
  });
});

/** Let every role assignment reach the data plane now: the store dates them back (no waiting on the clock). */
function propagateAll(): void {
  store.update((data) => {
    data.roleAssignments = data.roleAssignments.map((a) => ({ ...a, createdAt: 0 }));
  });
}

const withFeatures = (keyVault: Record<string, boolean>): HandlerContext => ({
  providerConfig: { ...context.providerConfig, features: [{ key_vault: [keyVault] }] },
});

describe("the deployer's rights through the handlers", () => {
  it('fails when the deployer holds only Key Vault Secrets User: reading is allowed, setting the secret is ForbiddenByRbac', async () => {
    await group();
    const kv = await vault();
    await create(azurermRoleAssignment, {
      scope: String(kv.id),
      role_definition_name: 'Key Vault Secrets User',
      principal_id: deployerObjectId(store.read(), HOME_TENANT_ID),
      id: UNKNOWN,
      name: UNKNOWN,
      principal_type: UNKNOWN,
      role_definition_id: UNKNOWN,
    });
    propagateAll();
    const error = await create(azurermKeyVaultSecret, secretPlan(String(kv.id)), {
      ...secretPlan(String(kv.id)),
      value_wo: 'admin',
    }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'ForbiddenByRbac' });
    // The existence check (getSecret) passed: the refusal is the write.
    expect((error as Error).message).toMatch(
      /^keyvault\.BaseClient#SetSecret: Failure responding to request: StatusCode=403/,
    );
    expect((error as Error).message).toContain(
      "Action: 'Microsoft.KeyVault/vaults/secrets/setSecret/action'",
    );
    expect(store.read().keyVaults[0].secrets).toEqual([]);
  });

  it('removes a destroyed role assignment from the store, and only that one', async () => {
    const rg = await group();
    const mi = await identity();
    const assign = (role: string) =>
      create(azurermRoleAssignment, {
        scope: String(rg.id),
        role_definition_name: role,
        principal_id: String(mi.principal_id),
        id: UNKNOWN,
        name: UNKNOWN,
        principal_type: UNKNOWN,
        role_definition_id: UNKNOWN,
      });
    const reader = await assign('Reader');
    const user = await assign('Key Vault Secrets User');
    await azurermRoleAssignment.delete({ state: reader, context });
    expect(store.read().roleAssignments.map((a) => a.id)).toEqual([user.id]);
    expect(await azurermRoleAssignment.read({ state: reader, context })).toBeNull();
  });
});

describe('Key Vault soft-delete through the handlers', () => {
  it('keeps a vault deleted without purge soft-deleted: its name is taken in another subscription until the retention ends', async () => {
    await group();
    const kv = await vault('kv-soft-1');
    await azurermKeyVault.delete({
      state: kv,
      context: withFeatures({ purge_soft_delete_on_destroy: false }),
    });
    const [deleted] = store.read().deletedKeyVaults ?? [];
    expect(deleted.vault.id).toBe(kv.id);
    // 90 days (azurerm's default retention) on the local cloud's clock: hours here, far beyond this test.
    expect(deleted.scheduledPurgeAt - deleted.deletedAt).toBe(localMs(90 * 86_400));
    const other = '0b0b0b0b-0000-4000-a000-000000000001';
    store.update((data) => {
      data.subscriptions.push({ id: other, tenantId: HOME_TENANT_ID });
      data.resourceGroups.push({
        id: `/subscriptions/${other}/resourceGroups/rg`,
        subscriptionId: other,
        name: 'rg',
        location: 'westeurope',
        tags: {},
      });
    });
    const elsewhere: HandlerContext = { providerConfig: { subscription_id: other } };
    const taken = azurermKeyVault.create({
      planned: { ...(await vaultPlan('kv-soft-1')) },
      config: {},
      context: elsewhere,
    });
    await expect(taken).rejects.toMatchObject({ code: 'VaultAlreadyExists' });

    // WHEN the retention has ended (Azure purges the vault by itself), THEN the name is free again
    store.update((data) => {
      data.deletedKeyVaults = (data.deletedKeyVaults ?? []).map((d) => ({
        ...d,
        scheduledPurgeAt: Date.now() - 1,
      }));
    });
    const created = await azurermKeyVault.create({
      planned: await vaultPlan('kv-soft-1'),
      config: {},
      context: elsewhere,
    });
    expect(created.id).toBe(
      `/subscriptions/${other}/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/kv-soft-1`,
    );
  });

  it("purges on destroy with azurerm's default features, and fails the purge without the right to it, leaving the vault soft-deleted", async () => {
    await group();
    const kv = await vault('kv-purged-1');
    await azurermKeyVault.delete({ state: kv, context });
    expect(store.read().deletedKeyVaults).toEqual([]);
    expect(store.read().keyVaults).toEqual([]);

    const again = await vault('kv-purged-1');
    store.update((data) => {
      Object.assign(data, {
        deployer: {
          ...data.deployer,
          subscriptionRoles: { [HOME_SUBSCRIPTION_ID]: ['Key Vault Contributor', 'Reader'] },
        },
      });
    });
    // Key Vault Contributor covers Microsoft.KeyVault/*: the purge works.
    await azurermKeyVault.delete({ state: again, context });
    expect(store.read().deletedKeyVaults).toEqual([]);

    const third = await vault('kv-purged-1');
    store.update((data) => {
      Object.assign(data, {
        deployer: { ...data.deployer, subscriptionRoles: { [HOME_SUBSCRIPTION_ID]: ['Reader'] } },
      });
    });
    const error = await azurermKeyVault.delete({ state: third, context }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'AuthorizationFailed' });
    expect((error as Error).message).toContain(
      "does not have authorization to perform action 'Microsoft.KeyVault/locations/deletedVaults/purge/action'",
    );
    expect(store.read().deletedKeyVaults?.map((d) => d.vault.id)).toEqual([third.id]);
  });

  it('never purges a vault with purge protection on destroy, though the features block asks and the deployer may', async () => {
    await group();
    const kv = await create(azurermKeyVault, {
      ...(await vaultPlan('kv-protected-1')),
      purge_protection_enabled: true,
    });
    // azurerm's default features purge on destroy, and the default deployer holds the purge right (the test above)
    await azurermKeyVault.delete({ state: kv, context });
    expect(store.read().keyVaults).toEqual([]);
    expect(store.read().deletedKeyVaults?.map((d) => d.vault.id)).toEqual([kv.id]);
  });

  it('recovers a soft-deleted vault with its secrets, live and deleted, as they were', async () => {
    await group();
    const kv = await vault('kv-recover-1');
    await officer(String(kv.id));
    propagateAll();
    const secret = (name: string, value: string) =>
      create(azurermKeyVaultSecret, secretPlan(String(kv.id), name), {
        ...secretPlan(String(kv.id), name),
        value_wo: value,
      });
    await secret('username', 'admin');
    const password = await secret('password', 'hunter2');
    await azurermKeyVaultSecret.delete({
      state: password,
      context: withFeatures({ purge_soft_deleted_secrets_on_destroy: false }),
    });
    const [before] = store.read().keyVaults;
    expect(before.secrets.map((s) => s.name)).toEqual(['username']);
    expect(before.deletedSecrets?.map((s) => s.name)).toEqual(['password']);
    // GIVEN the vault deleted without purge
    const keep = withFeatures({ purge_soft_delete_on_destroy: false });
    await azurermKeyVault.delete({ state: kv, context: keep });
    expect(store.read().keyVaults).toEqual([]);
    // WHEN a create of the same name recovers it (recover_soft_deleted_key_vaults, true by default)
    const recovered = await azurermKeyVault.create({
      planned: await vaultPlan('kv-recover-1'),
      config: {},
      context: keep,
    });
    // THEN it comes back with its secrets: the same values and versions, not new ones
    expect(recovered.id).toBe(kv.id);
    const [after] = store.read().keyVaults;
    expect(store.read().deletedKeyVaults).toEqual([]);
    expect(after.secrets).toEqual(before.secrets);
    expect(after.deletedSecrets).toEqual(before.deletedSecrets);
  });

  it('fails when recovery is off: the soft-deleted vault conflicts with the create', async () => {
    await group();
    const kv = await vault('kv-norecover-1');
    const features = withFeatures({
      purge_soft_delete_on_destroy: false,
      recover_soft_deleted_key_vaults: false,
    });
    await azurermKeyVault.delete({ state: kv, context: features });
    await expect(
      azurermKeyVault.create({
        planned: await vaultPlan('kv-norecover-1'),
        config: {},
        context: features,
      }),
    ).rejects.toThrow(
      'An existing soft-deleted Key Vault exists with the Name "kv-norecover-1" in the location "westeurope", however automatically recovering this KeyVault has been disabled via the "features" block.',
    );
  });

  it('keeps a deleted secret recoverable: its name conflicts until recovered, and recover_soft_deleted_secrets recovers it', async () => {
    await group();
    const kv = await vault();
    await officer(String(kv.id));
    propagateAll();
    const config = { ...secretPlan(String(kv.id)), value_wo: 'first' };
    const secret = await create(azurermKeyVaultSecret, secretPlan(String(kv.id)), config);
    const keep = withFeatures({
      purge_soft_deleted_secrets_on_destroy: false,
      recover_soft_deleted_secrets: false,
    });
    await azurermKeyVaultSecret.delete({ state: secret, context: keep });
    expect(store.read().keyVaults[0].deletedSecrets?.map((s) => s.name)).toEqual(['username']);
    expect(await azurermKeyVaultSecret.read({ state: secret, context })).toBeNull();
    await expect(
      azurermKeyVaultSecret.create({ planned: secretPlan(String(kv.id)), config, context: keep }),
    ).rejects.toThrow(
      'Secret username is currently in a deleted but recoverable state, and its name cannot be reused; in this state, the secret can only be recovered or purged.',
    );
    await azurermKeyVaultSecret.create({
      planned: secretPlan(String(kv.id)),
      config: { ...config, value_wo: 'second' },
      context,
    });
    const [vaultNow] = store.read().keyVaults;
    expect(vaultNow.deletedSecrets).toEqual([]);
    expect(vaultNow.secrets.map((s) => [s.name, s.value])).toEqual([['username', 'second']]);
  });
});

describe("the providers' import ID parsers", () => {
  it("fails when a resource group id says /resourcegroups/, with go-azure-helpers' words", async () => {
    const id = `/subscriptions/${HOME_SUBSCRIPTION_ID}/resourcegroups/rg`;
    await expect(azurermResourceGroup.importState?.({ id, context })).rejects.toThrow(
      `parsing segment "resourceGroups": parsing the ResourceGroup ID: the segment at position 2 didn't match\n\nExpected a ResourceGroup ID that matched:\n\n> /subscriptions/12345678-1234-9876-4563-123456789012/resourceGroups/example-resource-group\n\nHowever this value was provided:\n\n> ${id}\n\nThe parsed Resource ID was missing a value for the segment at position 2\n(which should be the literal value "resourceGroups").`,
    );
  });

  it('fails when an id has too few segments, listing what each segment should be', async () => {
    const id = `/subscriptions/${HOME_SUBSCRIPTION_ID}/resourceGroups/rg/providers/Microsoft.KeyVault`;
    await expect(azurermKeyVault.importState?.({ id, context })).rejects.toThrow(
      `parsing "${id}": parsing the KeyVault ID: the number of segments didn't match\n\nExpected a KeyVault ID that matched (containing 8 segments):\n\n> /subscriptions/12345678-1234-9876-4563-123456789012/resourceGroups/example-resource-group/providers/Microsoft.KeyVault/vaults/vaultValue`,
    );
  });

  it('fails when a secret id has no version, or an Entra credential id is not {objectId}/{type}/{id}', async () => {
    await expect(
      azurermKeyVaultSecret.importState?.({ id: 'https://kv.vault.azure.net/secrets/s', context }),
    ).rejects.toThrow(
      'parsing ID "https://kv.vault.azure.net/secrets/s" for Key Vault Child import: expected a key vault versioned ID but no version information was found in: "https://kv.vault.azure.net/secrets/s"',
    );
    await expect(
      azureadApplicationFederatedIdentityCredential.importState?.({
        id: '/applications/00000000-0000-0000-0000-000000000000/federatedIdentityCredential/x',
        context,
      }),
    ).rejects.toThrow(
      'unable to parse Federated Identity Credential ID: Object Resource ID should be in the format {objectId}/{type}/{subId} - but got',
    );
  });

  it("fails when a time_sleep import id is not CREATEDURATION,DESTROYDURATION, with the time provider's words", async () => {
    await expect(timeSleep.importState?.({ id: '30s', context })).rejects.toThrow(
      'Unexpected Format of ID: Unexpected format of ID ("30s"), expected CREATEDURATION,DESTROYDURATION where at least one value is non-empty',
    );
  });

  it('imports by a well-formed id: the id alone, as the SDK passes it to Read', async () => {
    const rg = await group();
    expect(await azurermResourceGroup.importState?.({ id: String(rg.id), context })).toEqual({
      id: rg.id,
    });
  });
});

async function vaultPlan(name: string): Promise<Attributes> {
  return {
    name,
    resource_group_name: 'rg',
    location: 'westeurope',
    tenant_id: HOME_TENANT_ID,
    sku_name: 'standard',
    rbac_authorization_enabled: true,
    enable_rbac_authorization: UNKNOWN,
    soft_delete_retention_days: 7,
    id: UNKNOWN,
    vault_uri: UNKNOWN,
  };
}
