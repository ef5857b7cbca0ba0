import type { ExternalCommand } from './run-step';

/**
 * `az <args> --subscription <id>`: every `az` call names the subscription cdktf deploys to, so that a later
 * `az account set` elsewhere, or a default subscription other than `ARM_SUBSCRIPTION_ID`, cannot redirect it.
 */
export function az(subscription: string, args: readonly string[]): ExternalCommand {
  return { program: 'az', args: [...args, '--subscription', subscription] };
}
