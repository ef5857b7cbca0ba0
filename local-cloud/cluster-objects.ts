/**
 * A cluster's API server, for the few kinds the project applies: objects are kept in the local cloud's store,
 * namespaced objects need their namespace, a Pod needs its service account and is admitted through the workload
 * identity webhook on CREATE, and a Pod's spec cannot change afterwards.
 */
import {
  type CloudStoreData,
  newGuid,
  type StoredCluster,
  type StoredKubernetesObject,
  sameId,
} from './cloud-store';
import type { ServiceAccount, Workload } from './kubernetes';
import { mutatePod } from './webhook';

type KubernetesObject = StoredKubernetesObject['object'];

/** Kinds that live outside namespaces. */
const CLUSTER_SCOPED = new Set([
  'Namespace',
  'ClusterRole',
  'ClusterRoleBinding',
  'CustomResourceDefinition',
  'Node',
  'PersistentVolume',
  'StorageClass',
  'PriorityClass',
  'MutatingWebhookConfiguration',
  'ValidatingWebhookConfiguration',
]);

/** An API server refusal, worded as `kubectl` prints it. */
export class KubernetesApiError extends Error {
  constructor(
    /** The API's reason, e.g. `AlreadyExists`, `NotFound`, `Invalid`, `Forbidden`. */
    readonly reason: string,
    message: string,
  ) {
    super(message);
    this.name = 'KubernetesApiError';
  }
}

/** `<namespace>/<name>` of an object (the namespace defaulted), or `<name>` for cluster-scoped kinds. */
export function objectKey(object: KubernetesObject): { namespace?: string; name: string } {
  const name = object.metadata?.name;
  if (!name)
    throw new KubernetesApiError(
      'Invalid',
      `${object.kind} is invalid: metadata.name: Required value: name or generateName is required`,
    );
  return CLUSTER_SCOPED.has(object.kind)
    ? { name }
    : { namespace: object.metadata.namespace ?? 'default', name };
}

function resourceName(kind: string): string {
  return `${kind.toLowerCase()}s`;
}

/** The stored object of `kind` named like `object`, in `cluster`. */
export function findObject(
  data: Pick<CloudStoreData, 'kubernetesObjects'>,
  clusterId: string,
  kind: string,
  key: { namespace?: string; name: string },
): StoredKubernetesObject | undefined {
  return data.kubernetesObjects.find(
    (o) =>
      sameId(o.clusterId, clusterId) &&
      o.object.kind === kind &&
      o.object.metadata.name === key.name &&
      (CLUSTER_SCOPED.has(kind) || (o.object.metadata.namespace ?? 'default') === key.namespace),
  );
}

/** Create `object` in `cluster`, as `POST` to the API server does; returns the stored object. */
export function createObject(
  data: CloudStoreData,
  cluster: StoredCluster,
  input: KubernetesObject,
): KubernetesObject {
  const key = objectKey(input);
  if (
    key.namespace !== undefined &&
    !findObject(data, cluster.id, 'Namespace', { name: key.namespace })
  ) {
    throw new KubernetesApiError('NotFound', `namespaces "${key.namespace}" not found`);
  }
  if (findObject(data, cluster.id, input.kind, key)) {
    throw new KubernetesApiError(
      'AlreadyExists',
      `${resourceName(input.kind)} "${key.name}" already exists`,
    );
  }
  let object: KubernetesObject = structuredClone({
    ...input,
    metadata: {
      ...input.metadata,
      ...(key.namespace !== undefined ? { namespace: key.namespace } : {}),
    },
  });
  if (object.kind === 'Pod') object = admitPod(data, cluster, object);
  object.metadata = {
    ...object.metadata,
    uid: newGuid(),
    creationTimestamp: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
    resourceVersion: '1',
  };
  data.kubernetesObjects.push({ clusterId: cluster.id, object });
  // Kubernetes gives every new namespace its `default` service account.
  if (object.kind === 'Namespace') {
    data.kubernetesObjects.push({
      clusterId: cluster.id,
      object: {
        apiVersion: 'v1',
        kind: 'ServiceAccount',
        metadata: { name: 'default', namespace: key.name, uid: newGuid() },
      },
    });
  }
  return object;
}

