import type { CheckInput, Problem } from '../check';
import { resourcesOf } from '../synthesized-pair';

export const id = 'secret-in-state';
export const title =
  'no Key Vault secret is written with "value" (Terraform would keep it in state)';
export const needs = 'nothing';
export const prevents = 'the secret value leaks into terraform.tfstate';

/** Every `azurerm_key_vault_secret` is written with `value_wo`. */
export function run({ pair }: CheckInput): Problem[] {
  return resourcesOf(pair.terraform, 'azurerm_key_vault_secret').flatMap((secret) =>
    secret.values.value === undefined
      ? []
      : [
          {
            subject: secret.address,
            message: 'the secret is written with "value", which Terraform stores in state',
            fix: 'write it with value_wo and value_wo_version from a sensitive variable',
          },
        ],
  );
}
