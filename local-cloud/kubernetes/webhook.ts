/**
 * The Azure Workload Identity mutating webhook (Azure/azure-workload-identity v1.6), as a pure function.
 *
 * @see https://azure.github.io/azure-workload-identity/docs/topics/mutating-admission-webhook.html
 */
import { createHash } from 'node:crypto';
import type {
  Container,
  EnvVar,
  ObjectMeta,
  PodSpec,
  ServiceAccount,
  Volume,
  Workload,
} from './objects';
import { podTemplateOf } from './objects';

// Spelled out here, not imported from config/webhook.ts: a stand-in for the real webhook must not share a typo with the product it checks.
/** Pod label that opts a pod in; the webhook's object selector matches exactly `"true"`. */
export const USE_LABEL = 'azure.workload.identity/use';
/** Service account annotation naming the identity's client id. */
export const CLIENT_ID_ANNOTATION = 'azure.workload.identity/client-id';
/** Service account annotation naming the tenant; else the webhook's own tenant. */
export const TENANT_ID_ANNOTATION = 'azure.workload.identity/tenant-id';
/** Pod or service account annotation: projected token lifetime in seconds (the pod's wins). */
export const TOKEN_EXPIRATION_ANNOTATION =
  'azure.workload.identity/service-account-token-expiration';
/** Pod annotation: container names, separated by `;`, that get nothing injected. */
export const SKIP_CONTAINERS_ANNOTATION = 'azure.workload.identity/skip-containers';
/** Pod annotation asking for the proxy sidecar; presence alone turns it on. */
export const INJECT_PROXY_SIDECAR_ANNOTATION = 'azure.workload.identity/inject-proxy-sidecar';

/** Audience of the projected token, as Entra expects on a federated credential. */
export const TOKEN_AUDIENCE = 'api://AzureADTokenExchange';
/** Where v1.6 mounts the projected token volume. */
export const TOKEN_MOUNT_PATH = '/var/run/secrets/azure/wi';
/** The token file inside the mount. */
export const TOKEN_FILE_PATH = 'token/azure-identity-token';
/** Authority host of the public cloud, the webhook's default. */
export const PUBLIC_CLOUD_AUTHORITY_HOST = 'https://login.microsoftonline.com/';

const VOLUME_NAME_PREFIX = 'azure-workload-identity-reserved-';
const MIN_EXPIRATION_SECONDS = 3600;
const MAX_EXPIRATION_SECONDS = 86400;
const DEFAULT_EXPIRATION_SECONDS = 3600;
// The API server prefixes a webhook's refusal with this, and that is what `kubectl apply` prints.
const DENIED = 'admission webhook "mutation.azure-workload-identity.io" denied the request: ';

/** How the webhook is configured in the cluster. */
export interface MutatePodOptions {
  /** The webhook's `AZURE_TENANT_ID`: used when the service account has no tenant-id annotation. */
  readonly defaultTenantId: string;
  /**
   * The webhook's cloud's authority host, injected as `AZURE_AUTHORITY_HOST`.
   * @default 'https://login.microsoftonline.com/' - the public cloud
   */
  readonly authorityHost?: string;
}

/** What the webhook did to one workload. */
export interface MutationResult<T extends Workload> {
  /** A new object: the input is never changed. */
  readonly object: T;
  readonly mutated: boolean;
  /** Why nothing was injected, when `mutated` is false. */
  readonly reason?: string;
}

/**
 * Admit a Pod (or a Deployment's pod template) the way the workload identity webhook does on CREATE.
 *
 * Throws the API server's refusal message when the webhook would deny the pod.
 */
