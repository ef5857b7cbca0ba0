/**
 * The local cloud's persistent store: the Azure side as Azure holds it (tenants, subscriptions, resource groups,
 * clusters, identities, Entra applications, federated credentials, role assignments, vaults with their secret values,
 * registries) and the Kubernetes objects applied to each cluster.
 *
 * Terraform starts a provider process for every command, so the store is a JSON file in the local cloud's work
 * directory (named by `WI_LOCAL_CLOUD_STORE`), changed under a lock and replaced atomically. The servers (Entra, Key
 * Vault, the issuers, the kubelet) read the same file, so they see what a later `terraform apply` changed.
 *
 * Secret values live here, as Key Vault holds them; Terraform's state never does.
 */
import { createHash, generateKeyPairSync, randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { JWK } from 'jose';
import { readTextFile } from '../../lib/read-file';
import { takeLockFile } from './lock-file';
import { TIME_SCALE_VARIABLE, timeScale } from './time-scale';

/** The environment variable naming the store file, for provider processes and the servers. */
export const STORE_ENV = 'WI_LOCAL_CLOUD_STORE';
/** The local cloud's work directory (set by the Terraform runner); the store is `cloud-store.json` in it. */
export const WORK_DIR_ENV = 'WI_LOCAL_CLOUD_WORK_DIR';

/** The store file of a work directory. */
export function storeFileIn(workDir: string): string {
  return join(workDir, 'cloud-store.json');
}

/** The environment variable scaling Azure's durations (propagation, write windows) to the local cloud's. */
export const TIME_SCALE_ENV = TIME_SCALE_VARIABLE;

/**
 * How long (in Azure seconds) a new role assignment takes to reach Key Vault's data plane. Azure documents "up to
 * minutes"; the local cloud takes a fixed 30 s so that a wait of a minute (AVM's `time_sleep`) is always enough and
 * no wait at all never is.
 */
export const RBAC_PROPAGATION_SECONDS = 30;
/** How long (in Azure seconds) a federated identity credential write holds its identity: a second write fails meanwhile. */
export const CREDENTIAL_WRITE_SECONDS = 5;
/** Azure's limit of federated identity credentials per managed identity or application. */
export const MAX_FEDERATED_CREDENTIALS = 20;

/** Key Vault names taken in other subscriptions (other users' vaults, soft-deleted ones included). */
export const NAMES_TAKEN_ELSEWHERE: readonly string[] = [
  'workload-id-kv-demo',
  'kv-demo',
  'keyvault',
  'my-keyvault',
  'test-kv',
];

/** `azureSeconds` of Azure time as local milliseconds: never zero, so an ordering bug always shows. */
export function localMs(azureSeconds: number, env: NodeJS.ProcessEnv = process.env): number {
  return Math.max(1, Math.round(azureSeconds * 1000 * timeScale(env)));
}

/** Deterministic GUID from a seed: the same world always gets the same ids. */
export function guidFrom(seed: string): string {
  const h = createHash('sha256').update(seed).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/** A fresh GUID, as Azure gives each new object. */
export function newGuid(): string {
  return randomUUID();
}

/** The principal `az login` signed in as: the deployer, with one object per tenant it is a member or guest of. */
export interface StoredDeployer {
  /** The tenant the deployer signed in to. */
  readonly homeTenantId: string;
  /**
   * Entra directory roles the deployer holds, by tenant id. Without an application admin role there, only an
   * application's owners may add its service principal or federated credentials, and a foreign application gets
   * no service principal.
   */
  readonly directoryRoles: Readonly<Record<string, readonly string[]>>;
  /** Application (client) id of the session, as `azurerm_client_config.client_id` reports it. */
  readonly clientId: string;
  /**
   * Azure roles the deployer holds at each subscription's scope, by subscription id.
   * @default - Owner of every subscription; an empty list is a deployer whose roles are all on resource groups
   */
  readonly subscriptionRoles?: Readonly<Record<string, readonly string[]>>;
}

export interface StoredSubscription {
  readonly id: string;
  readonly tenantId: string;
}

export interface StoredResourceGroup {
  readonly id: string;
  readonly subscriptionId: string;
  readonly name: string;
  readonly location: string;
  readonly tags: Record<string, string>;
  /** The resource that manages the group (`managedBy`), when another service made it. */
  readonly managedBy?: string;
}

/** An AKS cluster: its issuer URL and the key that signs its service account tokens are made when it is created. */
export interface StoredCluster {
  readonly id: string;
  readonly subscriptionId: string;
  readonly resourceGroupName: string;
  readonly name: string;
  readonly location: string;
  readonly tenantId: string;
  readonly dnsPrefix: string;
  readonly fqdn: string;
  readonly oidcIssuerEnabled: boolean;
  /** Ends with `/`, as AKS's does; empty while the issuer is off. */
  readonly oidcIssuerUrl: string;
  readonly workloadIdentityEnabled: boolean;
  readonly localAccountDisabled: boolean;
  /** Entra integration (`azure_active_directory_role_based_access_control`): the user kube config has no client certificate. */
  readonly entraIntegrated: boolean;
  /** The signing key of the issuer (private JWK, RS256). */
  readonly issuerKey: JWK;
  /** The managed identity the kubelets pull images as. */
  readonly kubeletIdentity: {
    readonly clientId: string;
    readonly objectId: string;
    readonly id: string;
  };
  /** Principal of the cluster's own (control plane) identity. */
  readonly principalId: string;
  /** Credentials for the cluster's API server, as `listClusterUserCredential` gives them (base64 PEM). */
  readonly credentials: {
    readonly clientCertificate: string;
    readonly clientKey: string;
    readonly clusterCaCertificate: string;
    readonly password: string;
  };
  /** What else the create request said, so a read returns it as Azure would. */
  readonly settings: Record<string, unknown>;
  /** Azure's tags on the cluster. */
  readonly tags?: Record<string, string>;
  /** Principals denied `listClusterUserCredential` (Azure answers 403; the data source then has no kube_config). */
  readonly userCredentialDeniedTo?: readonly string[];
}

/** An extra node pool of a cluster (`azurerm_kubernetes_cluster_node_pool`). */
export interface StoredNodePool {
  readonly id: string;
  readonly clusterId: string;
  readonly name: string;
  readonly settings: Record<string, unknown>;
}

export interface StoredIdentity {
  readonly id: string;
  readonly subscriptionId: string;
  readonly resourceGroupName: string;
  readonly name: string;
  readonly location: string;
  readonly clientId: string;
  readonly principalId: string;
  readonly tenantId: string;
  readonly tags: Record<string, string>;
  /** While a credential write is in progress (epoch ms): another write on this identity fails until then. */
  credentialWriteUntil?: number;
}

/** An Entra application registration. */
export interface StoredApplication {
  readonly objectId: string;
  readonly clientId: string;
  /** The tenant that owns the registration. */
  readonly tenantId: string;
  readonly displayName: string;
  readonly signInAudience: string;
  readonly owners: readonly string[];
  credentialWriteUntil?: number;
}

/** A service principal: an application's instance in one tenant. */
export interface StoredServicePrincipal {
  readonly objectId: string;
  readonly clientId: string;
  /** Where the service principal lives (it signs in there). */
  readonly tenantId: string;
  readonly applicationTenantId: string;
  readonly owners: readonly string[];
}

/** A federated identity credential on a managed identity (`parentId` its Azure id) or an application (its object id). */
export interface StoredFederatedCredential {
  readonly id: string;
  readonly name: string;
  readonly parentKind: 'identity' | 'application';
  readonly parentId: string;
  readonly clientId: string;
  readonly issuer: string;
  readonly subject: string;
  readonly audiences: readonly string[];
  readonly description?: string;
}

export interface StoredRoleAssignment {
  /** `<scope>/providers/Microsoft.Authorization/roleAssignments/<name>` */
  readonly id: string;
  readonly name: string;
  readonly scope: string;
  readonly roleDefinitionName: string;
  readonly roleDefinitionId: string;
  readonly principalId: string;
  readonly principalType: string;
  /** When ARM accepted it (epoch ms): the data planes honour it only after the propagation delay. */
  readonly createdAt: number;
}

export interface StoredSecret {
  readonly name: string;
  /** The value, as Key Vault holds it. */
  readonly value: string;
  readonly version: string;
  /** Epoch seconds. */
  readonly created: number;
  readonly updated: number;
  readonly contentType?: string;
  readonly tags: Record<string, string>;
}

/** A deleted secret of a vault with soft-delete (every vault: Azure enforces it): recoverable until its purge. */
export interface StoredDeletedSecret extends StoredSecret {
  /** Epoch ms. */
  readonly deletedAt: number;
  /** Epoch ms on the local cloud's clock: the retention days, scaled (see `localMs`). */
  readonly scheduledPurgeAt: number;
}

export interface StoredKeyVault {
  readonly id: string;
  readonly subscriptionId: string;
  readonly resourceGroupName: string;
  readonly name: string;
  readonly location: string;
  readonly tenantId: string;
  readonly vaultUri: string;
  readonly skuName: string;
  readonly rbacAuthorizationEnabled: boolean;
  readonly purgeProtectionEnabled: boolean;
  readonly softDeleteRetentionDays: number;
  readonly publicNetworkAccessEnabled: boolean;
  readonly tags: Record<string, string>;
  secrets: StoredSecret[];
  /** Deleted, not yet purged secrets: their names stay taken (409 Conflict) until recovered or purged. */
  deletedSecrets?: StoredDeletedSecret[];
}

/**
 * A deleted vault that was not purged: it keeps its name (globally) and its secrets until `scheduledPurgeAt`, and a
 * create in its subscription and location may recover it.
 */
export interface StoredDeletedKeyVault {
  readonly vault: StoredKeyVault;
  /** Epoch ms. */
  readonly deletedAt: number;
  /** Epoch ms on the local cloud's clock: `softDeleteRetentionDays`, scaled (see `localMs`). */
  readonly scheduledPurgeAt: number;
}

export interface StoredImage {
  readonly repository: string;
  readonly tag: string;
  readonly digest: string;
}

export interface StoredRegistry {
  readonly id: string;
  readonly subscriptionId: string;
  readonly resourceGroupName: string;
  readonly name: string;
  readonly location: string;
  readonly loginServer: string;
  readonly sku: string;
  readonly adminEnabled: boolean;
  readonly tags: Record<string, string>;
  images: StoredImage[];
}

/** A blob container of a storage account. */
export interface StoredStorageContainer {
  /** Resource Manager id: `<account id>/blobServices/default/containers/<name>`. */
  readonly id: string;
  readonly name: string;
  readonly accessType: string;
}

/** A storage account: what its blob endpoint honours (Entra only when shared keys are off; versions kept or not). */
export interface StoredStorageAccount {
  readonly id: string;
  readonly subscriptionId: string;
  readonly resourceGroupName: string;
  readonly name: string;
  readonly location: string;
  readonly tenantId: string;
  readonly sharedAccessKeyEnabled: boolean;
  readonly allowNestedItemsToBePublic: boolean;
  readonly minTlsVersion: string;
  readonly versioningEnabled: boolean;
  readonly tags: Record<string, string>;
  containers: StoredStorageContainer[];
}

/** A Kubernetes object as the API server stores it, in one cluster. */
export interface StoredKubernetesObject {
  /** The cluster's Azure id. */
  readonly clusterId: string;
  readonly object: {
    apiVersion: string;
    kind: string;
    metadata: { name?: string; namespace?: string; uid?: string; [field: string]: unknown };
    [field: string]: unknown;
  };
}

/** Everything the local cloud holds. */
export interface CloudStoreData {
  readonly version: 1;
  readonly deployer: StoredDeployer;
  tenants: string[];
  subscriptions: StoredSubscription[];
  resourceGroups: StoredResourceGroup[];
  clusters: StoredCluster[];
  nodePools: StoredNodePool[];
  identities: StoredIdentity[];
  applications: StoredApplication[];
  servicePrincipals: StoredServicePrincipal[];
  federatedCredentials: StoredFederatedCredential[];
  roleAssignments: StoredRoleAssignment[];
  keyVaults: StoredKeyVault[];
  /** Soft-deleted vaults (absent in stores written before soft-delete was modelled: none). */
  deletedKeyVaults?: StoredDeletedKeyVault[];
  /** Global Key Vault names held in subscriptions the deployer cannot see. */
  vaultNamesTakenElsewhere: string[];
  /** Azure seconds a new role assignment takes to reach the data planes (scaled by the time scale). */
  rbacPropagationSeconds: number;
  registries: StoredRegistry[];
  kubernetesObjects: StoredKubernetesObject[];
  /** Storage accounts (absent in stores written before they were served). */
  storageAccounts?: StoredStorageAccount[];
  /** GitHub's repositories whose Actions jobs sign in (absent in stores written before GitHub was modelled). */
  githubRepositories?: StoredGithubRepository[];
}

/** A GitHub repository as GitHub holds it: its names, their numeric ids, and the form of its tokens' subject. */
export interface StoredGithubRepository {
  readonly owner: string;
  readonly ownerId: number;
  readonly name: string;
  readonly id: number;
  /** Its Actions tokens carry immutable subject claims (`OWNER@OWNER_ID/REPO@REPO_ID`). */
  readonly immutableSubjects: boolean;
}

/** The home tenant and subscription of a fresh local cloud (fixed, so runs are repeatable). */
export const HOME_TENANT_ID = guidFrom('tenant');
export const HOME_SUBSCRIPTION_ID = guidFrom('subscription');

/** An empty world: the deployer signed in to the home tenant with one subscription, and names others hold. */
export function emptyStoreData(): CloudStoreData {
  return {
    version: 1,
    deployer: {
      homeTenantId: HOME_TENANT_ID,
      directoryRoles: {},
      clientId: guidFrom('deployer-app'),
    },
    tenants: [HOME_TENANT_ID],
    subscriptions: [{ id: HOME_SUBSCRIPTION_ID, tenantId: HOME_TENANT_ID }],
    resourceGroups: [],
    clusters: [],
    nodePools: [],
    identities: [],
    applications: [],
    servicePrincipals: [],
    federatedCredentials: [],
    roleAssignments: [],
    keyVaults: [],
    deletedKeyVaults: [],
    vaultNamesTakenElsewhere: [...NAMES_TAKEN_ELSEWHERE],
    rbacPropagationSeconds: RBAC_PROPAGATION_SECONDS,
    registries: [],
    kubernetesObjects: [],
  };
}

/** The deployer's object id in `tenantId` (a member at home, a guest elsewhere: another object each). */
export function deployerObjectId(data: Pick<CloudStoreData, 'deployer'>, tenantId: string): string {
  return guidFrom(`deployer/${tenantId === data.deployer.homeTenantId ? 'home' : tenantId}`);
}

/** Azure resource id of a resource group. */
export function resourceGroupId(subscriptionId: string, name: string): string {
  return `/subscriptions/${subscriptionId}/resourceGroups/${name}`;
}

/** Azure ids compare without case. */
export function sameId(a: string, b: string): boolean {
  return a.toLowerCase() === b.toLowerCase();
}

/** Whether the resources the data planes honour now include `assignment` (the propagation delay has passed). */
export function propagated(
  data: Pick<CloudStoreData, 'rbacPropagationSeconds'>,
  assignment: Pick<StoredRoleAssignment, 'createdAt'>,
  now = Date.now(),
  env: NodeJS.ProcessEnv = process.env,
): boolean {
  const seconds = data.rbacPropagationSeconds ?? RBAC_PROPAGATION_SECONDS;
  return now - assignment.createdAt >= localMs(seconds, env);
}

/** Seconds in one day: Key Vault's retention is in days. */
const DAY_SECONDS = 86_400;

/** When something deleted now with `days` of retention is purged, on the local cloud's clock (epoch ms). */
export function purgeTime(
  days: number,
  now = Date.now(),
  env: NodeJS.ProcessEnv = process.env,
): number {
  return now + localMs(days * DAY_SECONDS, env);
}

/** The soft-deleted vaults whose retention has not ended: Azure purges the others by itself. */
export function deletedVaults(
  data: Pick<CloudStoreData, 'deletedKeyVaults'>,
  now = Date.now(),
): StoredDeletedKeyVault[] {
  return (data.deletedKeyVaults ?? []).filter((d) => d.scheduledPurgeAt > now);
}

/**
 * Control-plane actions of the built-in roles the deployer may hold at a subscription (Actions minus NotActions,
 * as far as the local cloud asks: the Key Vault deleted-vault reads and purges).
 * @see https://learn.microsoft.com/azure/role-based-access-control/built-in-roles
 */
const ARM_ROLE_ACTIONS: Readonly<Record<string, readonly string[]>> = {
  Owner: ['*'],
  Contributor: ['*'],
  Reader: ['*/read'],
  'Key Vault Contributor': ['Microsoft.KeyVault/*'],
  'User Access Administrator': ['*/read', 'Microsoft.Authorization/*'],
};

/** Whether the deployer may perform the ARM action `action` (e.g. `Microsoft.KeyVault/locations/deletedVaults/read`) at subscription scope. */
export function subscriptionActionAllowed(
  data: Pick<CloudStoreData, 'deployer'>,
  subscriptionId: string,
  action: string,
): boolean {
  const roles = Object.entries(data.deployer.subscriptionRoles ?? {}).find(([id]) =>
    sameId(id, subscriptionId),
  )?.[1] ?? ['Owner'];
  const lower = action.toLowerCase();
  return roles.some((role) =>
    (ARM_ROLE_ACTIONS[role] ?? []).some((allowed) => {
      const pattern = allowed.toLowerCase();
      if (pattern === '*') return true;
      if (pattern === '*/read') return lower.endsWith('/read');
      return pattern.endsWith('/*') ? lower.startsWith(pattern.slice(0, -1)) : lower === pattern;
    }),
  );
}

/** Built-in roles and the Key Vault data actions they allow (prefix `Microsoft.KeyVault/vaults/`). */
export const KEY_VAULT_DATA_ROLES: Readonly<Record<string, readonly string[]>> = {
  'Key Vault Administrator': ['*'],
  'Key Vault Secrets Officer': ['secrets/*'],
  'Key Vault Secrets User': ['secrets/getSecret/action', 'secrets/readMetadata/action'],
  'Key Vault Reader': ['secrets/readMetadata/action'],
};

/** Built-in role definition ids (the same in every tenant). */
export const ROLE_DEFINITION_IDS: Readonly<Record<string, string>> = {
  'Key Vault Administrator': '00482a5a-887f-4fb3-b363-3b7fe8e74483',
  'Key Vault Secrets Officer': 'b86a8fe4-44ce-4948-aee5-eccb2c155cd7',
  'Key Vault Secrets User': '4633458b-17de-408a-b874-0445c86b69e6',
  'Key Vault Reader': '21090545-7ca7-4776-b22c-e363652d74d2',
  AcrPull: '7f951dda-4ed3-4680-a7ca-43fe172d538d',
  AcrPush: '8311e382-0749-4cb8-b61a-304f252e45ec',
  Reader: 'acdd72a7-3385-48ef-bd42-f606fba81ae7',
  Contributor: 'b24988ac-6180-42a0-ab88-20f7382dd24c',
  Owner: '8e3af657-8923-4c64-9b5f-3e3e7c8d6a3e',
  'Azure Kubernetes Service Cluster User Role': '4abbcc35-e782-43d8-92c5-2d3f1bd2253f',
  'Storage Blob Data Owner': 'b7e6dc6d-f1e8-4753-8033-0f276bb0955b',
  'Storage Blob Data Contributor': 'ba92f5b4-2d11-453d-a403-e96b0029c9fe',
  'Storage Blob Data Reader': '2a2b9908-6ea1-4ae2-8e65-a410df84e7d1',
  'Role Based Access Control Administrator': 'f58310d9-a9f6-439a-9e8d-f62e7b41a168',
};

/**
 * Whether `principalId` may perform the Key Vault data action `action` (e.g. `secrets/getSecret/action`) on `scope`,
 * by the assignments the data plane has seen by `now`. A role at a scope covers everything below it.
 */
export function dataActionAllowed(
  data: Pick<CloudStoreData, 'roleAssignments' | 'rbacPropagationSeconds'>,
  principalId: string,
  action: string,
  scope: string,
  now = Date.now(),
  env: NodeJS.ProcessEnv = process.env,
): boolean {
  const target = scope.toLowerCase().replace(/\/+$/, '');
  return data.roleAssignments.some((a) => {
    const at = a.scope.toLowerCase().replace(/\/+$/, '');
    const actions = KEY_VAULT_DATA_ROLES[a.roleDefinitionName] ?? [];
    return (
      a.principalId === principalId &&
      (target === at || target.startsWith(`${at}/`)) &&
      actions.some(
        (allowed) =>
          allowed === '*' ||
          allowed === action ||
          (allowed.endsWith('/*') && action.startsWith(allowed.slice(0, -1))),
      ) &&
      propagated(data, a, now, env)
    );
  });
}

/** Generate an issuer signing key (RS256, as AKS signs service account tokens). */
export function newIssuerKey(): JWK {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return privateKey.export({ format: 'jwk' }) as JWK;
}

const LOCK_TIMEOUT_MS = 30_000;
/** Far above any world the local cloud holds (a few hundred KB), far below what could fill the memory. */
const MAX_STORE_BYTES = 16 * 1024 * 1024;

/** The store cannot be used (unreadable, not a store of this version): one line naming the file and the way out. */
export class CloudStoreError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CloudStoreError';
  }
}

