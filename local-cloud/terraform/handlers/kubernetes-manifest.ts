/**
 * `kubernetes_manifest`: one Kubernetes object applied to the cluster the provider block points at (its `host`),
 * kept in the local cloud's store. The API server's rules apply (namespaces, service accounts, immutable Pods), and
 * a Pod passes the workload identity webhook on CREATE; the kubelet runs what the store holds.
 */
import type { CloudStoreData, StoredCluster, StoredKubernetesObject } from '../../core/cloud-store';
import {
  createObject,
  deleteObject,
  findObject,
  KubernetesApiError,
  objectKey,
  updateObject,
} from '../../kubernetes/cluster-objects';
import {
  type Attributes,
  AzureError,
  type HandlerContext,
  type ResourceHandler,
  UNKNOWN,
  type Value,
} from '../handler';
import { clusterAtHost } from './azurerm-kubernetes-cluster';
import { cloudStore, str } from './common';

type KubernetesObject = StoredKubernetesObject['object'];
type Path = readonly (string | number)[];

/** What the provider treats as computed when `computed_fields` is unset (manifest/provider/plan.go:231-238, v2.38.0). */
const DEFAULT_COMPUTED_FIELDS = ['metadata.annotations', 'metadata.labels'];

/**
 * The kubernetes provider's `kubernetes_manifest`, read from hashicorp/terraform-provider-kubernetes v2.38.0:
 *
 * - plan (manifest/provider/plan.go): the planned `object` is the manifest, with the `computed_fields` paths unknown
 *   on create (:407-426); on update a computed path keeps the prior object's value unless its manifest value changed
 *   (:449-503). Which changes replace is in the facts (facts/kubernetes-manifest.json).
 * - apply (manifest/provider/apply.go): server-side apply, then the state's `object` is what the API server returned
 *   (:461-477), without status, uid, creationTimestamp, resourceVersion, generation, selfLink and managedFields
 *   (resource.go:183-202). The local cloud has no OpenAPI types, so `object` holds the manifest's own fields: a
 *   field the webhook changed outside `computed_fields` differs from the plan, and Terraform fails with "Provider
 *   produced inconsistent result after apply", as it does with the real provider.
 */
export const kubernetesManifest: ResourceHandler = {
  plan({ prior, planned }) {
    const manifest = planned.manifest;
    if (!manifest || typeof manifest !== 'object' || Array.isArray(manifest)) return planned;
    const computed = computedFieldsOf(planned.computed_fields);
    const before = prior && isRecord(prior.object) ? prior : null;
    const object = plannedObject(manifest, [], (path, value) => {
      if (!computed.has(pathKey(path))) return undefined;
      if (!before) return UNKNOWN;
      const was = at(before.manifest, path);
      if (was === undefined || JSON.stringify(was) !== JSON.stringify(value)) return UNKNOWN;
      return at(before.object, path) ?? value;
    });
    return { ...planned, object };
  },
  async create({ planned, context }) {
    const object = apply(context, (data, cluster) =>
      createObject(data, cluster, toObject(planned.manifest)),
    );
    return { ...planned, object: returned(planned.object, object) };
  },
  async read({ state, context }) {
    const manifest = toObject(state.manifest);
    const data = cloudStore().read();
    const cluster = clusterOf(context, data);
    const stored = findObject(data, cluster.id, manifest.kind, objectKey(manifest));
    return stored ? { ...state, object: returned(state.object, stored.object) } : null;
  },
  async update({ prior, planned, context }) {
    const object = apply(context, (data, cluster) => {
      // Server-side apply: the fields Terraform's field manager owns are those it applied before, and what the webhook
      // added to that request; one no longer in the manifest is removed (a Pod's then fails the API's update rules).
      const live = findObject(
        data,
        cluster.id,
        String(toObject(prior.manifest).kind),
        objectKey(toObject(prior.manifest)),
      );
      return updateObject(
        data,
        cluster,
        toObject(planned.manifest),
        live ? withoutServerFields(live.object) : undefined,
      );
    });
    return { ...planned, object: returned(planned.object, object) };
  },
  async delete({ state, context }) {
    const manifest = toObject(state.manifest);
    apply(context, (data, cluster) =>
      deleteObject(data, cluster.id, manifest.kind, objectKey(manifest)),
    );
  },
};

// computed_fields as paths: `spec.containers[0].env`, `metadata.annotations["a.b/c"]` (FieldPathToTftypesPath).
function computedFieldsOf(value: Value | undefined): Set<string> {
  const fields = Array.isArray(value)
    ? value.filter((v): v is string => typeof v === 'string')
    : DEFAULT_COMPUTED_FIELDS;
  return new Set(fields.map((field) => pathKey(parseFieldPath(field))));
}

function parseFieldPath(field: string): Path {
  const path: (string | number)[] = [];
  for (const [, name, index, key] of field.matchAll(/([^.[\]]+)|\[(\d+)\]|\["([^"]*)"\]/g)) {
    path.push(name ?? (index !== undefined ? Number(index) : (key ?? '')));
  }
  return path;
}

function pathKey(path: Path): string {
  return JSON.stringify(path);
}

// The planned object: the manifest, with `decide`'s value where it has one (a computed path).
function plannedObject(
  value: Value,
  path: Path,
  decide: (path: Path, value: Value) => Value | undefined,
): Value {
  const decided = value === UNKNOWN ? undefined : decide(path, value);
  if (decided !== undefined) return decided;
  if (Array.isArray(value))
    return value.map((item, i) => plannedObject(item, [...path, i], decide));
  if (isRecord(value))
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [k, plannedObject(v, [...path, k], decide)]),
    );
  return value;
}

function at(value: Value | undefined, path: Path): Value | undefined {
  let current: Value | undefined = value;
  for (const step of path) {
    if (current === null || current === undefined || current === UNKNOWN) return undefined;
    current = Array.isArray(current)
      ? typeof step === 'number'
        ? current[step]
        : undefined
      : typeof current === 'object' && typeof step === 'string'
        ? (current as Attributes)[step]
        : undefined;
  }
  return current;
}

/**
 * The API server's object as the state holds it: within the fields the plan has (the manifest's own), and whole
 * where the plan did not know the value (a computed field). A list keeps every item the server returned.
 */
function returned(plan: Value | undefined, live: unknown): Value {
  const server = toValue(live === undefined ? null : live);
  if (plan === undefined || plan === UNKNOWN) return withoutServerFields(server);
  if (Array.isArray(plan) && Array.isArray(server))
    return server.map((item, i) => (i < plan.length ? returned(plan[i], item) : item));
  if (isRecord(plan) && isRecord(server))
    return Object.fromEntries(
      Object.keys(plan).map((k) => [k, returned(plan[k], (server as Attributes)[k])]),
    );
  return server;
}

function withoutServerFields<T>(object: T): T {
  if (!isRecord(object as Value) || !isRecord((object as Attributes).metadata)) return object;
  const { status: _, ...rest } = object as Attributes;
  const {
    uid: _uid,
    creationTimestamp: _created,
    resourceVersion: _version,
    generation: _generation,
    selfLink: _self,
    managedFields: _managed,
    ...metadata
  } = (object as Attributes).metadata as Attributes;
  return { ...rest, metadata } as T;
}

function isRecord(value: Value | undefined): value is Attributes {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

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
