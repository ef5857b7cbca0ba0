import type { RoleAssignment } from '@cdktf/provider-azurerm/lib/role-assignment';
import type { FederatedIdentity } from './federated-identity';

/** Role that reads secret values. */
export const SECRETS_USER_ROLE = 'Key Vault Secrets User';
/** Role that writes secrets into an RBAC vault. */
export const SECRETS_OFFICER_ROLE = 'Key Vault Secrets Officer';

/** One secret of a vault, that identities may be allowed to read. */
export interface ReadableSecret {
  /** The secret's name in the vault. */
  readonly secretName: string;
  /** `Key Vault Secrets User` on this secret only (least privilege); returns the assignment. */
  grantRead(identity: FederatedIdentity): RoleAssignment;
}

/** A vault whose secrets identities read: new (`KeyVault`) or existing (`ExistingKeyVault`). */
export interface SecretVault {
  /** `https://<name>.vault.azure.net/` */
  readonly vaultUrl: string;
  /** The vault's name: the first label of its URL. */
  readonly vaultName: string;
  /** The secret of this name, to grant on; throws when the vault has none. */
  secret(name: string): ReadableSecret;
  /** `Key Vault Secrets User` on the whole vault: every secret it holds now or later; returns the assignment. */
  grantReadAllSecrets(identity: FederatedIdentity): RoleAssignment;
}
