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
} from '../core/cloud-store';
import {
  LOCAL_MAX_DEPTH,
  MAX_JSON_DEPTH,
  nestingDepth,
  validateObjectFields,
} from './api-validation';
import { patchSchemaOf } from './kubernetes-patch-facts';
import type { ServiceAccount, Workload } from './objects';
import { jsonEqual, patchNeeded, threeWayMerge } from './strategic-merge-patch';
import { mutatePod } from './webhook';

type KubernetesObject = StoredKubernetesObject['object'];

/**
 * Kinds that live outside namespaces: NAMESPACED false in the API server's discovery, as `kubectl api-resources`
 * prints it (core v1, rbac.authorization.k8s.io/v1, storage.k8s.io/v1, scheduling.k8s.io/v1,
 * apiextensions.k8s.io/v1, admissionregistration.k8s.io/v1).
 * @see https://kubernetes.io/docs/reference/kubectl/generated/kubectl_api-resources/
 */
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

/** Whether objects of `kind` live in a namespace (the provider asks discovery the same: IsResourceNamespaced). */
export function isNamespaced(kind: string): boolean {
  return !CLUSTER_SCOPED.has(kind);
}

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

/**
 * The API server's refusal of an invalid object, NewInvalid: `<Kind>[.<group>] "<name>" is invalid: <errors>`, the
 * errors aggregated as one, or `[<first>, <second>]` with repeats left out
 * (kubernetes/apimachinery@v0.35.7:pkg/api/errors/errors.go:284-309, pkg/util/errors/errors.go:70-96).
 */
function invalid(
  object: KubernetesObject,
  name: string,
  errors: readonly string[],
): KubernetesApiError {
  const unique = [...new Set(errors)];
  const aggregate = unique.length === 1 ? unique[0] : `[${unique.join(', ')}]`;
  return new KubernetesApiError(
    'Invalid',
    `${qualifiedKind(object)} "${name}" is invalid: ${aggregate}`,
  );
}

// schema.GroupKind's String(): `Pod` for the core group, `Deployment.apps` for apps/v1.
function qualifiedKind(object: KubernetesObject): string {
  const apiVersion = typeof object.apiVersion === 'string' ? object.apiVersion : '';
  return apiVersion.includes('/') ? `${object.kind}.${apiVersion.split('/')[0]}` : object.kind;
}

/** The API server's create and update validation of the rules modelled (see api-validation.ts). */
function validateObject(
  object: KubernetesObject,
  name: string,
  more: readonly string[] = [],
): void {
  const errors = [...validateObjectFields(object), ...more];
  if (errors.length > 0) throw invalid(object, name, errors);
}

/**
 * An object nested deeper than the API machinery decodes (MAX_JSON_DEPTH) is refused before anything walks it. The
 * words around the decoder's own (`exceeded max depth of 10000`, kubernetes/apimachinery@v0.35.7:pkg/util/json/json.go:68)
 * are the local cloud's: the real refusal comes from whichever decoder meets the object first (kubectl reading the
 * manifest, or the API server reading the request body, a 400 BadRequest), in that decoder's wording. One deeper than
 * the local cloud can copy and merge without overflowing the stack (LOCAL_MAX_DEPTH) is refused as the local cloud's
 * own limit.
 */
function refuseTooDeep(object: KubernetesObject): void {
  const depth = nestingDepth(object, MAX_JSON_DEPTH);
  if (depth > LOCAL_MAX_DEPTH) throw tooDeep(object, depth);
}

