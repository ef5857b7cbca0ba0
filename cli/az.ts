import type { ExternalCommand } from './run-step';

/**
 * `az <args> --subscription <id>`: every `az` call names the subscription cdktf deploys to, so that a later
 * `az account set` elsewhere, or a default subscription other than `ARM_SUBSCRIPTION_ID`, cannot redirect it.
 */
export function az(subscription: string, args: readonly string[]): ExternalCommand {
  return { program: 'az', args: [...args, '--subscription', subscription] };
}

/**
 * The exit code of `az` when Azure answers 404 (`ResourceNotFound`, `ResourceGroupNotFound`); other failures exit 1.
 *
 * azure-cli maps a 404 to `ResourceNotFoundError` and that error to exit code 3 (Azure/azure-cli,
 * src/azure-cli-core/azure/cli/core/util.py: `get_error_type_by_status_code`, `handle_exception`).
 */
export const AZ_NOT_FOUND_EXIT_CODE = 3;
