import type { DataAzurermClientConfig } from '@cdktf/provider-azurerm/lib/data-azurerm-client-config';
import { KeyVault as KeyVaultResource } from '@cdktf/provider-azurerm/lib/key-vault';
import { KeyVaultSecret } from '@cdktf/provider-azurerm/lib/key-vault-secret';
import type { ResourceGroup } from '@cdktf/provider-azurerm/lib/resource-group';
import { RoleAssignment } from '@cdktf/provider-azurerm/lib/role-assignment';
import { type TerraformProvider, TerraformVariable, Token } from 'cdktf';
import { Construct } from 'constructs';
import { secretVariableName } from '../../config/outputs';
import { keyVaultName, keyVaultSecretName } from '../../config/rules';
import type { FederatedIdentity } from './federated-identity';

/** Role that reads secret values. */
export const SECRETS_USER_ROLE = 'Key Vault Secrets User';
/** Role that writes secrets into an RBAC vault. */
export const SECRETS_OFFICER_ROLE = 'Key Vault Secrets Officer';

/** A vault that can let an identity read its secrets: new (`KeyVault`) or existing (`ExistingKeyVault`). */
export interface SecretReadGrant {
  /** `https://<name>.vault.azure.net/` */
  readonly vaultUrl: string;
  /** `Key Vault Secrets User` on one secret, by name (least privilege), or on the whole vault when omitted. */
  grantSecretRead(identity: FederatedIdentity, secretName?: string): RoleAssignment;
}

/** Properties of a `KeyVault`. */
export interface KeyVaultProps {
  /** Globally unique vault name: the first label of its URL. */
  readonly name: string;
  readonly resourceGroup: ResourceGroup;
  /** The deploying principal: its tenant owns the vault and it is granted the right to write the secrets. */
  readonly deployer: DataAzurermClientConfig;
  /** @default "standard" */
  readonly skuName?: string;
  /** @default 7 - the shortest Azure allows, so a lab vault can be re-created soon */
  readonly softDeleteRetentionDays?: number;
  /** @default false - a purge-protected vault cannot be deleted before its retention ends */
  readonly purgeProtectionEnabled?: boolean;
  /** The azurerm provider of the tenant that holds the vault. @default - the stack's default provider */
  readonly provider?: TerraformProvider;
}

/** Options of `KeyVault.addSecret`. */
export interface SecretOptions {
  /** Bump to write the value again (rotation). @default 1 */
  readonly version?: number;
}

/**
 * A Key Vault in RBAC mode whose secret values never reach Terraform state.
 *
 * Each value enters through an ephemeral, sensitive variable (`TF_VAR_secret_<name>`) and the write-only `value_wo`.
 * @see https://learn.microsoft.com/azure/key-vault/general/rbac-guide
 */
export class KeyVault extends Construct implements SecretReadGrant {
  /** The `azurerm_key_vault` resource. */
  readonly resource: KeyVaultResource;
  /** `https://<name>.vault.azure.net/` */
  readonly vaultUrl: string;
  /** The vault's name. */
  readonly vaultName: string;
  /** The deployer's `Key Vault Secrets Officer` assignment; secrets wait for it. */
  readonly deployerAccess: RoleAssignment;
  private readonly secrets = new Map<string, KeyVaultSecret>();

  constructor(scope: Construct, id: string, props: KeyVaultProps) {
    super(scope, id);
    if (!Token.isUnresolved(props.name) && !keyVaultName.test(props.name)) {
      throw new Error(
        `Key Vault name ${JSON.stringify(props.name)} must be ${keyVaultName.description}`,
      );
    }
    this.vaultName = props.name;
    this.resource = new KeyVaultResource(this, 'Resource', {
      name: props.name,
      location: props.resourceGroup.location,
      resourceGroupName: props.resourceGroup.name,
      tenantId: props.deployer.tenantId,
      skuName: props.skuName ?? 'standard',
      rbacAuthorizationEnabled: true,
      softDeleteRetentionDays: props.softDeleteRetentionDays ?? 7,
      purgeProtectionEnabled: props.purgeProtectionEnabled ?? false,
      provider: props.provider,
    });
    this.vaultUrl = this.resource.vaultUri;
    this.deployerAccess = new RoleAssignment(this, 'DeployerAccess', {
      scope: this.resource.id,
      roleDefinitionName: SECRETS_OFFICER_ROLE,
      principalId: props.deployer.objectId,
      provider: props.provider,
    });
  }

  /** Add a secret whose value is read from `TF_VAR_secret_<name>` at deploy time and never stored in state. */
  addSecret(name: string, options: SecretOptions = {}): KeyVaultSecret {
    if (!keyVaultSecretName.test(name)) {
      throw new Error(
        `secret name ${JSON.stringify(name)} must be ${keyVaultSecretName.description}`,
      );
    }
    const value = new TerraformVariable(this, `Value-${name}`, {
      type: 'string',
      sensitive: true,
      nullable: false,
      description: `Value of Key Vault secret "${name}" (write-only: never stored in state)`,
    });
    value.overrideLogicalId(secretVariableName(name));
    // Ephemeral: Terraform keeps the value out of plan files too; only write-only arguments may use it.
    value.addOverride('ephemeral', true);
    const secret = new KeyVaultSecret(this, `Secret-${name}`, {
      name,
      keyVaultId: this.resource.id,
      valueWo: value.stringValue,
      valueWoVersion: options.version ?? 1,
      provider: this.resource.provider,
      // Writing needs the deployer's role first; RBAC may take a minute more, which the provider retries.
      dependsOn: [this.deployerAccess],
    });
    this.secrets.set(name, secret);
    return secret;
  }

  /** The secret added under this name; throws when there is none. */
  secret(name: string): KeyVaultSecret {
    const secret = this.secrets.get(name);
    if (!secret)
      throw new Error(
        `Key Vault ${JSON.stringify(this.vaultName)} has no secret ${JSON.stringify(name)}: add it with addSecret() first`,
      );
    return secret;
  }

  /**
   * Let an identity read secret values: `Key Vault Secrets User` on one secret, or on the whole vault.
   *
   * @param secretName - the only secret it may read (added with addSecret); omit for every secret (vault scope)
   */
  grantSecretRead(identity: FederatedIdentity, secretName?: string): RoleAssignment {
    const secret = secretName === undefined ? undefined : this.secret(secretName);
    return new RoleAssignment(
      this,
      `SecretsUser-${identity.node.id}-${secret ? secret.node.id : 'Vault'}`,
      {
        scope: secret ? secret.resourceVersionlessId : this.resource.id,
        roleDefinitionName: SECRETS_USER_ROLE,
        principalId: identity.principalId,
        principalType: 'ServicePrincipal',
        provider: this.resource.provider,
      },
    );
  }
}
