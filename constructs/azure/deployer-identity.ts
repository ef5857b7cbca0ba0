import { FederatedIdentityCredential } from '@cdktf/provider-azurerm/lib/federated-identity-credential';
import { RoleAssignment } from '@cdktf/provider-azurerm/lib/role-assignment';
import { UserAssignedIdentity } from '@cdktf/provider-azurerm/lib/user-assigned-identity';
import { Construct } from 'constructs';
import type { BuiltInRole } from '../../config/built-in-roles';
import { type DeployerConfig, GITHUB_ISSUER, githubSubject } from '../../config/state';
import { TOKEN_AUDIENCE } from '../../config/webhook';
import type { ResourceGroupReference } from './resource-group-reference';

/** Properties of a `DeployerIdentity`. */
export interface DeployerIdentityProps {
  /** The identity's name and the GitHub workflow it trusts. */
  readonly deployer: DeployerConfig;
  readonly resourceGroup: ResourceGroupReference;
}

/**
 * The identity CI deploys as: a user-assigned managed identity that trusts GitHub Actions' tokens for one repository
 * and environment through a federated credential, so the pipeline holds no secret.
 * @see https://learn.microsoft.com/entra/workload-id/workload-identity-federation-create-trust-user-assigned-managed-identity
 * @see https://docs.github.com/en/actions/how-tos/secure-your-work/security-harden-deployments/oidc-in-azure
 */
export class DeployerIdentity extends Construct {
  /** The `azurerm_user_assigned_identity` resource. */
  readonly resource: UserAssignedIdentity;
  /** The federated credential: issuer, subject and audience of the workflow's tokens. */
  readonly credential: FederatedIdentityCredential;
  /** `AZURE_CLIENT_ID` of the workflow. */
  readonly clientId: string;
  /** Object id: what role assignments name. */
  readonly principalId: string;
  /** `AZURE_TENANT_ID` of the workflow. */
  readonly tenantId: string;

  constructor(scope: Construct, id: string, props: DeployerIdentityProps) {
    super(scope, id);
    const { github } = props.deployer;
    this.resource = new UserAssignedIdentity(this, 'Resource', {
      name: props.deployer.name,
      resourceGroupName: props.resourceGroup.name,
      location: props.resourceGroup.location,
    });
    this.credential = new FederatedIdentityCredential(this, 'GitHub', {
      // Credential names allow letters, digits, "-" and "_" (a repository may hold ".").
      name: `github-${github.repository}-${github.environment}`
        .replace(/[^A-Za-z0-9_-]/g, '-')
        .slice(0, 120),
      resourceGroupName: this.resource.resourceGroupName,
      parentId: this.resource.id,
      issuer: GITHUB_ISSUER,
      subject: githubSubject(github),
      audience: [TOKEN_AUDIENCE],
    });
    this.clientId = this.resource.clientId;
    this.principalId = this.resource.principalId;
    this.tenantId = this.resource.tenantId;
  }

  /** Assign `role` on `scope` to this identity, with an optional ABAC condition; returns the assignment. */
  grant(id: string, role: BuiltInRole, scope: string, condition?: string): RoleAssignment {
    return new RoleAssignment(this, id, {
      scope,
      roleDefinitionName: role,
      principalId: this.principalId,
      principalType: 'ServicePrincipal',
      condition,
      conditionVersion: condition ? '2.0' : undefined,
    });
  }
}
