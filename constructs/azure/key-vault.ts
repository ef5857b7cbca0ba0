import type { DataAzurermClientConfig } from '@cdktf/provider-azurerm/lib/data-azurerm-client-config';
import { KeyVault as KeyVaultResource } from '@cdktf/provider-azurerm/lib/key-vault';
import { RoleAssignment } from '@cdktf/provider-azurerm/lib/role-assignment';
import { Sleep } from '@cdktf/provider-time/lib/sleep';
import { Fn, type ITerraformDependable, type TerraformProvider, Token } from 'cdktf';
import { Construct } from 'constructs';
import {
  GENERATED_KEY_VAULT_NAME_HASH_LENGTH,
  GENERATED_KEY_VAULT_NAME_PREFIX,
} from '../../config/key-vault-name';
import { keyVaultName } from '../../config/rules';
import type { FederatedIdentity } from './federated-identity';
import type { ResourceGroupReference } from './resource-group-reference';
import { SECRETS_OFFICER_ROLE, SECRETS_USER_ROLE, type SecretVault } from './secret-vault';
import { VaultSecret } from './vault-secret';

/**
 * How long secrets wait, at least, after the deployer's `Key Vault Secrets Officer` assignment is created.
 *
 * A new assignment can take minutes to reach Key Vault's data plane; until then writes get `403 ForbiddenByRbac`,
 * which azurerm does not retry (its data-plane client retries 408, 429 and 5xx only). Key Vault's RBAC guide allows
 * up to 10 minutes ("Known limits and performance"). The secrets also wait for a new cluster (`secretsWaitFor`), so
 * the window is the cluster's 5-10 minutes of creation when it is longer, at no cost: the two minutes here run
 * beside the cluster.
 * @see https://learn.microsoft.com/azure/key-vault/general/rbac-guide#known-limits-and-performance
 */
export const RBAC_PROPAGATION_DELAY = '120s';

/** Properties of a `KeyVault`. */
export interface KeyVaultProps {
  /**
   * Globally unique vault name: the first label of its URL.
   * @default - "wi-kv-" and 16 hex digits of the SHA-1 of the deployer's subscription id and the resource group's
   * name, computed by Terraform at plan time: different in every subscription, the same on every re-deploy
   */
  readonly name?: string;
  /** The group the vault lives in. */
  readonly resourceGroup: ResourceGroupReference;
  /**
   * The deploying principal: its tenant owns the vault, its subscription names a generated vault, and it is
   * granted the right to write the secrets.
   */
  readonly deployer: DataAzurermClientConfig;
  /** @default "standard" */
  readonly skuName?: string;
  /** @default 7 - the shortest Azure allows, so a lab vault can be re-created soon */
  readonly softDeleteRetentionDays?: number;
  /** @default false - a purge-protected vault cannot be deleted before its retention ends */
  readonly purgeProtectionEnabled?: boolean;
  /** The azurerm provider of the tenant that holds the vault. @default - the stack's default provider */
  readonly provider?: TerraformProvider;
  /**
   * What the secrets wait for besides the deployer's role: a new cluster, whose minutes of creation widen the
   * role's propagation window without lengthening the deploy. @default - the role's wait only
   */
  readonly secretsWaitFor?: readonly ITerraformDependable[];
}

/** Options of `KeyVault.addSecret`. */
export interface SecretOptions {
  /** Bump to write the value again (rotation). @default 1 */
  readonly version?: number;
}

/**
 * A Key Vault in RBAC mode whose secret values never reach Terraform state.
 *
 * Needs the `hashicorp/time` provider in the stack: the secrets wait for the deployer's role to propagate.
 * @see https://learn.microsoft.com/azure/key-vault/general/rbac-guide
 */
