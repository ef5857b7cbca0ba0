/**
 * Kubernetes objects as cdk8s renders them and as `verify` reads them back from YAML: one type for both sides.
 *
 * @see https://kubernetes.io/docs/concepts/overview/working-with-objects/
 */

/** The `metadata` of an object, as far as this project reads it. */
export interface ObjectMeta {
  readonly name: string;
  readonly namespace?: string;
  readonly labels?: Readonly<Record<string, string>>;
  readonly annotations?: Readonly<Record<string, string>>;
  readonly [key: string]: unknown;
}

/** One `env` entry of a container. */
export interface EnvVar {
  readonly name: string;
  readonly value?: string;
  readonly [key: string]: unknown;
}

/** A container of a pod spec, as far as this project reads it. */
export interface Container {
  readonly name?: string;
  readonly image?: string;
  readonly env?: readonly EnvVar[];
  readonly [key: string]: unknown;
}

/** A pod spec, as far as this project reads it. */
export interface PodSpec {
  readonly serviceAccountName?: string;
  readonly containers?: readonly Container[];
  readonly [key: string]: unknown;
}

/** A Kubernetes object: `spec` is a pod spec for a Pod, and holds a pod `template` for the controllers of `POD_KINDS`. */
export interface KubeObject {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata: ObjectMeta;
  readonly spec?: PodSpec & {
    readonly template?: { readonly metadata?: Partial<ObjectMeta>; readonly spec?: PodSpec };
  };
  readonly [key: string]: unknown;
}

/** The kinds that run pods: a Pod, and the controllers whose pod template sits at `spec.template`. */
export const POD_KINDS = [
  'Pod',
  'Deployment',
  'StatefulSet',
  'DaemonSet',
  'Job',
  'ReplicaSet',
] as const;

/** One of `POD_KINDS`. */
export type PodKind = (typeof POD_KINDS)[number];

/** The pod kinds a workload of the config may be: a bare Pod as in the lab, or a Deployment. */
export const WORKLOAD_KINDS = ['Pod', 'Deployment'] as const satisfies readonly PodKind[];

/** One of `WORKLOAD_KINDS`. */
export type WorkloadKind = (typeof WORKLOAD_KINDS)[number];

/** Whether an object runs pods (one of `POD_KINDS`). */
export function isPodKind(kind: string): kind is PodKind {
  return (POD_KINDS as readonly string[]).includes(kind);
}

/** The pod's metadata and spec: the object's own for a Pod, its template's for a controller; undefined for others. */
export function podTemplateOf(
  object: KubeObject,
): { readonly metadata: Partial<ObjectMeta>; readonly spec: PodSpec } | undefined {
  if (!isPodKind(object.kind)) return undefined;
  if (object.kind === 'Pod') return { metadata: object.metadata, spec: object.spec ?? {} };
  return {
    metadata: object.spec?.template?.metadata ?? {},
    spec: object.spec?.template?.spec ?? {},
  };
}
