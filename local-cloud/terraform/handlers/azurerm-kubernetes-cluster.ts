/**
 * `azurerm_kubernetes_cluster` and its data source, and `azurerm_kubernetes_cluster_node_pool`.
 *
 * Creating a cluster makes its OIDC issuer (URL ending with `/`, and the key that signs its service account tokens)
 * and its API server credentials. As on Azure: workload identity needs the issuer; an issuer cannot be turned off;
 * the data source swallows a 403 on the user credential (empty `kube_config`); an Entra-integrated cluster's user
 * kube config has no client certificate; the admin config exists only with local accounts.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  type CloudStoreData,
  newGuid,
  newIssuerKey,
  resourceGroupId,
  type StoredCluster,
  sameId,
} from '../../core/cloud-store';
import {
  type Attributes,
  AzureError,
  type DataSourceHandler,
  type ResourceHandler,
  type Value,
} from '../handler';
import { alreadyExists } from './azurerm-resource-group';
import {
  armId,
  armTarget,
  asSet,
  block,
  cloudStore,
  normalizeLocation,
  required,
  resolve,
  resourceGroupOf,
  str,
  stringMap,
  tagsValue,
} from './common';
import { KUBERNETES_CLUSTER_ID, parseId, parseNodePoolId } from './resource-ids';

/** Keep the applied arguments with the cluster (not its credentials, which are made from the cluster itself). */
function remember(clusterId: string, state: Attributes): void {
  const {
    kube_config: _kubeConfig,
    kube_config_raw: _kubeConfigRaw,
    kube_admin_config: _adminConfig,
    kube_admin_config_raw: _adminConfigRaw,
    ...arguments_
  } = state;
  cloudStore().update((data) => {
    const cluster = data.clusters.find((c) => sameId(c.id, clusterId));
    if (cluster)
      Object.assign(cluster, { settings: { ...cluster.settings, arguments: arguments_ } });
  });
}

/**
 * What azurerm's Update code cycles the default node pool for, and refuses without `temporary_name_for_rotation`
 * (azurerm v4.55.0 internal/services/containers/kubernetes_cluster_resource.go:2588, refused at :2630).
 */
const CYCLE_NODE_POOL_PROPERTIES = [
  'name',
  'host_encryption_enabled',
  'node_public_ip_enabled',
  'fips_enabled',
  'kubelet_config',
  'kubelet_disk_type',
  'linux_os_config',
  'max_pods',
  'only_critical_addons_enabled',
  'os_disk_size_gb',
  'os_disk_type',
  'pod_subnet_id',
  'snapshot_id',
  'ultra_ssd_enabled',
  'vnet_subnet_id',
  'vm_size',
  'zones',
];

/** The Kubernetes version AKS picks when none is asked for. */
const DEFAULT_KUBERNETES_VERSION = '1.33.3';
/** Namespaces every cluster starts with. */
export const BUILT_IN_NAMESPACES = ['default', 'kube-system', 'kube-public', 'kube-node-lease'];

