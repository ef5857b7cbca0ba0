import { DataAzurermKeyVault } from '@cdktf/provider-azurerm/lib/data-azurerm-key-vault';
import { RoleAssignment } from '@cdktf/provider-azurerm/lib/role-assignment';
import type { TerraformProvider } from 'cdktf';
import { Construct } from 'constructs';
import type { FederatedIdentity } from './federated-identity';
import { SECRETS_USER_ROLE, type SecretReadGrant } from './key-vault';

/** Properties of an `ExistingKeyVault`. */
export interface ExistingKeyVaultProps {
  readonly name: string;
  readonly resourceGroupName: string;
  /** The azurerm provider of the tenant that holds the vault. @default - the stack's default provider */
  readonly provider?: TerraformProvider;
}

/**
 * A Key Vault this stack reads but does not own: its secrets already exist and are not managed here.
 *
 * `terraform plan` fails with a clear message when the vault is not in RBAC mode (access policies would ignore the roles).
 * @see https://learn.microsoft.com/azure/key-vault/general/rbac-migration
 */
export class ExistingKeyVault extends Construct implements SecretReadGrant {
  /** The `azurerm_key_vault` data source. */
  readonly resource: DataAzurermKeyVault;
  readonly vaultUrl: string;

  constructor(scope: Construct, id: string, props: ExistingKeyVaultProps) {
    super(scope, id);
    this.resource = new DataAzurermKeyVault(this, 'Resource', {
      name: props.name,
      resourceGroupName: props.resourceGroupName,
      provider: props.provider,
      lifecycle: {
        postcondition: [
          {
            condition:
              '${coalesce(self.rbac_authorization_enabled, self.enable_rbac_authorization, false)}',
            errorMessage: `Key Vault ${props.name} uses access policies: switch it to Azure RBAC ("az keyvault update -n ${props.name} --enable-rbac-authorization true") so the role assignments take effect.`,
          },
        ],
      },
    });
    this.vaultUrl = this.resource.vaultUri;
  }

  /** `Key Vault Secrets User` for an identity on one existing secret (by name), or on the whole vault. */
  grantSecretRead(identity: FederatedIdentity, secretName?: string): RoleAssignment {
    return new RoleAssignment(
      this,
      `SecretsUser-${identity.node.id}-${secretName ? `Secret-${secretName}` : 'Vault'}`,
      {
        scope: secretName ? `${this.resource.id}/secrets/${secretName}` : this.resource.id,
        roleDefinitionName: SECRETS_USER_ROLE,
        principalId: identity.principalId,
        principalType: 'ServicePrincipal',
        provider: this.resource.provider,
      },
    );
  }
}
