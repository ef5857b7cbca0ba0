import { FederatedIdentityCredential } from '@cdktf/provider-azurerm/lib/federated-identity-credential';
import { UserAssignedIdentity } from '@cdktf/provider-azurerm/lib/user-assigned-identity';
import { type TerraformProvider, Token } from 'cdktf';
import type { Construct } from 'constructs';
import { managedIdentityName } from '../../config/rules';
import { type CredentialSpec, FederatedIdentity } from './federated-identity';
import type { ResourceGroupReference } from './resource-group-reference';

export { type FederatedCredentialOptions, serviceAccountSubject } from './federated-identity';

/** Properties of a `WorkloadIdentity`. */
export interface WorkloadIdentityProps {
  /** Name of the user-assigned managed identity. */
  readonly name: string;
  /** The group the identity lives in. */
  readonly resourceGroup: ResourceGroupReference;
  /** The azurerm provider of the tenant the identity lives in. @default - the stack's default provider */
  readonly provider?: TerraformProvider;
}

/**
 * A user-assigned managed identity that Kubernetes service accounts can sign in as.
 *
 * @see https://learn.microsoft.com/entra/workload-id/workload-identity-federation
 */
export class WorkloadIdentity extends FederatedIdentity {
  /** The `azurerm_user_assigned_identity` resource. */
  readonly resource: UserAssignedIdentity;
  readonly clientId: string;
  readonly principalId: string;
  readonly tenantId: string;
  readonly identityName: string;

  constructor(scope: Construct, id: string, props: WorkloadIdentityProps) {
    super(scope, id);
    if (!Token.isUnresolved(props.name) && !managedIdentityName.test(props.name)) {
      throw new Error(
        `managed identity name ${JSON.stringify(props.name)} must be ${managedIdentityName.description}`,
      );
    }
    this.identityName = props.name;
    this.resource = new UserAssignedIdentity(this, 'Resource', {
      name: props.name,
      location: props.resourceGroup.location,
      resourceGroupName: props.resourceGroup.name,
      provider: props.provider,
    });
    this.clientId = this.resource.clientId;
    this.principalId = this.resource.principalId;
    this.tenantId = this.resource.tenantId;
  }

  protected createCredential(id: string, spec: CredentialSpec): FederatedIdentityCredential {
    return new FederatedIdentityCredential(this, id, {
      name: spec.name,
      resourceGroupName: this.resource.resourceGroupName,
      parentId: this.resource.id,
      issuer: spec.issuer,
      subject: spec.subject,
      audience: [spec.audience],
      provider: this.resource.provider,
      dependsOn: spec.dependsOn ? [spec.dependsOn] : undefined,
    });
  }
}