export const azurermKubernetesCluster: ResourceHandler = {
  async create({ planned, context }) {
    if (planned.workload_identity_enabled === true && planned.oidc_issuer_enabled !== true) {
      throw new AzureError(
        'InvalidParameter',
        '`oidc_issuer_enabled` must be set to `true` to enable Azure AD Workload Identity',
        ['workload_identity_enabled'],
      );
    }
    // Keys and certificates are made before the store is locked: other provider calls need not wait for them.
    const secrets = clusterSecrets();
    const cluster = cloudStore().update((data) => {
      const { subscriptionId, tenantId } = armTarget(context, data);
      const group = resourceGroupOf(data, subscriptionId, required(planned, 'resource_group_name'));
      const name = required(planned, 'name');
      const id = armId(
        subscriptionId,
        group.name,
        'Microsoft.ContainerService/managedClusters',
        name,
      );
      if (data.clusters.some((c) => sameId(c.id, id)))
        throw alreadyExists(id, 'azurerm_kubernetes_cluster');
      const location = required(planned, 'location');
      const nodeGroup =
        str(planned.node_resource_group) ??
        nodeResourceGroup(group.name, name, normalizeLocation(location));
      if (nodeGroup.length > MAX_NODE_RESOURCE_GROUP_LENGTH) {
        throw new AzureError(
          'InvalidParameter',
          `creating Kubernetes Cluster (Subscription: ${JSON.stringify(subscriptionId)}\nResource Group Name: ${JSON.stringify(group.name)}\nKubernetes Cluster Name: ${JSON.stringify(name)}): performing CreateOrUpdate: unexpected status 400 (400 Bad Request) with error: InvalidParameter: The length of the node resource group name is too long. The maximum length is ${MAX_NODE_RESOURCE_GROUP_LENGTH} and the length of the value provided is ${nodeGroup.length}. Please see https://aka.ms/aks-naming-rules for more details.`,
          ['node_resource_group'],
        );
      }
      return addCluster(data, {
        subscriptionId,
        resourceGroupName: group.name,
        name,
        location,
        nodeResourceGroup: nodeGroup,
        tenantId,
        dnsPrefix: required(planned, 'dns_prefix'),
        oidcIssuerEnabled: planned.oidc_issuer_enabled === true,
        workloadIdentityEnabled: planned.workload_identity_enabled === true,
        localAccountDisabled: planned.local_account_disabled === true,
        entraIntegrated:
          block(planned.azure_active_directory_role_based_access_control) !== undefined,
        kubernetesVersion: str(planned.kubernetes_version),
        tags: stringMap(planned.tags),
        secrets,
      });
    });
    const state = resolve(planned, computedOf(cluster, planned));
    remember(cluster.id, state);
    return state;
  },
  /**
   * kubernetes_cluster_resource.go, resourceKubernetesClusterRead: what the cluster holds. The arguments the local
   * cloud does not model one by one (node pool, identity, network profile...) come back as they were applied, as AKS
   * returns its properties; the ones it models come from the cluster itself, so a change made outside shows.
   */
  async read({ state }) {
    const cluster = cloudStore()
      .read()
      .clusters.find((c) => sameId(c.id, String(state.id)));
    if (!cluster) return null;
    const applied = (cluster.settings.arguments ?? {}) as Attributes;
    // What was applied stands for the state an import lacks.
    const was = { ...state, ...applied };
    return {
      ...state,
      ...applied,
      name: cluster.name,
      resource_group_name: cluster.resourceGroupName,
      location: cluster.location,
      dns_prefix: cluster.dnsPrefix,
      oidc_issuer_enabled: asSet(cluster.oidcIssuerEnabled, was, 'oidc_issuer_enabled', false),
      workload_identity_enabled: asSet(
        cluster.workloadIdentityEnabled,
        was,
        'workload_identity_enabled',
        false,
      ),
      local_account_disabled: asSet(
        cluster.localAccountDisabled,
        was,
        'local_account_disabled',
        false,
      ),
      tags: tagsValue(cluster.tags ?? {}, was),
      ...computedOf(cluster, { ...applied, ...state }),
    };
  },
  async importState({ id }) {
    parseId(KUBERNETES_CLUSTER_ID, id);
    return { id };
  },
  async update({ prior, planned }) {
    const before = block(prior.default_node_pool) ?? {};
    const after = block(planned.default_node_pool) ?? {};
    const cycled = CYCLE_NODE_POOL_PROPERTIES.filter(
      (p) => JSON.stringify(before[p] ?? null) !== JSON.stringify(after[p] ?? null),
    );
    if (cycled.length > 0 && !str(after.temporary_name_for_rotation)) {
      const names = CYCLE_NODE_POOL_PROPERTIES.map((p) => `"default_node_pool.0.${p}"`).join(' ');
      throw new AzureError(
        'InvalidParameter',
        `\`temporary_name_for_rotation\` must be specified when updating any of the following properties [${names}]`,
        ['default_node_pool'],
      );
    }
    const cluster = cloudStore().update((data) => {
      const found = data.clusters.find((c) => sameId(c.id, String(planned.id)));
      if (!found)
        throw new AzureError(
          'ResourceNotFound',
          `Kubernetes Cluster ${String(planned.id)} was not found`,
        );
      const issuerOn = planned.oidc_issuer_enabled === true;
      // AKS refuses it when the cluster is updated (azurerm plans it as an update).
      if (found.oidcIssuerEnabled && !issuerOn) {
        throw new AzureError(
          'OIDCIssuerFeatureCannotBeDisabled',
          'OIDC issuer feature cannot be disabled once it has been enabled.',
          ['oidc_issuer_enabled'],
        );
      }
      if (planned.workload_identity_enabled === true && !issuerOn) {
        throw new AzureError(
          'InvalidParameter',
          '`oidc_issuer_enabled` must be set to `true` to enable Azure AD Workload Identity',
          ['workload_identity_enabled'],
        );
      }
      Object.assign(found, {
        oidcIssuerEnabled: issuerOn,
        // Turning the issuer on gives the cluster its URL; the URL never changes afterwards.
        oidcIssuerUrl: issuerOn
          ? found.oidcIssuerUrl || issuerUrl(found.location, found.tenantId)
          : found.oidcIssuerUrl,
        workloadIdentityEnabled: planned.workload_identity_enabled === true,
        localAccountDisabled: planned.local_account_disabled === true,
        tags: stringMap(planned.tags),
        settings: {
          ...found.settings,
          kubernetesVersion: str(planned.kubernetes_version) ?? found.settings.kubernetesVersion,
        },
      });
      return found;
    });
    const state = resolve(planned, computedOf(cluster, planned));
    remember(cluster.id, state);
    return state;
  },
  async delete({ state }) {
    cloudStore().update((data) => {
      const id = String(state.id);
      data.clusters = data.clusters.filter((c) => !sameId(c.id, id));
      data.nodePools = data.nodePools.filter((p) => !sameId(p.clusterId, id));
      data.kubernetesObjects = data.kubernetesObjects.filter((o) => !sameId(o.clusterId, id));
      data.roleAssignments = data.roleAssignments.filter(
        (a) => !a.scope.toLowerCase().startsWith(id.toLowerCase()),
      );
    });
  },
};