export function mutatePod<T extends Workload>(
  workload: T,
  serviceAccount: ServiceAccount,
  options: MutatePodOptions,
): MutationResult<T> {
  const object = structuredClone(workload);
  const template = podTemplateOf(object);
  // The webhook is registered with an object selector on the pod: a label on the service account is never read.
  if (template.metadata.labels?.[USE_LABEL] !== 'true') {
    return { object, mutated: false, reason: `the pod has no label ${USE_LABEL}: "true"` };
  }

  const namespace = template.metadata.namespace ?? object.metadata.namespace ?? 'default';
  const serviceAccountName = template.spec.serviceAccountName || 'default';
  if (
    serviceAccount.metadata.name !== serviceAccountName ||
    (serviceAccount.metadata.namespace ?? 'default') !== namespace
  ) {
    throw new Error(
      `${DENIED}serviceaccounts "${serviceAccountName}" not found in namespace "${namespace}"`,
    );
  }
  if (template.metadata.annotations?.[INJECT_PROXY_SIDECAR_ANNOTATION] !== undefined) {
    throw new Error(
      `${INJECT_PROXY_SIDECAR_ANNOTATION} is not supported by the local cloud: the SDKs used here do not need the proxy`,
    );
  }

  const saAnnotations = serviceAccount.metadata.annotations ?? {};
  const expirationSeconds = tokenExpiration(template.metadata.annotations ?? {}, saAnnotations);
  const volumeName = VOLUME_NAME_PREFIX + volumeHash(podNameForHash(object));
  const tenantId =
    TENANT_ID_ANNOTATION in saAnnotations
      ? saAnnotations[TENANT_ID_ANNOTATION]
      : options.defaultTenantId;
  const desiredEnv: EnvVar[] = [
    { name: 'AZURE_CLIENT_ID', value: saAnnotations[CLIENT_ID_ANNOTATION] ?? '' },
    { name: 'AZURE_TENANT_ID', value: tenantId },
    { name: 'AZURE_FEDERATED_TOKEN_FILE', value: `${TOKEN_MOUNT_PATH}/${TOKEN_FILE_PATH}` },
    { name: 'AZURE_AUTHORITY_HOST', value: options.authorityHost ?? PUBLIC_CLOUD_AUTHORITY_HOST },
  ];
  const skip = skipContainers(template.metadata);
  // A pod without containers is let through as it is: the API server's validation refuses it after admission.
  const mutateAll = (containers: readonly Container[] | undefined) =>
    (containers ?? []).map((c) =>
      skip.has(c.name) ? c : mutateContainer(c, desiredEnv, volumeName),
    );

  const volume: Volume = {
    name: volumeName,
    projected: {
      sources: [
        {
          serviceAccountToken: {
            path: TOKEN_FILE_PATH,
            expirationSeconds,
            audience: TOKEN_AUDIENCE,
          },
        },
      ],
    },
  };
  const spec: PodSpec = {
    ...template.spec,
    ...(template.spec.initContainers
      ? { initContainers: mutateAll(template.spec.initContainers) }
      : {}),
    containers: mutateAll(template.spec.containers),
    volumes: replaceOrAppend(template.spec.volumes ?? [], volume),
  };
  const mutated =
    object.kind === 'Deployment'
      ? { ...object, spec: { ...object.spec, template: { ...object.spec.template, spec } } }
      : { ...object, spec };
  return { object: mutated as T, mutated: true };
}

function mutateContainer(
  container: Container,
  desiredEnv: readonly EnvVar[],
  volumeName: string,
): Container {
  const present = new Set((container.env ?? []).map((e) => e.name));
  // A variable the container already sets wins, and empty values (no client-id annotation) are not injected.
  const added = desiredEnv.filter((e) => !present.has(e.name) && e.value);
  return {
    ...container,
    env: [...(container.env ?? []), ...added],
    volumeMounts: replaceOrAppend(container.volumeMounts ?? [], {
      name: volumeName,
      mountPath: TOKEN_MOUNT_PATH,
      readOnly: true,
    }),
  };
}

function tokenExpiration(
  podAnnotations: Readonly<Record<string, string>>,
  saAnnotations: Readonly<Record<string, string>>,
): number {
  const raw =
    podAnnotations[TOKEN_EXPIRATION_ANNOTATION] || saAnnotations[TOKEN_EXPIRATION_ANNOTATION];
  if (!raw) {
    return DEFAULT_EXPIRATION_SECONDS;
  }
  if (!/^[+-]?\d+$/.test(raw)) {
    // Go's strconv.ParseInt error, which the webhook returns as is.
    throw new Error(`${DENIED}strconv.ParseInt: parsing "${raw}": invalid syntax`);
  }
  const seconds = Number(raw);
  if (seconds < MIN_EXPIRATION_SECONDS || seconds > MAX_EXPIRATION_SECONDS) {
    throw new Error(
      `${DENIED}token expiration ${seconds} not valid. Expected value to be between ${MIN_EXPIRATION_SECONDS} and ${MAX_EXPIRATION_SECONDS}`,
    );
  }
  return seconds;
}

function skipContainers(metadata: ObjectMeta): Set<string> {
  const raw = metadata.annotations?.[SKIP_CONTAINERS_ANNOTATION] ?? '';
  return new Set(
    raw
      .split(';')
      .map((name) => name.trim())
      .filter(Boolean),
  );
}

// The webhook hashes the pod's name; a Deployment's pod has none yet at admission, only the ReplicaSet's generateName.
function podNameForHash(workload: Workload): string {
  const metadata = podTemplateOf(workload).metadata;
  if (metadata.name) {
    return metadata.name;
  }
  const generateName =
    metadata.generateName ??
    (workload.kind === 'Deployment' ? `${workload.metadata.name ?? ''}-` : '');
  return `${generateName} (prefix)`;
}

// 63 characters is the limit for a volume name.
function volumeHash(podName: string): string {
  return createHash('sha256')
    .update(podName)
    .digest('hex')
    .slice(0, 63 - VOLUME_NAME_PREFIX.length);
}

function replaceOrAppend<T extends { readonly name: string }>(items: readonly T[], item: T): T[] {
  return items.some((i) => i.name === item.name)
    ? items.map((i) => (i.name === item.name ? item : i))
    : [...items, item];
}
