import { Size } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { dns1123Subdomain } from '../config/rules';
import type { WorkloadServiceAccount } from './workload-service-account';

/** The pod label the workload identity webhook selects on; a label on the service account is ignored. */
export const USE_WORKLOAD_IDENTITY_LABEL = 'azure.workload.identity/use';
/** The UID and GID the workload runs as; the app's Dockerfile uses the same. */
export const WORKLOAD_UID = 10001;

/** Properties of a `WorkloadPod`. */
export interface WorkloadPodProps {
  readonly name: string;
  readonly serviceAccount: WorkloadServiceAccount;
  readonly image: string;
  /** `KEYVAULT_URL`: the vault the workload reads (from the Azure side's outputs). */
  readonly vaultUrl: string;
  /** `SECRET_NAME`: the secret the workload reads. */
  readonly secretName: string;
  /** `SHOW_SECRET`: print the value, as the lab's demo does. @default false - masked */
  readonly showSecret?: boolean;
}

/**
 * The lab's demo pod: labelled for the webhook, running as its service account, locked down.
 *
 * @see https://learn.microsoft.com/azure/aks/workload-identity-overview
 */
export class WorkloadPod extends Construct {
  /** The Kubernetes pod. */
  readonly resource: kplus.Pod;

  constructor(scope: Construct, id: string, props: WorkloadPodProps) {
    super(scope, id);
    if (!dns1123Subdomain.test(props.name)) {
      throw new Error(`pod name ${JSON.stringify(props.name)} must be ${dns1123Subdomain.description}`);
    }
    const account = props.serviceAccount.resource;
    this.resource = new kplus.Pod(this, 'Resource', {
      metadata: { name: props.name, namespace: account.metadata.namespace, labels: { [USE_WORKLOAD_IDENTITY_LABEL]: 'true' } },
      serviceAccount: account,
      securityContext: { ensureNonRoot: true, user: WORKLOAD_UID, group: WORKLOAD_UID, fsGroup: WORKLOAD_UID },
      containers: [
        {
          name: 'app',
          image: props.image,
          envVariables: {
            KEYVAULT_URL: kplus.EnvValue.fromValue(props.vaultUrl),
            SECRET_NAME: kplus.EnvValue.fromValue(props.secretName),
            SHOW_SECRET: kplus.EnvValue.fromValue(String(props.showSecret ?? false)),
          },
          resources: {
            cpu: { request: kplus.Cpu.millis(50), limit: kplus.Cpu.millis(200) },
            memory: { request: Size.mebibytes(64), limit: Size.mebibytes(128) },
          },
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
    });
  }
}