export const dataAzurermKubernetesCluster: DataSourceHandler = {
  async read({ config, context }) {
    const data = cloudStore().read();
    const { subscriptionId, principalId } = armTarget(context, data);
    const name = required(config, 'name');
    const group = required(config, 'resource_group_name');
    const cluster = data.clusters.find(
      (c) =>
        sameId(c.subscriptionId, subscriptionId) &&
        c.resourceGroupName.toLowerCase() === group.toLowerCase() &&
        c.name.toLowerCase() === name.toLowerCase(),
    );
    if (!cluster)
      throw new AzureError(
        'ResourceNotFound',
        `Managed Kubernetes Cluster (Subscription: "${subscriptionId}"\nResource Group Name: "${group}"\nManaged Cluster Name: "${name}") was not found`,
      );
    const computed = computedOf(cluster, config);
    // azurerm reads the user credential and ignores a 403: the data source then has no kube config.
    const denied = cluster.userCredentialDeniedTo?.includes(principalId) ?? false;
    return {
      ...config,
      ...computed,
      name: cluster.name,
      resource_group_name: cluster.resourceGroupName,
      location: cluster.location,
      dns_prefix: cluster.dnsPrefix,
      kubernetes_version: String(cluster.settings.kubernetesVersion),
      oidc_issuer_enabled: cluster.oidcIssuerEnabled,
      workload_identity_enabled: cluster.workloadIdentityEnabled,
      kube_config: denied ? [] : computed.kube_config,
      kube_config_raw: denied ? '' : computed.kube_config_raw,
    };
  },
};

