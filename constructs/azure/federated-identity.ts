import { createHash } from 'node:crypto';
import type { TerraformResource } from 'cdktf';
import { Construct } from 'constructs';
import {
  dns1123Label,
  dns1123Subdomain,
  MAX_FEDERATED_CREDENTIALS_PER_IDENTITY,
} from '../../config/rules';
import { TOKEN_AUDIENCE } from '../../config/webhook';
import type { Cluster } from './cluster';

/** Which Kubernetes service account a federated credential trusts. */
export interface FederatedCredentialOptions {
  /** The cluster whose issuer signs the service-account tokens. */
  readonly cluster: Cluster;
  /** The service account's namespace. */
  readonly namespace: string;
  /** The service account's name. */
  readonly serviceAccountName: string;
}

/** What a subclass writes for one credential. */
export interface CredentialSpec {
  /** Credential name: letters, digits, "-" and "_". */
  readonly name: string;
  /** The cluster's issuer URL, exactly as it signs the tokens (trailing `/` included). */
  readonly issuer: string;
  /** `system:serviceaccount:<namespace>:<name>`. */
  readonly subject: string;
  /** The token's audience: the token exchange audience the webhook projects. */
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
  private readonly credentials = new Map<string, TerraformResource>();

  /**
   * Trust the tokens of one service account: issuer, subject and audience must match them exactly.
   *
   * Throws when the identity already trusts this service account, or already has the 20 credentials Entra allows.
   */
  addFederatedCredential(options: FederatedCredentialOptions): TerraformResource {
    if (!dns1123Label.test(options.namespace))
      throw new Error(
        `namespace ${JSON.stringify(options.namespace)} must be ${dns1123Label.description}`,
      );
    if (!dns1123Subdomain.test(options.serviceAccountName))
      throw new Error(
        `service account name ${JSON.stringify(options.serviceAccountName)} must be ${dns1123Subdomain.description}`,
      );
    const subject = serviceAccountSubject(options.namespace, options.serviceAccountName);
    const name = federatedCredentialName(options.namespace, options.serviceAccountName);
    if (this.credentials.has(name)) {
      throw new Error(
        `identity ${JSON.stringify(this.identityName)} already trusts ${subject}: one credential per service account`,
      );
    }
    if (this.credentials.size === MAX_FEDERATED_CREDENTIALS_PER_IDENTITY) {
      throw new Error(
        `identity ${JSON.stringify(this.identityName)} already has ${MAX_FEDERATED_CREDENTIALS_PER_IDENTITY} federated credentials: Entra allows at most ${MAX_FEDERATED_CREDENTIALS_PER_IDENTITY}, so ${subject} needs another identity`,
      );
    }
    const credential = this.createCredential(`Credential-${name}`, {
      name,
      issuer: options.cluster.oidcIssuerUrl,
      subject,
      audience: TOKEN_AUDIENCE,
      dependsOn: [...this.credentials.values()].at(-1),
    });
    this.credentials.set(name, credential);
    return credential;
  }

  /** Create the credential resource of this kind of identity. */
  protected abstract createCredential(id: string, spec: CredentialSpec): TerraformResource;
}

/** Longest federated credential name Entra accepts. */
const MAX_CREDENTIAL_NAME_LENGTH = 120;
/** Hex digits of the hash that keeps shortened or rewritten names apart. */
const CREDENTIAL_NAME_HASH_LENGTH = 10;

/**
 * A credential name unique per service account: `<namespace>_<service account>`.
 *
 * Names allow letters, digits, "-" and "_": a namespace and a service account hold no "_", so the one "_" separates
 * them without ambiguity (`a-b`/`c` and `a`/`b-c` stay apart). When the name must change to fit ("." in the service
 * account, more than 120 characters), a second "_" and a hash of the exact namespace and name follow, so a rewritten
 * name never equals a plain one nor another rewritten one.
 */
export function federatedCredentialName(namespace: string, serviceAccountName: string): string {
  const plain = `${namespace}_${serviceAccountName}`;
  if (!serviceAccountName.includes('.') && plain.length <= MAX_CREDENTIAL_NAME_LENGTH) return plain;
  const hash = createHash('sha1')
    .update(`${namespace}/${serviceAccountName}`)
    .digest('hex')
    .slice(0, CREDENTIAL_NAME_HASH_LENGTH);
  const readable = plain
    .replaceAll('.', '-')
    .slice(0, MAX_CREDENTIAL_NAME_LENGTH - CREDENTIAL_NAME_HASH_LENGTH - 1);
  return `${readable}_${hash}`;
}

/** The `sub` claim of a Kubernetes service-account token. */
export function serviceAccountSubject(namespace: string, serviceAccountName: string): string {
  return `system:serviceaccount:${namespace}:${serviceAccountName}`;
}
