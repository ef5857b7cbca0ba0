import { DataAzurermKeyVault } from '@cdktf/provider-azurerm/lib/data-azurerm-key-vault';
import { RoleAssignment } from '@cdktf/provider-azurerm/lib/role-assignment';
import type { TerraformProvider } from 'cdktf';
import { Construct } from 'constructs';
import { keyVaultSecretName } from '../../config/rules';
import type { FederatedIdentity } from './federated-identity';
import type { ResourceGroupReference } from './resource-group-reference';
import { type ReadableSecret, SECRETS_USER_ROLE, type SecretVault } from './secret-vault';

/** Properties of an `ExistingKeyVault`. */
export interface ExistingKeyVaultProps {
  /** The vault's name. */
  readonly name: string;
  /** The group the vault lives in. */
  readonly resourceGroup: ResourceGroupReference;
  /** The azurerm provider of the tenant that holds the vault. @default - the stack's default provider */
  readonly provider?: TerraformProvider;
}

/**
 * A Key Vault this stack reads but does not own: its secrets already exist and are not managed here.
 *
 * `terraform plan` fails with a clear message when the vault is not in RBAC mode (access policies would ignore the roles).
 * @see https://learn.microsoft.com/azure/key-vault/general/rbac-migration
 */
export class ExistingKeyVault extends Construct implements SecretVault {
  /** The `azurerm_key_vault` data source. */
  readonly resource: DataAzurermKeyVault;
  readonly vaultUrl: string;
  readonly vaultName: string;

  constructor(scope: Construct, id: string, props: ExistingKeyVaultProps) {
    super(scope, id);
    this.vaultName = props.name;
    this.resource = new DataAzurermKeyVault(this, 'Resource', {
      name: props.name,
      resourceGroupName: props.resourceGroup.name,
      provider: props.provider,
      lifecycle: {
        postcondition: [
          {
            // azurerm 4 reads the mode as rbac_authorization_enabled; enable_rbac_authorization is gone from the data source.
            condition: '${self.rbac_authorization_enabled}',
            errorMessage: `Key Vault ${props.name} uses access policies: switch it to Azure RBAC ("az keyvault update -n ${props.name} --enable-rbac-authorization true") so the role assignments take effect.`,
          },
        ],
      },
    });
    this.vaultUrl = this.resource.vaultUri;
  }

  /** A secret that exists in the vault (this stack does not check or manage it). */
  secret(name: string): ReadableSecret {
    if (!keyVaultSecretName.test(name)) {
      throw new Error(
        `secret name ${JSON.stringify(name)} must be ${keyVaultSecretName.description}`,
      );
    }
    return {
      secretName: name,
      grantRead: (identity) =>
        this.assignSecretsUser(
          `SecretsUser-${identity.node.id}-Secret-${name}`,
          identity,
          `${this.resource.id}/secrets/${name}`,
        ),
    };
  }

  grantReadAllSecrets(identity: FederatedIdentity): RoleAssignment {
    return this.assignSecretsUser(
      `SecretsUser-${identity.node.id}-Vault`,
      identity,
      this.resource.id,
    );
  }

  private assignSecretsUser(
    id: string,
    identity: FederatedIdentity,
    scope: string,
  ): RoleAssignment {
    return new RoleAssignment(this, id, {
      scope,
      roleDefinitionName: SECRETS_USER_ROLE,
      principalId: identity.principalId,
      principalType: 'ServicePrincipal',
      provider: this.resource.provider,
    });
  }
}
