import { FederatedIdentityCredential } from '@cdktf/provider-azurerm/lib/federated-identity-credential';
import type { ResourceGroup } from '@cdktf/provider-azurerm/lib/resource-group';
import { UserAssignedIdentity } from '@cdktf/provider-azurerm/lib/user-assigned-identity';
import { Token } from 'cdktf';
import { Construct } from 'constructs';
import { managedIdentityName } from '../config/rules';
import { MAX_FEDERATED_CREDENTIALS_PER_IDENTITY } from '../config/schema';
import { TOKEN_AUDIENCE } from '../config/outputs';
import type { AksCluster } from './aks-cluster';

/** Properties of a `WorkloadIdentity`. */
export interface WorkloadIdentityProps {
  /** Name of the user-assigned managed identity. */
  readonly name: string;
  readonly resourceGroup: ResourceGroup;
}

/** Which Kubernetes service account a federated credential trusts. */
export interface FederatedCredentialOptions {
  /** The cluster whose issuer signs the service-account tokens. */
  readonly cluster: AksCluster;
  readonly namespace: string;
  readonly serviceAccountName: string;
}

/**
 * A user-assigned managed identity that Kubernetes service accounts can sign in as.
 *
 * @see https://learn.microsoft.com/entra/workload-id/workload-identity-federation
 */
export class WorkloadIdentity extends Construct {
  /** The `azurerm_user_assigned_identity` resource. */
  readonly resource: UserAssignedIdentity;
  /** The identity's client id: the service account's `client-id` annotation. */
  readonly clientId: string;
  /** The service principal's object id: what role assignments name. */
  readonly principalId: string;
  /** The identity's tenant. */
  readonly tenantId: string;
  /** The identity's name. */
  readonly identityName: string;
  private readonly credentials: FederatedIdentityCredential[] = [];

  constructor(scope: Construct, id: string, props: WorkloadIdentityProps) {
    super(scope, id);
    if (!Token.isUnresolved(props.name) && !managedIdentityName.test(props.name)) {
      throw new Error(`managed identity name ${JSON.stringify(props.name)} must be ${managedIdentityName.description}`);
    }
    this.identityName = props.name;
    this.resource = new UserAssignedIdentity(this, 'Resource', {
      name: props.name,
      location: props.resourceGroup.location,
      resourceGroupName: props.resourceGroup.name,
    });
    this.clientId = this.resource.clientId;
    this.principalId = this.resource.principalId;
    this.tenantId = this.resource.tenantId;
  }

  /**
   * Trust the tokens of one service account: issuer, subject and audience must match them exactly.
   *
   * Credentials of one identity are chained with `depends_on`: Entra refuses concurrent writes to one identity.
   * @see https://learn.microsoft.com/entra/workload-id/workload-identity-federation-considerations
   */
  addFederatedCredential(options: FederatedCredentialOptions): FederatedIdentityCredential {
    if (this.credentials.length === MAX_FEDERATED_CREDENTIALS_PER_IDENTITY) {
      throw new Error(`identity ${JSON.stringify(this.identityName)} already has ${MAX_FEDERATED_CREDENTIALS_PER_IDENTITY} federated credentials: Entra allows at most ${MAX_FEDERATED_CREDENTIALS_PER_IDENTITY}`);
    }
    // Credential names allow letters, digits, "-" and "_" only.
    const name = `${options.namespace}-${options.serviceAccountName}`.replaceAll('.', '-').slice(0, 120);
    const previous = this.credentials.at(-1);
    const credential = new FederatedIdentityCredential(this, `Credential-${options.namespace}-${options.serviceAccountName}`, {
      name,
      resourceGroupName: this.resource.resourceGroupName,
      parentId: this.resource.id,
      issuer: options.cluster.oidcIssuerUrl,
      subject: serviceAccountSubject(options.namespace, options.serviceAccountName),
      audience: [TOKEN_AUDIENCE],
      dependsOn: previous ? [previous] : undefined,
    });
    this.credentials.push(credential);
    return credential;
  }
}

/** The `sub` claim of a Kubernetes service-account token. */
export function serviceAccountSubject(namespace: string, serviceAccountName: string): string {
  return `system:serviceaccount:${namespace}:${serviceAccountName}`;
}
