import { ApiObject, JsonPatch, Size } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import type { WorkloadKind } from '../../config/kubernetes-object';
import { dns1123Label, dns1123Subdomain, tokenExpirationSeconds } from '../../config/rules';
import { type MemoryResources, PROGRAM_MEMORY } from '../../config/samples';
import {
  INJECT_PROXY_SIDECAR_ANNOTATION,
  SKIP_CONTAINERS_ANNOTATION,
  TOKEN_EXPIRATION_ANNOTATION,
  USE_WORKLOAD_IDENTITY_LABEL,
} from '../../config/webhook';
import type { WorkloadServiceAccount } from './workload-service-account';

/** The UID and GID the workload runs as; the app's Dockerfile uses the same. */
export const WORKLOAD_UID = 10001;
/** Name of the container that runs the workload program. */
export const WORKLOAD_CONTAINER = 'app';

/** Properties of a `Workload`. */
export interface WorkloadProps {
  /** Name of the Pod or Deployment. */
  readonly name: string;
  readonly serviceAccount: WorkloadServiceAccount;
  readonly image: string;
  /** `KEYVAULT_URL`: the vault the workload reads (from the Azure side's outputs). */
  readonly vaultUrl: string;
  /** `SECRET_NAME`: the secret the workload reads. */
  readonly secretName: string;
  /** `SHOW_SECRET`: print the value, as the lab's demo does. @default false - masked */
  readonly showSecret?: boolean;
  /** @default "Pod" - the lab's bare pod; a Deployment keeps it running across node failures */
  readonly kind?: WorkloadKind;
  /** Replicas of a Deployment. @default 1 */
  readonly replicas?: number;
  /** Lifetime of the projected token. @default - the service account's, else the webhook's 3600 */
  readonly tokenExpirationSeconds?: number;
  /** Sidecar containers the webhook must not inject into. @default - none */
  readonly skipContainers?: readonly string[];
  /** `KEYVAULT_NAME`, for programs that build the vault URL themselves (the upstream samples). @default - not set */
  readonly vaultName?: string;
  /** The program reads once and exits: a Pod restarts it only on failure. @default false - it loops, restart always */
  readonly runsOnce?: boolean;
  /** Node OS; Windows pods carry no Linux-only security fields. @default "linux" */
  readonly os?: 'linux' | 'windows';
  /** Ask the webhook for its token proxy sidecar (Linux only). @default false - the program's SDK exchanges the token itself */
  readonly injectProxySidecar?: boolean;
  /** Memory request and limit of the container. @default - the project's workload program's (64 and 128 MiB) */
  readonly memory?: MemoryResources;
  /** Paths the program writes to, each an `emptyDir` (the root filesystem is read-only). @default - none */
  readonly writablePaths?: readonly string[];
}

/**
 * The lab's workload, as a bare Pod or a Deployment: labelled for the webhook (on the pod itself, or the Deployment's
 * pod template), running as its service account, locked down.
 *
 * @see https://azure.github.io/azure-workload-identity/docs/topics/service-account-labels-and-annotations.html
 */
export class Workload extends Construct {
  /** The Kubernetes Pod or Deployment. */
  readonly resource: kplus.Pod | kplus.Deployment;