export const azurermKubernetesClusterNodePool: ResourceHandler = {
  async create({ planned }) {
    const clusterId = required(planned, 'kubernetes_cluster_id');
    const name = required(planned, 'name');
    const id = `${clusterId}/agentPools/${name}`;
    cloudStore().update((data) => {
      const cluster = data.clusters.find((c) => sameId(c.id, clusterId));
      if (!cluster)
        throw new AzureError(
          'ResourceNotFound',
          `Managed Kubernetes Cluster ${clusterId} was not found`,
          ['kubernetes_cluster_id'],
        );
      const osSku = str(planned.os_sku);
      const minor = Number(String(cluster.settings.kubernetesVersion).split('.')[1]);
      if (osSku === 'Windows2022' && minor >= 37) {
        throw new AzureError(
          'InvalidOSSKU',
          `OS SKU Windows2022 is not supported for Kubernetes version ${String(cluster.settings.kubernetesVersion)}: use Windows2025 from 1.37`,
          ['os_sku'],
        );
      }
      if (data.nodePools.some((p) => sameId(p.id, id)))
        throw alreadyExists(id, 'azurerm_kubernetes_cluster_node_pool');
      data.nodePools.push({
        id,
        clusterId: cluster.id,
        name,
        settings: {
          osType: str(planned.os_type) ?? 'Linux',
          osSku: osSku ?? null,
          vmSize: str(planned.vm_size) ?? null,
          arguments: resolve(planned, { id }),
        },
      });
    });
    return resolve(planned, { id });
  },
  // kubernetes_cluster_node_pool_resource.go, resourceKubernetesClusterNodePoolRead: name and cluster from the id,
  // VM size and OS from the pool, the rest as applied.
  async read({ state }) {
    const pool = cloudStore()
      .read()
      .nodePools.find((p) => sameId(p.id, String(state.id)));
    if (!pool) return null;
    return {
      ...state,
      ...((pool.settings.arguments ?? {}) as Attributes),
      id: pool.id,
      name: pool.name,
      kubernetes_cluster_id: pool.clusterId,
      vm_size: (pool.settings.vmSize as string | null) ?? state.vm_size ?? null,
      os_type: (pool.settings.osType as string | null) ?? state.os_type ?? null,
    };
  },
  async importState({ id }) {
    parseNodePoolId(id);
    return { id };
  },
  async update({ planned }) {
    return planned;
  },
  async delete({ state }) {
    cloudStore().update((data) => {
      data.nodePools = data.nodePools.filter((p) => !sameId(p.id, String(state.id)));
    });
  },
};

/** What a new cluster is made of. */
export interface NewCluster {
  readonly subscriptionId: string;
  readonly resourceGroupName: string;
  readonly name: string;
  readonly location: string;
  /** @default - AKS's own name, `MC_<group>_<cluster>_<location>` */
  readonly nodeResourceGroup?: string;
  readonly tenantId: string;
  readonly dnsPrefix: string;
  readonly oidcIssuerEnabled: boolean;
  readonly workloadIdentityEnabled: boolean;
  readonly localAccountDisabled?: boolean;
  readonly entraIntegrated?: boolean;
  readonly kubernetesVersion?: string;
  readonly tags?: Record<string, string>;
  /** From `clusterSecrets()`, made outside the store's lock. */
  readonly secrets: Pick<StoredCluster, 'issuerKey' | 'credentials'>;
}

/** A new cluster's issuer key and API server credentials (key generation and openssl: tens of ms). */
export function clusterSecrets(): Pick<StoredCluster, 'issuerKey' | 'credentials'> {
  const ca = selfSigned('ca');
  const client = selfSigned('masterclient');
  return {
    issuerKey: newIssuerKey(),
    credentials: {
      clusterCaCertificate: ca.cert,
      clientCertificate: client.cert,
      clientKey: client.key,
      password: newGuid().replaceAll('-', ''),
    },
  };
}

/**
 * Add a cluster to the store as AKS creates one: its issuer (when asked for), kubelet identity, API server and
 * built-in namespaces. Also how the lab puts an "existing" cluster into the world before a deploy.
 */
