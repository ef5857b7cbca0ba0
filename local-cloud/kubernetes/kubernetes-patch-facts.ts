/**
 * The strategic merge rules (`patchStrategy`, `patchMergeKey` struct tags) of the kinds the local cluster applies,
 * from the Kubernetes API types. A field not listed here is a map merged key by key, or a list replaced whole.
 *
 * Sources: k8s.io/api v0.35.7 core/v1/types.go and apps/v1/types.go, k8s.io/apimachinery v0.35.7
 * pkg/apis/meta/v1/types.go (lines cited beside each rule).
 */
import type { PatchField, PatchSchema } from './strategic-merge-patch';

const byName = (fields?: PatchSchema): PatchField => ({ merge: true, mergeKey: 'name', fields });

// core/v1/types.go: Container
const CONTAINER: PatchSchema = {
  ports: { merge: true, mergeKey: 'containerPort' }, // l. 2953
  env: byName(), // l. 2970
  volumeMounts: { merge: true, mergeKey: 'mountPath' }, // l. 3021
  volumeDevices: { merge: true, mergeKey: 'devicePath' }, // l. 3028
};

// core/v1/types.go: PodSpec
const POD_SPEC: PatchSchema = {
  volumes: { merge: true, retainKeys: true, mergeKey: 'name' }, // l. 4108, patchStrategy "merge,retainKeys"
  initContainers: byName(CONTAINER), // l. 4126
  containers: byName(CONTAINER), // l. 4135
  ephemeralContainers: byName(CONTAINER), // l. 4145
  imagePullSecrets: byName(), // l. 4240
  hostAliases: { merge: true, mergeKey: 'ip' }, // l. 4267
  topologySpreadConstraints: { merge: true, mergeKey: 'topologyKey' }, // l. 4330
  schedulingGates: byName(), // l. 4397
  resourceClaims: { merge: true, retainKeys: true, mergeKey: 'name' }, // l. 4414
};

// apimachinery pkg/apis/meta/v1/types.go: ObjectMeta
const OBJECT_META: PatchField = {
  fields: {
    ownerReferences: { merge: true, mergeKey: 'uid' }, // l. 241
    finalizers: { merge: true }, // l. 259: a set of strings
  },
};

/** The merge rules of an object of `kind` (its `metadata` included). */
export function patchSchemaOf(kind: string): PatchSchema {
  switch (kind) {
    case 'Pod':
      return { metadata: OBJECT_META, spec: { fields: POD_SPEC } };
    case 'Deployment':
      return {
        metadata: OBJECT_META,
        spec: {
          fields: {
            strategy: { retainKeys: true }, // apps/v1/types.go l. 397
            template: { fields: { metadata: OBJECT_META, spec: { fields: POD_SPEC } } },
          },
        },
      };
    case 'ServiceAccount':
      return { metadata: OBJECT_META, secrets: byName() }; // core/v1/types.go l. 6303
    default:
      return { metadata: OBJECT_META };
  }
}