  constructor(scope: Construct, id: string, props: WorkloadProps) {
    super(scope, id);
    if (!dns1123Subdomain.test(props.name)) {
      throw new Error(
        `workload name ${JSON.stringify(props.name)} must be ${dns1123Subdomain.description}`,
      );
    }
    const tokenExpiration = props.tokenExpirationSeconds;
    if (tokenExpiration !== undefined && !tokenExpirationSeconds.test(tokenExpiration)) {
      throw new Error(
        `tokenExpirationSeconds ${tokenExpiration} must be ${tokenExpirationSeconds.description}`,
      );
    }
    if (props.injectProxySidecar && props.os === 'windows') {
      throw new Error(
        'injectProxySidecar is Linux only: the webhook cannot add its proxy sidecar to a Windows pod',
      );
    }
    for (const name of props.skipContainers ?? []) {
      if (!dns1123Label.test(name) || name === WORKLOAD_CONTAINER) {
        throw new Error(
          `skipContainers entry ${JSON.stringify(name)} must be ${dns1123Label.description}, and not "${WORKLOAD_CONTAINER}" (the workload's own container needs the identity)`,
        );
      }
    }
    const account = props.serviceAccount.resource;
    const annotations: Record<string, string> = {};
    if (tokenExpiration !== undefined)
      annotations[TOKEN_EXPIRATION_ANNOTATION] = String(tokenExpiration);
    if (props.skipContainers?.length)
      annotations[SKIP_CONTAINERS_ANNOTATION] = props.skipContainers.join(';');
    if (props.injectProxySidecar) annotations[INJECT_PROXY_SIDECAR_ANNOTATION] = 'true';
    const podMetadata = {
      labels: { [USE_WORKLOAD_IDENTITY_LABEL]: 'true' },
      ...(Object.keys(annotations).length ? { annotations } : {}),
    };
    const memory = props.memory ?? PROGRAM_MEMORY;
    const volumeMounts = (props.writablePaths ?? []).map((path, index) => ({
      path,
      volume: kplus.Volume.fromEmptyDir(this, `Writable${index}`, `writable-${index}`),
    }));
    const pod: kplus.AbstractPodProps = {
      serviceAccount: account,
      securityContext: {
        ensureNonRoot: true,
        user: WORKLOAD_UID,
        group: WORKLOAD_UID,
        fsGroup: WORKLOAD_UID,
      },
      containers: [
        {
          name: WORKLOAD_CONTAINER,
          image: props.image,
          envVariables: {
            KEYVAULT_URL: kplus.EnvValue.fromValue(props.vaultUrl),
            ...(props.vaultName
              ? { KEYVAULT_NAME: kplus.EnvValue.fromValue(props.vaultName) }
              : {}),
            SECRET_NAME: kplus.EnvValue.fromValue(props.secretName),
            SHOW_SECRET: kplus.EnvValue.fromValue(String(props.showSecret ?? false)),
          },
          resources: {
            cpu: { request: kplus.Cpu.millis(50), limit: kplus.Cpu.millis(200) },
            memory: {
              request: Size.mebibytes(memory.requestMiB),
              limit: Size.mebibytes(memory.limitMiB),
            },
          },
          ...(volumeMounts.length > 0 ? { volumeMounts } : {}),
          securityContext: {
            ensureNonRoot: true,
            user: WORKLOAD_UID,
            group: WORKLOAD_UID,
            readOnlyRootFilesystem: true,
            allowPrivilegeEscalation: false,
            privileged: false,
          },
        },
      ],
    };
    const metadata = { name: props.name, namespace: account.metadata.namespace };
    this.resource =
      props.kind === 'Deployment'
        ? new kplus.Deployment(this, 'Resource', {
            ...pod,
            metadata,
            replicas: props.replicas ?? 1,
            podMetadata,
          })
        : new kplus.Pod(this, 'Resource', {
            ...pod,
            metadata: { ...metadata, ...podMetadata },
            restartPolicy: props.runsOnce
              ? kplus.RestartPolicy.ON_FAILURE
              : kplus.RestartPolicy.ALWAYS,
          });
    const os = props.os ?? 'linux';
    const spec = props.kind === 'Deployment' ? '/spec/template/spec' : '/spec';
    // cdk8s-plus has no node OS setting: patch it in, so a mixed cluster never schedules the pod on the wrong OS.
    const patches = [
      JsonPatch.add(`${spec}/nodeSelector`, { 'kubernetes.io/os': os }),
      JsonPatch.add(`${spec}/os`, { name: os }),
    ];
    if (os === 'windows') {
      // Kubernetes rejects Linux-only security fields on Windows pods; Windows runs as the unprivileged ContainerUser.
      patches.push(
        JsonPatch.replace(`${spec}/securityContext`, {
          runAsNonRoot: true,
          windowsOptions: { runAsUserName: 'ContainerUser' },
        }),
        JsonPatch.replace(`${spec}/containers/0/securityContext`, { runAsNonRoot: true }),
      );
    }
    ApiObject.of(this.resource).addJsonPatch(...patches);
  }
}
