/**
 * `kubernetes_manifest`: one Kubernetes object applied to the cluster the provider block points at (its `host`),
 * kept in the local cloud's store. The API server's rules apply (namespaces, service accounts, immutable Pods), and
 * a Pod passes the workload identity webhook on CREATE; the kubelet runs what the store holds.
 */
import type { CloudStoreData, StoredCluster, StoredKubernetesObject } from '../../cloud-store';
import {
  createObject,
  deleteObject,
  findObject,
  KubernetesApiError,
  objectKey,
  updateObject,
} from '../../cluster-objects';
import {
  AzureError,
  type HandlerContext,
  type ResourceHandler,
  UNKNOWN,
  type Value,
} from '../handler';
import { clusterAtHost } from './azurerm-kubernetes-cluster';
import { cloudStore, str } from './common';

type KubernetesObject = StoredKubernetesObject['object'];

export const kubernetesManifest: ResourceHandler = {
  // The manifest provider's own plan code: the object is unknown until the API server answers, unless the manifest
  // is unchanged. Which changes replace is in the facts (facts/kubernetes-manifest.json).
  plan({ prior, planned }) {
    const same =
      prior !== null && JSON.stringify(prior.manifest) === JSON.stringify(planned.manifest);
    return { ...planned, object: same ? prior.object : UNKNOWN };
  },
  async create({ planned, context }) {
    const object = apply(context, (data, cluster) =>
      createObject(data, cluster, toObject(planned.manifest)),
    );
    return { ...planned, object: toValue(object) };
  },
  async read({ state, context }) {
    const manifest = toObject(state.manifest);
    const data = cloudStore().read();
    const cluster = clusterOf(context, data);
    const stored = findObject(data, cluster.id, manifest.kind, objectKey(manifest));
    return stored ? { ...state, object: toValue(stored.object) } : null;
  },
  async update({ planned, context }) {
    const object = apply(context, (data, cluster) =>
      updateObject(data, cluster, toObject(planned.manifest)),
    );
    return { ...planned, object: toValue(object) };
  },
  async delete({ state, context }) {
    const manifest = toObject(state.manifest);
    apply(context, (data, cluster) =>
      deleteObject(data, cluster.id, manifest.kind, objectKey(manifest)),
    );
  },
};

// One API server call: find the cluster, run the change under the store's lock, and word a refusal as the API does.
function apply<T>(
  context: HandlerContext,
  change: (data: CloudStoreData, cluster: StoredCluster) => T,
): T {
  try {
    return cloudStore().update((data) => change(data, clusterOf(context, data)));
  } catch (err) {
    if (err instanceof KubernetesApiError)
      throw new AzureError(err.reason, err.message, ['manifest']);
    if (err instanceof AzureError) throw err;
    throw new AzureError('Invalid', (err as Error).message, ['manifest']);
  }
}

// The cluster behind the provider block's `host`, if its client certificate is the cluster's own.
function clusterOf(context: HandlerContext, data: CloudStoreData): StoredCluster {
  const host = str(context.providerConfig.host);
  if (!host)
    throw new AzureError(
      'NoHost',
      'Provider configuration: cannot load Kubernetes client config: invalid configuration: no configuration has been provided',
    );
  const cluster = clusterAtHost(data, host);
  if (!cluster)
    throw new AzureError(
      'Unreachable',
      `Get "${host}/api?timeout=32s": dial tcp: lookup ${new URL(host).hostname}: no such host`,
    );
  const certificate = str(context.providerConfig.client_certificate);
  if (certificate !== cluster.credentials.clientCertificate) {
    throw new AzureError(
      'Unauthorized',
      'the server has asked for the client to provide credentials',
    );
  }
  return cluster;
}

function toObject(value: Value | undefined): KubernetesObject {
  const plain = toPlain(value ?? null);
  if (
    !plain ||
    typeof plain !== 'object' ||
    Array.isArray(plain) ||
    typeof (plain as KubernetesObject).kind !== 'string'
  ) {
    throw new AzureError(
      'Invalid',
      'manifest: an object with apiVersion, kind and metadata is required',
      ['manifest'],
    );
  }
  return plain as KubernetesObject;
}

// cty null attributes of an object type are absent in Kubernetes' JSON.
function toPlain(value: Value): unknown {
  if (value === UNKNOWN)
    throw new AzureError('Invalid', 'manifest: a value is still unknown at apply', ['manifest']);
  if (Array.isArray(value)) return value.map(toPlain);
  if (value && typeof value === 'object')
    return Object.fromEntries(
      Object.entries(value)
        .filter(([, v]) => v !== null)
        .map(([k, v]) => [k, toPlain(v)]),
    );
  return value;
}

function toValue(object: unknown): Value {
  return JSON.parse(JSON.stringify(object)) as Value;
}