/** What the user does about a store that cannot be used: it holds nothing that a new deploy cannot make again. */
const START_OVER = 'delete it to start an empty local cloud, or run the demo with --reset';

/**
 * Parse the store file, bounded in size; throws a CloudStoreError that never quotes the content (it holds secret
 * values).
 */
function readStoreFile(file: string): CloudStoreData {
  let text: string;
  try {
    text = readTextFile(file, { maxBytes: MAX_STORE_BYTES, hint: START_OVER });
  } catch (err) {
    throw new CloudStoreError(`local cloud store: ${(err as Error).message}`);
  }
  const corrupt = (why: string): never => {
    throw new CloudStoreError(`local cloud store ${file} ${why}: ${START_OVER}`);
  };
  if (text.trim() === '') return corrupt('is empty');
  if (text.includes('\0')) return corrupt('holds NUL bytes (a write was cut short)');
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    // JSON.parse's message quotes the text around the fault: not repeated here.
    return corrupt('is not valid JSON (truncated or overwritten)');
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed))
    return corrupt('is not a JSON object');
  const data = parsed as Record<string, unknown>;
  if (data.version !== 1)
    return corrupt(
      typeof data.version === 'number'
        ? `has version ${data.version}, and this local cloud reads version 1`
        : 'has no version: it is not a local cloud store',
    );
  // Lists added since a store was written are empty in it; one of another shape is a corrupt store.
  const empty = emptyStoreData() as unknown as Record<string, unknown>;
  for (const [key, value] of Object.entries(empty)) {
    if (data[key] === undefined) data[key] = value;
    else if (Array.isArray(value) !== Array.isArray(data[key]) || typeof value !== typeof data[key])
      return corrupt(
        `has a "${key}" that is not ${Array.isArray(value) ? 'a list' : `a ${typeof value}`}`,
      );
  }
  return data as unknown as CloudStoreData;
}

