import { KeyVaultSecret } from '@cdktf/provider-azurerm/lib/key-vault-secret';
import { RoleAssignment } from '@cdktf/provider-azurerm/lib/role-assignment';
import { type ITerraformDependable, TerraformVariable } from 'cdktf';
import { Construct } from 'constructs';
import { secretVariableName } from '../../config/outputs';
import { keyVaultSecretName } from '../../config/rules';
import type { FederatedIdentity } from './federated-identity';
import type { KeyVault } from './key-vault';
import { type ReadableSecret, SECRETS_USER_ROLE } from './secret-vault';

/** Properties of a `VaultSecret`. */
export interface VaultSecretProps {
  /** The vault that holds the secret; grants on the secret are its children too. */
  readonly keyVault: KeyVault;
  /** The secret's name in the vault. */
  readonly secretName: string;
  /** Bump to write the value again (rotation). @default 1 */
  readonly version?: number;
  /** What must exist before the value is written: the deployer's right to write it. @default - nothing */
  readonly dependsOn?: readonly ITerraformDependable[];
}

/**
 * A secret whose value is read from `TF_VAR_secret_<name>` at deploy time and never stored in Terraform state.
 *
 * Created by `KeyVault.addSecret`. The value enters through an ephemeral, sensitive variable and the write-only
 * `value_wo`.
 * @see https://developer.hashicorp.com/terraform/language/resources/ephemeral/write-only
 */
export class VaultSecret extends Construct implements ReadableSecret {
  /** The `azurerm_key_vault_secret` resource. */
  readonly resource: KeyVaultSecret;
  readonly secretName: string;
  private readonly keyVault: KeyVault;

  constructor(scope: Construct, id: string, props: VaultSecretProps) {
    super(scope, id);
    if (!keyVaultSecretName.test(props.secretName)) {
      throw new Error(
        `secret name ${JSON.stringify(props.secretName)} must be ${keyVaultSecretName.description}`,
      );
    }
    this.secretName = props.secretName;
    this.keyVault = props.keyVault;
    const value = new TerraformVariable(this, 'Value', {
      type: 'string',
      sensitive: true,
      nullable: false,
      description: `Value of Key Vault secret "${props.secretName}" (write-only: never stored in state)`,
    });
    value.overrideLogicalId(secretVariableName(props.secretName));
    // Ephemeral: Terraform keeps the value out of plan files too; only write-only arguments may use it.
    value.addOverride('ephemeral', true);
    // "Default" leaves the Terraform address what it was before this construct wrapped the resource: a new
    // address would delete the secret and write it again.
    this.resource = new KeyVaultSecret(this, 'Default', {
      name: props.secretName,
      keyVaultId: props.keyVault.resource.id,
      valueWo: value.stringValue,
      valueWoVersion: props.version ?? 1,
      provider: props.keyVault.resource.provider,
      dependsOn: props.dependsOn ? [...props.dependsOn] : undefined,
    });
  }

  grantRead(identity: FederatedIdentity): RoleAssignment {
    return new RoleAssignment(this.keyVault, `SecretsUser-${identity.node.id}-${this.node.id}`, {
      scope: this.resource.resourceVersionlessId,
      roleDefinitionName: SECRETS_USER_ROLE,
      principalId: identity.principalId,
      principalType: 'ServicePrincipal',
      provider: this.resource.provider,
    });
  }
}