export class KeyVault extends Construct implements SecretVault {
  /** The `azurerm_key_vault` resource. */
  readonly resource: KeyVaultResource;
  readonly vaultUrl: string;
  readonly vaultName: string;
  /** The deployer's `Key Vault Secrets Officer` assignment. */
  readonly deployerAccess: RoleAssignment;
  /** The wait, started by `deployerAccess`, that every secret's write follows. */
  readonly rbacPropagation: Sleep;
  private readonly secrets = new Map<string, VaultSecret>();
  private readonly secretsWaitFor: readonly ITerraformDependable[];

  constructor(scope: Construct, id: string, props: KeyVaultProps) {
    super(scope, id);
    if (
      props.name !== undefined &&
      !Token.isUnresolved(props.name) &&
      !keyVaultName.test(props.name)
    ) {
      throw new Error(
        `Key Vault name ${JSON.stringify(props.name)} must be ${keyVaultName.description}`,
      );
    }
    this.resource = new KeyVaultResource(this, 'Resource', {
      name: props.name ?? generatedName(props.deployer, props.resourceGroup),
      location: props.resourceGroup.location,
      resourceGroupName: props.resourceGroup.name,
      tenantId: props.deployer.tenantId,
      skuName: props.skuName ?? 'standard',
      rbacAuthorizationEnabled: true,
      softDeleteRetentionDays: props.softDeleteRetentionDays ?? 7,
      purgeProtectionEnabled: props.purgeProtectionEnabled ?? false,
      provider: props.provider,
    });
    this.vaultName = this.resource.name;
    this.vaultUrl = this.resource.vaultUri;
    this.deployerAccess = new RoleAssignment(this, 'DeployerAccess', {
      scope: this.resource.id,
      roleDefinitionName: SECRETS_OFFICER_ROLE,
      principalId: props.deployer.objectId,
      provider: props.provider,
    });
    // A new assignment (its id changes) waits again; an unchanged one does not on re-deploy.
    this.secretsWaitFor = [...(props.secretsWaitFor ?? [])];
    this.rbacPropagation = new Sleep(this, 'RbacPropagation', {
      createDuration: RBAC_PROPAGATION_DELAY,
      triggers: { role_assignment_id: this.deployerAccess.id },
    });
  }

  /** Add a secret whose value is read from `TF_VAR_secret_<name>` at deploy time and never stored in state. */
  addSecret(name: string, options: SecretOptions = {}): VaultSecret {
    if (this.secrets.has(name))
      throw new Error(`Key Vault ${this.node.path} already has a secret ${JSON.stringify(name)}`);
    const secret = new VaultSecret(this, `Secret-${name}`, {
      keyVault: this,
      secretName: name,
      version: options.version,
      dependsOn: [this.rbacPropagation, ...this.secretsWaitFor],
    });
    this.secrets.set(name, secret);
    return secret;
  }

  /** The secret added under this name; throws when there is none. */
  secret(name: string): VaultSecret {
    const secret = this.secrets.get(name);
    if (!secret)
      throw new Error(
        `Key Vault ${this.node.path} has no secret ${JSON.stringify(name)}: add it with addSecret() first`,
      );
    return secret;
  }

  grantReadAllSecrets(identity: FederatedIdentity): RoleAssignment {
    return new RoleAssignment(this, `SecretsUser-${identity.node.id}-Vault`, {
      scope: this.resource.id,
      roleDefinitionName: SECRETS_USER_ROLE,
      principalId: identity.principalId,
      principalType: 'ServicePrincipal',
      provider: this.resource.provider,
    });
  }
}

/** `wi-kv-<hash>`, computed by Terraform: the subscription is known only at plan time. */
function generatedName(deployer: DataAzurermClientConfig, group: ResourceGroupReference): string {
  const seed = Fn.lower(Fn.join('/', [deployer.subscriptionId, group.name]));
  return `${GENERATED_KEY_VAULT_NAME_PREFIX}${Fn.substr(Fn.sha1(seed), 0, GENERATED_KEY_VAULT_NAME_HASH_LENGTH)}`;
}
