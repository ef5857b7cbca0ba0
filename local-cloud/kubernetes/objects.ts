/**
 * The few Kubernetes object shapes the webhook and the kubelet read, as parsed from YAML.
 *
 * Fields the local cloud does not read are kept (index signatures) so that objects round-trip untouched.
 */

/** `metadata` of any Kubernetes object. */
export interface ObjectMeta {
  readonly name?: string;
  readonly generateName?: string;
  readonly namespace?: string;
  readonly labels?: Readonly<Record<string, string>>;
  readonly annotations?: Readonly<Record<string, string>>;
  readonly [field: string]: unknown;
}

/** A container's environment variable; only literal `value`s can run locally. */
export interface EnvVar {
  readonly name: string;
  readonly value?: string;
  readonly valueFrom?: unknown;
}

/** A container's volume mount. */
export interface VolumeMount {
  readonly name: string;
  readonly mountPath: string;
  readonly readOnly?: boolean;
  readonly [field: string]: unknown;
}

/** A container or init container. */
export interface Container {
  readonly name: string;
  readonly image?: string;
  readonly env?: readonly EnvVar[];
  readonly volumeMounts?: readonly VolumeMount[];
  readonly [field: string]: unknown;
}

/** A projected service account token source, as the webhook writes it. */
export interface ServiceAccountTokenProjection {
  readonly path: string;
  readonly audience?: string;
  readonly expirationSeconds?: number;
}

/** A pod volume; only projected service account tokens matter here. */
export interface Volume {
  readonly name: string;
  readonly projected?: {
    readonly sources?: readonly {
      readonly serviceAccountToken?: ServiceAccountTokenProjection;
      readonly [field: string]: unknown;
    }[];
    readonly [field: string]: unknown;
  };
  readonly [field: string]: unknown;
}

/** `spec` of a Pod or of a Deployment's pod template. */
export interface PodSpec {
  readonly serviceAccountName?: string;
  readonly containers: readonly Container[];
  readonly initContainers?: readonly Container[];
  readonly volumes?: readonly Volume[];
  readonly terminationGracePeriodSeconds?: number;
  readonly [field: string]: unknown;
}

/** A v1 Pod. */
export interface Pod {
  readonly apiVersion?: string;
  readonly kind: 'Pod';
  readonly metadata: ObjectMeta;
  readonly spec: PodSpec;
  readonly [field: string]: unknown;
}

/** An apps/v1 Deployment: its pods are made from `spec.template`. */
export interface Deployment {
  readonly apiVersion?: string;
  readonly kind: 'Deployment';
  readonly metadata: ObjectMeta;
  readonly spec: {
    readonly template: { readonly metadata?: ObjectMeta; readonly spec: PodSpec };
    readonly [field: string]: unknown;
  };
  readonly [field: string]: unknown;
}

/** A v1 ServiceAccount. */
export interface ServiceAccount {
  readonly apiVersion?: string;
  readonly kind?: 'ServiceAccount';
  readonly metadata: ObjectMeta;
  readonly [field: string]: unknown;
}

/** What runs pods: a Pod, or a Deployment whose template is used. */
export type Workload = Pod | Deployment;

/** The pod metadata and spec of a workload: the Pod itself, or a Deployment's template. */
export function podTemplateOf(workload: Workload): {
  readonly metadata: ObjectMeta;
  readonly spec: PodSpec;
} {
  if (workload.kind === 'Deployment') {
    return { metadata: workload.spec.template.metadata ?? {}, spec: workload.spec.template.spec };
  }
  return { metadata: workload.metadata, spec: workload.spec };
}
