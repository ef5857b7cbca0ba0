import { AzurermBackend, LocalBackend, type TerraformBackend, type TerraformStack } from 'cdktf';
import { type StateConfig, stateKey } from '../../config/state';

/**
 * The backend of one stack: a local file in the project, or with `state` the `azurerm` backend, one blob per stack
 * (`<keyPrefix><stack>.tfstate`), reached with an Entra token (`use_azuread_auth`), never with the account's keys.
 *
 * The sign-in comes from the environment, not from the file: `az login` on a laptop, `ARM_USE_OIDC` with
 * `ARM_CLIENT_ID` and `ARM_TENANT_ID` in CI. Another stack reads this one's outputs with
 * `backend.getRemoteStateDataSource(...)`: a `terraform_remote_state` with the same settings.
 * @see https://developer.hashicorp.com/terraform/language/backend/azurerm
 */
export function stateBackend(stack: TerraformStack, state?: StateConfig): TerraformBackend {
  const id = stack.node.id;
  if (!state)
    // Relative to the stack's working directory (cdktf.out/stacks/<id>): state stays in the project, no machine path in the JSON.
    return new LocalBackend(stack, { path: `../../../terraform.${id}.tfstate` });
  return new AzurermBackend(stack, {
    resourceGroupName: state.azurerm.resourceGroup,
    storageAccountName: state.azurerm.storageAccount,
    containerName: state.azurerm.container,
    key: stateKey(state, id),
    useAzureadAuth: true,
  });
}