export function addCluster(data: CloudStoreData, spec: NewCluster): StoredCluster {
  const location = normalizeLocation(spec.location);
  const nodeGroup =
    spec.nodeResourceGroup ?? nodeResourceGroup(spec.resourceGroupName, spec.name, location);
  const id = armId(
    spec.subscriptionId,
    spec.resourceGroupName,
    'Microsoft.ContainerService/managedClusters',
    spec.name,
  );
  const cluster: StoredCluster = {
    id,
    subscriptionId: spec.subscriptionId,
    resourceGroupName: spec.resourceGroupName,
    name: spec.name,
    location,
    tenantId: spec.tenantId,
    dnsPrefix: spec.dnsPrefix,
    fqdn: `${spec.dnsPrefix.toLowerCase()}-${shortHash(id)}.hcp.${location}.azmk8s.io`,
    oidcIssuerEnabled: spec.oidcIssuerEnabled,
    oidcIssuerUrl: spec.oidcIssuerEnabled ? issuerUrl(location, spec.tenantId) : '',
    workloadIdentityEnabled: spec.workloadIdentityEnabled,
    localAccountDisabled: spec.localAccountDisabled ?? false,
    entraIntegrated: spec.entraIntegrated ?? false,
    issuerKey: spec.secrets.issuerKey,
    kubeletIdentity: {
      clientId: newGuid(),
      objectId: newGuid(),
      id: armId(
        spec.subscriptionId,
        nodeGroup,
        'Microsoft.ManagedIdentity/userAssignedIdentities',
        `${spec.name}-agentpool`,
      ),
    },
    principalId: newGuid(),
    credentials: spec.secrets.credentials,
    settings: {
      kubernetesVersion: spec.kubernetesVersion ?? DEFAULT_KUBERNETES_VERSION,
      nodeResourceGroup: nodeGroup,
    },
    tags: spec.tags ?? {},
  };
  data.clusters.push(cluster);
  for (const namespace of BUILT_IN_NAMESPACES) {
    data.kubernetesObjects.push({
      clusterId: id,
      object: {
        apiVersion: 'v1',
        kind: 'Namespace',
        metadata: { name: namespace, uid: newGuid() },
      },
    });
    data.kubernetesObjects.push({
      clusterId: id,
      object: {
        apiVersion: 'v1',
        kind: 'ServiceAccount',
        metadata: { name: 'default', namespace, uid: newGuid() },
      },
    });
  }
  return cluster;
}

/** The AKS issuer URL of a new cluster: regional host, tenant, a GUID of its own, and the trailing `/`. */
function issuerUrl(location: string, tenantId: string): string {
  return `https://${location}.oic.prod-aks.azure.com/${tenantId}/${newGuid()}/`;
}

// AKS's name for the group of a cluster's nodes, when the request names none; AKS refuses one of more than 80
// characters (InvalidParameter, "The length of the node resource group name is too long"), as reported from Azure in
// Azure-Terraform/terraform-azurerm-kubernetes#33 and rancher/rancher#21264. azurerm v4.55.0 does not check it
// (kubernetes_cluster_resource.go:1342-1347: Optional, Computed, ForceNew, no validation), so it fails at create.
const MAX_NODE_RESOURCE_GROUP_LENGTH = 80;
function nodeResourceGroup(group: string, name: string, location: string): string {
  return `MC_${group}_${name}_${location}`;
}

function shortHash(id: string): string {
  return createHash('sha256').update(id.toLowerCase()).digest('hex').slice(0, 8);
}

// A self-signed EC certificate and its key (PEM), as cheap stand-ins for the cluster CA and the client certificate.
function selfSigned(commonName: string): { cert: string; key: string } {
  const pem = execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-keyout',
      '-',
      '-out',
      '-',
      '-subj',
      `/CN=${commonName}`,
      '-days',
      '3650',
    ],
    { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] },
  );
  const key = /-----BEGIN PRIVATE KEY-----[\s\S]+?-----END PRIVATE KEY-----\n?/.exec(pem)?.[0];
  const cert = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----\n?/.exec(pem)?.[0];
  if (!key || !cert) throw new Error('openssl did not print a key and a certificate');
  return { cert, key };
}

const b64 = (text: string) => Buffer.from(text).toString('base64');