function tooDeep(object: KubernetesObject, depth: number): KubernetesApiError {
  const name = typeof object.metadata?.name === 'string' ? object.metadata.name : '';
  return new KubernetesApiError(
    'BadRequest',
    depth > MAX_JSON_DEPTH
      ? `${object.kind} "${name}" could not be decoded: exceeded max depth of ${MAX_JSON_DEPTH} nested objects and lists`
      : `${object.kind} "${name}" nests objects and lists more than ${LOCAL_MAX_DEPTH} levels deep: the local cloud keeps no deeper object (the API server decodes up to ${MAX_JSON_DEPTH})`,
  );
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
  refuseTooDeep(input);
  const key = objectKey(input);
  if (
    key.namespace !== undefined &&
    !findObject(data, cluster.id, 'Namespace', { name: key.namespace })
  ) {
    throw new KubernetesApiError('NotFound', `namespaces "${key.namespace}" not found`);
  }
  let object: KubernetesObject = structuredClone({
    ...input,
    metadata: {
      ...input.metadata,
      ...(key.namespace !== undefined ? { namespace: key.namespace } : {}),
    },
  });
  // The API server's order: admission (the service account, the webhook) mutates, then the object is validated, then
  // stored, where one of the same name already exists.
  if (object.kind === 'Pod') object = admitPod(data, cluster, object);
  validateObject(object, key.name);
  if (findObject(data, cluster.id, input.kind, key)) {
    throw new KubernetesApiError(
      'AlreadyExists',
      `${resourceName(input.kind)} "${key.name}" already exists`,
    );
  }
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

/** The annotation where `kubectl apply` keeps the manifest it applied last (k8s.io/api core/v1/annotation_key_constants.go). */
export const LAST_APPLIED_ANNOTATION = 'kubectl.kubernetes.io/last-applied-configuration';

/** What `kubectl apply` did to one object, in its own words. */
export type ApplyOutcome = 'created' | 'configured' | 'unchanged';

/**
 * `kubectl apply` of one object (client side): create it with the last-applied-configuration annotation, or patch the
 * live object with the strategic merge of three (last applied, this manifest, live), so that what the API server or
 * the webhook added is kept and not counted as a change. No patch at all is `unchanged`.
 *
 * @see https://kubernetes.io/docs/tasks/manage-kubernetes-objects/declarative-config/#how-apply-calculates-differences-and-merges-changes
 */
export function applyObject(
  data: CloudStoreData,
  cluster: StoredCluster,
  input: KubernetesObject,
): { object: KubernetesObject; outcome: ApplyOutcome } {
  refuseTooDeep(input);
  const modified = withLastApplied(input);
  const key = objectKey(input);
  const stored = findObject(data, cluster.id, input.kind, key);
  if (!stored) return { object: createObject(data, cluster, modified), outcome: 'created' };
  const original = lastApplied(stored.object, key);
  if (!patchNeeded(original ?? {}, modified, stored.object, patchSchemaOf(input.kind)))
    return { object: stored.object, outcome: 'unchanged' };
  return {
    object: updateObject(data, cluster, modified, original),
    outcome: 'configured',
  };
}

/**
 * The configuration applied last, from the live object's annotation. kubectl hands the annotation to the three-way
 * merge as it is (kubernetes/kubectl@v0.35.7:pkg/util/apply.go:29-45), which refuses what is not a JSON object with
 * `invalid JSON document` (kubernetes/apimachinery@v0.35.7:pkg/util/strategicpatch/patch.go:2107-2109,
 * pkg/util/mergepatch/errors.go:26); kubectl prints it as `error when patching "<file>": creating patch with:` and
 * the three documents in full, then `for: invalid JSON document` (kubernetes/kubectl@v0.35.7:pkg/cmd/apply/patcher.go:62,
 * :177-179, :378, pkg/cmd/util/helpers.go:72). The local cloud has no file name and keeps that to one line: it names
 * the object and the annotation instead of printing the documents.
 */
function lastApplied(
  live: KubernetesObject,
  key: { namespace?: string; name: string },
): KubernetesObject | undefined {
  const annotations = live.metadata.annotations as Record<string, unknown> | undefined;
  const text = annotations?.[LAST_APPLIED_ANNOTATION];
  if (text === undefined || text === '') return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(String(text));
  } catch (err) {
    // Valid JSON too deep for Node's own parser is the local cloud's limit, not a tampered annotation.
    if (err instanceof RangeError) throw tooDeep(live, LOCAL_MAX_DEPTH + 1);
    parsed = undefined;
  }
  // A JSON document that is not an object (a list, a string, null) fails the same unmarshalling into a map.
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) {
    const where = key.namespace !== undefined ? ` in namespace "${key.namespace}"` : '';
    throw new Error(
      `error when patching ${live.kind} "${key.name}"${where}: creating patch from its ${LAST_APPLIED_ANNOTATION} annotation: invalid JSON document`,
    );
  }
  refuseTooDeep(parsed as KubernetesObject);
  return parsed as KubernetesObject;
}

