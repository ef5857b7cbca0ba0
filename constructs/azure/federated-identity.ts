import type { TerraformResource } from 'cdktf';
import { Construct } from 'constructs';
import { MAX_FEDERATED_CREDENTIALS_PER_IDENTITY } from '../../config/rules';
import { TOKEN_AUDIENCE } from '../../config/webhook';
import type { Cluster } from './cluster';

/** Which Kubernetes service account a federated credential trusts. */
export interface FederatedCredentialOptions {
  /** The cluster whose issuer signs the service-account tokens. */
  readonly cluster: Cluster;
  readonly namespace: string;
  readonly serviceAccountName: string;
}

/** What a subclass writes for one credential. */
export interface CredentialSpec {
  /** Credential name: letters, digits, "-" and "_". */
  readonly name: string;
  readonly issuer: string;
  readonly subject: string;
  readonly audience: string;
  /** The previous credential of this identity: Entra refuses concurrent writes to one identity. */
  readonly dependsOn?: TerraformResource;
}

/**
 * An Entra identity that Kubernetes service accounts sign in as: a managed identity or an application.
 *
 * Owns what both kinds share: the credential's exact issuer, subject and audience, the 20-credential limit, and the
 * `depends_on` chain that serializes the credentials of one identity.
 * @see https://learn.microsoft.com/entra/workload-id/workload-identity-federation-considerations
 */
export abstract class FederatedIdentity extends Construct {
  /** Client id: the service account's `client-id` annotation. */
  abstract readonly clientId: string;
  /** Object id of the service principal: what role assignments name. */
  abstract readonly principalId: string;
  /** Tenant the workload signs in to: the service account's `tenant-id` annotation. */
  abstract readonly tenantId: string;
  /** The identity's name. */
  abstract readonly identityName: string;
  private readonly credentials: TerraformResource[] = [];

  /** Trust the tokens of one service account: issuer, subject and audience must match them exactly. */
  addFederatedCredential(options: FederatedCredentialOptions): TerraformResource {
    if (this.credentials.length === MAX_FEDERATED_CREDENTIALS_PER_IDENTITY) {
      throw new Error(
        `identity ${JSON.stringify(this.identityName)} already has ${MAX_FEDERATED_CREDENTIALS_PER_IDENTITY} federated credentials: Entra allows at most ${MAX_FEDERATED_CREDENTIALS_PER_IDENTITY}`,
      );
    }
    const credential = this.createCredential(
      `Credential-${options.namespace}-${options.serviceAccountName}`,
      {
        // Credential names allow letters, digits, "-" and "_" only.
        name: `${options.namespace}-${options.serviceAccountName}`
          .replaceAll('.', '-')
          .slice(0, 120),
        issuer: options.cluster.oidcIssuerUrl,
        subject: serviceAccountSubject(options.namespace, options.serviceAccountName),
        audience: TOKEN_AUDIENCE,
        dependsOn: this.credentials.at(-1),
      },
    );
    this.credentials.push(credential);
    return credential;
  }

  /** Create the credential resource of this kind of identity. */
  protected abstract createCredential(id: string, spec: CredentialSpec): TerraformResource;
}

/** The `sub` claim of a Kubernetes service-account token. */
export function serviceAccountSubject(namespace: string, serviceAccountName: string): string {
  return `system:serviceaccount:${namespace}:${serviceAccountName}`;
}