/**
 * The store file: `read()` a snapshot, `update()` under an exclusive lock (several provider processes write at once).
 *
 * @example
 * const store = CloudStore.fromEnv();
 * store.update((data) => data.resourceGroups.push(group));
 */
export class CloudStore {
  /** The store named by `WI_LOCAL_CLOUD_STORE`, else the one in the work directory `WI_LOCAL_CLOUD_WORK_DIR`. */
  static fromEnv(env: NodeJS.ProcessEnv = process.env): CloudStore {
    const file = env[STORE_ENV] || (env[WORK_DIR_ENV] ? storeFileIn(env[WORK_DIR_ENV]) : undefined);
    if (!file)
      throw new Error(
        `neither ${STORE_ENV} nor ${WORK_DIR_ENV} is set: the local provider needs the local cloud's store`,
      );
    return new CloudStore(file);
  }

  private cached?: { mtimeMs: number; size: number; data: CloudStoreData };

  constructor(
    /** The JSON file. */
    readonly file: string,
  ) {}

  /** Create the file with `data` (default: an empty world) unless it exists; returns this. */
  init(data: CloudStoreData = emptyStoreData()): this {
    if (!existsSync(this.file)) this.update(() => undefined, data);
    return this;
  }

  /** The current contents (cached while the file is unchanged); never mutate it: use `update`. */
  read(): CloudStoreData {
    let stat: { mtimeMs: number; size: number };
    try {
      stat = statSync(this.file);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return emptyStoreData();
      return readStoreFile(this.file);
    }
    if (this.cached && this.cached.mtimeMs === stat.mtimeMs && this.cached.size === stat.size)
      return this.cached.data;
    const data = readStoreFile(this.file);
    this.cached = { mtimeMs: stat.mtimeMs, size: stat.size, data };
    return data;
  }

  /** Change the store under its lock and write it atomically; `change` gets a private copy. */
  update<T>(change: (data: CloudStoreData) => T, initial?: CloudStoreData): T {
    mkdirSync(dirname(this.file), { recursive: true });
    const release = this.lock();
    try {
      const data = existsSync(this.file) ? readStoreFile(this.file) : (initial ?? emptyStoreData());
      const result = change(data);
      const temp = `${this.file}.${process.pid}.tmp`;
      writeFileSync(temp, JSON.stringify(data), { mode: 0o600 });
      renameSync(temp, this.file);
      return result;
    } finally {
      release();
    }
  }

  // Several provider processes write at once: each waits its turn, up to a limit.
  private lock(): () => void {
    const lockFile = `${this.file}.lock`;
    return takeLockFile(lockFile, {
      waitMs: LOCK_TIMEOUT_MS,
      busy: (owner) =>
        new CloudStoreError(
          `${lockFile}: held by process ${owner} for over ${LOCK_TIMEOUT_MS / 1000} s`,
        ),
    });
  }
}