/** Replace `object`'s desired fields, as an apply does; a Pod's spec is immutable. */
export function updateObject(
  data: CloudStoreData,
  cluster: StoredCluster,
  input: KubernetesObject,
): KubernetesObject {
  const key = objectKey(input);
  const stored = findObject(data, cluster.id, input.kind, key);
  if (!stored)
    throw new KubernetesApiError('NotFound', `${resourceName(input.kind)} "${key.name}" not found`);
  if (
    input.kind === 'Pod' &&
    JSON.stringify(withoutImages(input.spec)) !==
      JSON.stringify(withoutImages(stored.object.spec, input.spec))
  ) {
    throw new KubernetesApiError(
      'Invalid',
      `Pod "${key.name}" is invalid: spec: Forbidden: pod updates may not change fields other than \`spec.containers[*].image\`,\`spec.initContainers[*].image\`,\`spec.activeDeadlineSeconds\`,\`spec.tolerations\` (only additions to existing tolerations),\`spec.terminationGracePeriodSeconds\` (allow it to be set to 1 if it was previously negative)`,
    );
  }
  const metadata = {
    ...stored.object.metadata,
    ...input.metadata,
    uid: stored.object.metadata.uid,
    resourceVersion: String(Number(stored.object.metadata.resourceVersion ?? 1) + 1),
  };
  const object =
    input.kind === 'Pod' ? { ...stored.object, metadata } : { ...structuredClone(input), metadata };
  data.kubernetesObjects = data.kubernetesObjects.map((o) =>
    o === stored ? { clusterId: o.clusterId, object } : o,
  );
  return object;
}

/** Delete an object; deleting a namespace deletes everything in it. */
export function deleteObject(
  data: CloudStoreData,
  clusterId: string,
  kind: string,
  key: { namespace?: string; name: string },
): void {
  const stored = findObject(data, clusterId, kind, key);
  if (!stored) return;
  data.kubernetesObjects = data.kubernetesObjects.filter(
    (o) =>
      o !== stored &&
      !(
        kind === 'Namespace' &&
        sameId(o.clusterId, clusterId) &&
        o.object.metadata.namespace === key.name
      ),
  );
}

/** The service account a pod runs as, as stored in its namespace. */
export function serviceAccountOf(
  data: Pick<CloudStoreData, 'kubernetesObjects'>,
  clusterId: string,
  namespace: string,
  name: string,
): ServiceAccount | undefined {
  return findObject(data, clusterId, 'ServiceAccount', { namespace, name })?.object as unknown as
    | ServiceAccount
    | undefined;
}

// Admission of a new Pod: the service account must exist, then the workload identity webhook mutates it.
function admitPod(
  data: CloudStoreData,
  cluster: StoredCluster,
  pod: KubernetesObject,
): KubernetesObject {
  const namespace = pod.metadata.namespace ?? 'default';
  const accountName = ((pod.spec as { serviceAccountName?: string } | undefined)
    ?.serviceAccountName || 'default') as string;
  const account = serviceAccountOf(data, cluster.id, namespace, accountName);
  if (!account) {
    throw new KubernetesApiError(
      'Forbidden',
      `pods "${pod.metadata.name}" is forbidden: error looking up service account ${namespace}/${accountName}: serviceaccount "${accountName}" not found`,
    );
  }
  return mutatePod(pod as unknown as Workload, account, { defaultTenantId: cluster.tenantId })
    .object as unknown as KubernetesObject;
}

// The spec without container images (which may change) and without what the webhook injected at CREATE.
function withoutImages(spec: unknown, shapeOf?: unknown): unknown {
  const copy = structuredClone(spec ?? {}) as {
    containers?: { image?: string; env?: { name: string }[]; volumeMounts?: unknown }[];
    volumes?: unknown;
  };
  const desired = shapeOf as typeof copy | undefined;
  for (const [i, container] of (copy.containers ?? []).entries()) {
    delete container.image;
    if (desired) {
      const wanted = new Set((desired.containers?.[i]?.env ?? []).map((e) => e.name));
      container.env = container.env?.filter((e) => wanted.has(e.name));
      if (container.env?.length === 0 && !desired.containers?.[i]?.env) delete container.env;
      if (!desired.containers?.[i]?.volumeMounts) delete container.volumeMounts;
    }
  }
  if (desired && !desired.volumes) delete copy.volumes;
  return copy;
}
