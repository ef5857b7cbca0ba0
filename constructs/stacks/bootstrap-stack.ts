import { DataAzurermClientConfig } from '@cdktf/provider-azurerm/lib/data-azurerm-client-config';
import { AzurermProvider } from '@cdktf/provider-azurerm/lib/provider';
import { ResourceGroup } from '@cdktf/provider-azurerm/lib/resource-group';
import { LocalBackend, TerraformOutput, TerraformStack } from 'cdktf';
import type { Construct } from 'constructs';
import { type BuiltInRole, onlyAssignRoles } from '../../config/built-in-roles';
import type { Config } from '../../config/schema';
import { DeployerIdentity } from '../azure/deployer-identity';
import { StateStorage } from '../azure/state-storage';

/** Outputs of the bootstrap stack: what the pipeline and the config need. */
export const BOOTSTRAP_OUTPUTS = {
  clientId: 'deployer_client_id',
  tenantId: 'tenant_id',
  subscriptionId: 'subscription_id',
  storageAccount: 'state_storage_account',
  container: 'state_container',
} as const;

/** The roles the Azure stack assigns: the only ones the deployer may hand out. */
export const ROLES_THE_DEPLOY_ASSIGNS: readonly BuiltInRole[] = [
  'Key Vault Secrets User',
  'Key Vault Secrets Officer',
  'AcrPull',
];

/** Properties of a `BootstrapStack`. */
export interface BootstrapStackProps {
  /** The validated config: it must have `state`. */
  readonly config: Config;
}

/**
 * What remote state needs before the first deploy, with a small local state of its own (the chicken and the egg):
 * the state's group, storage account and container, `Storage Blob Data Contributor` on the container for whoever
 * runs it, and with `deployer` the CI identity, trusted through a GitHub Actions federated credential.
 *
 * The CI identity gets only what a deploy needs: `Contributor` on the subscription (the deploy creates the config's
 * resource groups, so no narrower scope exists before it), `Role Based Access Control Administrator` on the
 * subscription limited by a condition to the roles the Azure stack assigns, and `Storage Blob Data Contributor` on
 * the state container.
 * @see https://learn.microsoft.com/azure/developer/terraform/store-state-in-azure-storage
 */
export class BootstrapStack extends TerraformStack {
  /** The storage account and container of the state. */
  readonly storage: StateStorage;
  /** The CI identity, with `deployer`. */
  readonly deployer?: DeployerIdentity;

  constructor(scope: Construct, id: string, props: BootstrapStackProps) {
    super(scope, id);
    const { config } = props;
    const state = config.state?.azurerm;
    if (!state) throw new Error('bootstrap needs state.azurerm in the config: where to keep state');
    // Its own state stays a local file: the storage it creates cannot hold the state that creates it.
    new LocalBackend(this, { path: `../../../terraform.${id}.tfstate` });
    this.addOverride('terraform.required_version', '>= 1.11.0');
    // Shared keys are off: azurerm must reach the storage data plane with Entra tokens too.
    new AzurermProvider(this, 'azurerm', { features: [{}], storageUseAzuread: true });
    const runner = new DataAzurermClientConfig(this, 'Runner');
    const group = new ResourceGroup(this, 'ResourceGroup', {
      name: state.resourceGroup,
      location: config.location,
    });
    this.storage = new StateStorage(this, 'State', {
      storageAccountName: state.storageAccount,
      containerName: state.container,
      resourceGroup: group,
    });
    this.storage.grantStateAccess('Runner', { principalId: runner.objectId });
    const subscription = `/subscriptions/${runner.subscriptionId}`;
    if (config.deployer) {
      const deployer = new DeployerIdentity(this, 'Deployer', {
        deployer: config.deployer,
        resourceGroup: group,
      });
      this.storage.grantStateAccess('Deployer', deployer);
      deployer.grant('Contributor', 'Contributor', subscription);
      deployer.grant(
        'RoleAssigner',
        'Role Based Access Control Administrator',
        subscription,
        onlyAssignRoles(ROLES_THE_DEPLOY_ASSIGNS),
      );
      this.deployer = deployer;
      this.output(BOOTSTRAP_OUTPUTS.clientId, deployer.clientId);
    }
    this.output(BOOTSTRAP_OUTPUTS.tenantId, runner.tenantId);
    this.output(BOOTSTRAP_OUTPUTS.subscriptionId, runner.subscriptionId);
    this.output(BOOTSTRAP_OUTPUTS.storageAccount, this.storage.account.name);
    this.output(BOOTSTRAP_OUTPUTS.container, this.storage.container.name);
  }

  private output(name: string, value: string): void {
    new TerraformOutput(this, name, { value }).overrideLogicalId(name);
  }
}