// kubectl's GetModifiedConfiguration: the manifest as sorted JSON (the annotation left out, an empty map kept), then
// the manifest with that JSON in the annotation.
function withLastApplied(input: KubernetesObject): KubernetesObject {
  const { [LAST_APPLIED_ANNOTATION]: _, ...annotations } =
    (input.metadata.annotations as Record<string, string> | undefined) ?? {};
  const applied = { ...input, metadata: { ...input.metadata, annotations } };
  return {
    ...applied,
    metadata: {
      ...applied.metadata,
      annotations: { ...annotations, [LAST_APPLIED_ANNOTATION]: `${sortedJson(applied)}\n` },
    },
  };
}

function sortedJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(sortedJson).join(',')}]`;
  if (value && typeof value === 'object')
    return `{${Object.keys(value)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${sortedJson((value as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  return JSON.stringify(value);
}

/**
 * Patch the live object with `input` as a strategic merge: what `original` (the configuration applied before) set and
 * `input` no longer sets is removed, the rest of the live object is kept. A Pod's spec is immutable but for the fields
 * the API server lets change.
 */
export function updateObject(
  data: CloudStoreData,
  cluster: StoredCluster,
  input: KubernetesObject,
  original?: KubernetesObject,
): KubernetesObject {
  refuseTooDeep(input);
  if (original) refuseTooDeep(original);
  const key = objectKey(input);
  const stored = findObject(data, cluster.id, input.kind, key);
  if (!stored)
    throw new KubernetesApiError('NotFound', `${resourceName(input.kind)} "${key.name}" not found`);
  const merged = threeWayMerge(original ?? {}, input, stored.object, patchSchemaOf(input.kind));
  // ValidatePodUpdate checks the metadata and spec as on create, then what a Pod's update may not change.
  validateObject(
    merged,
    key.name,
    input.kind === 'Pod' ? podUpdateErrors(merged.spec, stored.object.spec) : [],
  );
  // A patch that changes nothing is not written: the resourceVersion stays.
  if (jsonEqual(merged, stored.object)) return stored.object;
  const object: KubernetesObject = {
    ...merged,
    metadata: {
      ...merged.metadata,
      uid: stored.object.metadata.uid,
      resourceVersion: String(Number(stored.object.metadata.resourceVersion ?? 1) + 1),
    },
  };
  data.kubernetesObjects = data.kubernetesObjects.map((o) =>
    o === stored ? { clusterId: o.clusterId, object } : o,
  );
  return object;
}

type SpecFields = Record<string, unknown> & { containers?: { image?: string }[] };

/**
 * The API server's ValidatePodUpdate, as field errors: containers may not be added or removed; only images,
 * activeDeadlineSeconds, added tolerations and a terminationGracePeriodSeconds of 1 after a negative one may change.
 *
 * Read from kubernetes/kubernetes pkg/apis/core/validation/validation.go (ValidatePodUpdate, updatablePodSpecFields,
 * ValidateContainerUpdates), release 1.35; the API server adds a diff of the two specs after the first line.
 */
function podUpdateErrors(next: unknown, previous: unknown): string[] {
  const after = structuredClone((next ?? {}) as SpecFields);
  const before = (previous ?? {}) as SpecFields;
  for (const list of ['containers', 'initContainers'] as const) {
    const a = (after[list] as { image?: string }[] | undefined) ?? [];
    const b = (before[list] as { image?: string }[] | undefined) ?? [];
    if (a.length !== b.length)
      return [`spec.${list}: Forbidden: pod updates may not add or remove containers`];
    for (const [i, container] of a.entries()) container.image = b[i].image;
  }
  after.activeDeadlineSeconds = before.activeDeadlineSeconds;
  const tolerations = (before.tolerations as unknown[] | undefined) ?? [];
  const added = (after.tolerations as unknown[] | undefined) ?? [];
  if (tolerations.every((t) => added.some((u) => jsonEqual(t, u))))
    after.tolerations = before.tolerations;
  if (Number(before.terminationGracePeriodSeconds) < 0 && after.terminationGracePeriodSeconds === 1)
    after.terminationGracePeriodSeconds = before.terminationGracePeriodSeconds;
  for (const spec of [after, before])
    for (const [field, value] of Object.entries(spec)) if (value === undefined) delete spec[field];
  if (!jsonEqual(after, before)) {
    return [
      `spec: Forbidden: pod updates may not change fields other than \`spec.containers[*].image\`,\`spec.initContainers[*].image\`,\`spec.activeDeadlineSeconds\`,\`spec.tolerations\` (only additions to existing tolerations),\`spec.terminationGracePeriodSeconds\` (allow it to be set to 1 if it was previously negative)`,
    ];
  }
  return [];
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
