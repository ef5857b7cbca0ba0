import * as kplus from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { dns1123Label, dns1123Subdomain } from '../../config/rules';
import { CLIENT_ID_ANNOTATION, TENANT_ID_ANNOTATION } from '../../config/webhook';

/** Properties of a `WorkloadServiceAccount`. */
export interface WorkloadServiceAccountProps {
  readonly name: string;
  readonly namespace: string;
  /** Client id of the managed identity (from the Azure side's outputs). */
  readonly clientId: string;
  /** Tenant of the managed identity (from the Azure side's outputs). */
  readonly tenantId: string;
}

/**
 * A service account annotated for Microsoft Entra Workload ID: the webhook injects its client and tenant ids.
 *
 * @see https://azure.github.io/azure-workload-identity/docs/topics/service-account-labels-and-annotations.html
 */
export class WorkloadServiceAccount extends Construct {
  /** The Kubernetes service account. */
  readonly resource: kplus.ServiceAccount;

  constructor(scope: Construct, id: string, props: WorkloadServiceAccountProps) {
    super(scope, id);
    if (!dns1123Label.test(props.namespace)) {
      throw new Error(
        `namespace ${JSON.stringify(props.namespace)} must be ${dns1123Label.description}`,
      );
    }
    if (!dns1123Subdomain.test(props.name)) {
      throw new Error(
        `service account name ${JSON.stringify(props.name)} must be ${dns1123Subdomain.description}`,
      );
    }
    this.resource = new kplus.ServiceAccount(this, 'Resource', {
      metadata: {
        name: props.name,
        namespace: props.namespace,
        annotations: {
          [CLIENT_ID_ANNOTATION]: props.clientId,
          [TENANT_ID_ANNOTATION]: props.tenantId,
        },
      },
      // The webhook projects its own token; the API server token is not needed by the workload.
      automountToken: false,
    });
  }
}
