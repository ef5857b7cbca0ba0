import { Application } from '@cdktf/provider-azuread/lib/application';
import { ApplicationFederatedIdentityCredential } from '@cdktf/provider-azuread/lib/application-federated-identity-credential';
import type { DataAzureadClientConfig } from '@cdktf/provider-azuread/lib/data-azuread-client-config';
import type { AzureadProvider } from '@cdktf/provider-azuread/lib/provider';
import { ServicePrincipal } from '@cdktf/provider-azuread/lib/service-principal';
import type { Construct } from 'constructs';
import { type CredentialSpec, FederatedIdentity } from './federated-identity';

/** Properties of an `ApplicationIdentity`. */
export interface ApplicationIdentityProps {
  /** Display name of the Entra application. */
  readonly displayName: string;
  /**
   * The deploying principal, made owner of the application and of the service principal.
   *
   * Without owners azuread adds the caller as owner and then removes it: afterwards only a tenant-wide
   * administrator could add the service principal or the federated credentials.
   */
  readonly deployer: DataAzureadClientConfig;
  /**
   * Register the application as multi-tenant and create its service principal in another tenant, where the
   * resources are (cross-tenant access).
   * @default - single tenant: the application and its service principal live in the deployer's tenant
   */
  readonly resourceTenant?: ResourceTenant;
}

/** The tenant that holds the resources, for an `ApplicationIdentity` used across tenants. */
export interface ResourceTenant {
  /** The tenant's id: the workload asks it for its tokens. */
  readonly tenantId: string;
  /** The azuread provider signed in to that tenant. */
  readonly provider: AzureadProvider;
  /** The deploying principal in that tenant: owner of the service principal created there. */
  readonly deployer: DataAzureadClientConfig;
}

/**
 * An Entra application (registered app) with its service principal, that Kubernetes service accounts sign in as.
 *
 * The other kind of workload identity: use it when a managed identity will not do (multi-tenant access, app roles).
 * @see https://learn.microsoft.com/azure/aks/workload-identity-cross-tenant
 */
export class ApplicationIdentity extends FederatedIdentity {
  /** The `azuread_application` resource. */
  readonly application: Application;
  /** The service principal in the tenant that holds the resources. */
  readonly servicePrincipal: ServicePrincipal;
  readonly clientId: string;
  readonly principalId: string;
  readonly tenantId: string;
  readonly identityName: string;

  constructor(scope: Construct, id: string, props: ApplicationIdentityProps) {
    super(scope, id);
    this.identityName = props.displayName;
    this.application = new Application(this, 'Resource', {
      displayName: props.displayName,
      signInAudience: props.resourceTenant ? 'AzureADMultipleOrgs' : 'AzureADMyOrg',
      owners: [props.deployer.objectId],
    });
    this.servicePrincipal = new ServicePrincipal(this, 'ServicePrincipal', {
      clientId: this.application.clientId,
      provider: props.resourceTenant?.provider,
      owners: [(props.resourceTenant?.deployer ?? props.deployer).objectId],
    });
    this.clientId = this.application.clientId;
    this.principalId = this.servicePrincipal.objectId;
    // The workload asks the resource tenant for its tokens: that is the tenant-id annotation.
    this.tenantId = props.resourceTenant?.tenantId ?? this.servicePrincipal.applicationTenantId;
  }

  protected createCredential(
    id: string,
    spec: CredentialSpec,
  ): ApplicationFederatedIdentityCredential {
    return new ApplicationFederatedIdentityCredential(this, id, {
      applicationId: this.application.id,
      displayName: spec.name,
      issuer: spec.issuer,
      subject: spec.subject,
      audiences: [spec.audience],
      dependsOn: spec.dependsOn ? [spec.dependsOn] : undefined,
    });
  }
}