// Everything Azure computes for a cluster; arguments keep their planned values.
function computedOf(cluster: StoredCluster, attributes: Attributes): Attributes {
  const host = `https://${cluster.fqdn}:443`;
  const user = `clusterUser_${cluster.resourceGroupName}_${cluster.name}`;
  // With Entra integration the user config signs in through kubelogin: no client certificate, no token.
  const withCertificate = !cluster.entraIntegrated;
  const kubeConfig = {
    host,
    username: user,
    password: withCertificate ? cluster.credentials.password : '',
    client_certificate: withCertificate ? b64(cluster.credentials.clientCertificate) : '',
    client_key: withCertificate ? b64(cluster.credentials.clientKey) : '',
    cluster_ca_certificate: b64(cluster.credentials.clusterCaCertificate),
  };
  const admin = cluster.localAccountDisabled
    ? []
    : [
        {
          ...kubeConfig,
          username: `clusterAdmin_${cluster.resourceGroupName}_${cluster.name}`,
          client_certificate: b64(cluster.credentials.clientCertificate),
          client_key: b64(cluster.credentials.clientKey),
          password: cluster.credentials.password,
        },
      ];
  const identity = block(attributes.identity);
  const nodeGroup =
    str(cluster.settings.nodeResourceGroup as Value) ??
    nodeResourceGroup(cluster.resourceGroupName, cluster.name, cluster.location);
  const computed: Record<string, Value> = {
    id: cluster.id,
    fqdn: cluster.fqdn,
    portal_fqdn: `${cluster.dnsPrefix.toLowerCase()}-${shortHash(cluster.id)}.portal.hcp.${cluster.location}.azmk8s.io`,
    private_fqdn: '',
    oidc_issuer_url: cluster.oidcIssuerUrl,
    current_kubernetes_version: String(cluster.settings.kubernetesVersion),
    kubernetes_version:
      str(attributes.kubernetes_version) ?? String(cluster.settings.kubernetesVersion),
    node_resource_group: nodeGroup,
    node_resource_group_id: resourceGroupId(cluster.subscriptionId, nodeGroup),
    kube_config: [kubeConfig],
    kube_config_raw: kubeConfigYaml(cluster, kubeConfig),
    kube_admin_config: admin,
    kube_admin_config_raw: admin.length ? kubeConfigYaml(cluster, admin[0]) : '',
    kubelet_identity: [
      {
        client_id: cluster.kubeletIdentity.clientId,
        object_id: cluster.kubeletIdentity.objectId,
        user_assigned_identity_id: cluster.kubeletIdentity.id,
      },
    ],
    http_application_routing_zone_name: null,
  };
  if (identity)
    computed.identity = [
      { ...identity, principal_id: cluster.principalId, tenant_id: cluster.tenantId },
    ];
  return computed;
}

function kubeConfigYaml(
  cluster: StoredCluster,
  config: {
    host: string;
    username: string;
    client_certificate: string;
    client_key: string;
    cluster_ca_certificate: string;
  },
): string {
  const user = config.client_certificate
    ? `    client-certificate-data: ${config.client_certificate}\n    client-key-data: ${config.client_key}\n`
    : '    exec:\n      apiVersion: client.authentication.k8s.io/v1beta1\n      command: kubelogin\n      args: [get-token, --login, devicecode, --server-id, 6dae42f8-4368-4678-94ff-3960e28e3630]\n';
  return `apiVersion: v1\nkind: Config\nclusters:\n- name: ${cluster.name}\n  cluster:\n    certificate-authority-data: ${config.cluster_ca_certificate}\n    server: ${config.host}\ncontexts:\n- name: ${cluster.name}\n  context:\n    cluster: ${cluster.name}\n    user: ${config.username}\ncurrent-context: ${cluster.name}\nusers:\n- name: ${config.username}\n  user:\n${user}`;
}

/** For the kubernetes provider: the cluster whose API server is at `host`. */
export function clusterAtHost(
  data: { clusters: readonly StoredCluster[] },
  host: string,
): StoredCluster | undefined {
  const hostname = host
    .replace(/^https:\/\//, '')
    .replace(/:443\/?$/, '')
    .replace(/\/$/, '')
    .toLowerCase();
  return data.clusters.find((c) => c.fqdn === hostname);
}
