import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import {
  GENERATED_KEY_VAULT_NAME,
  generatedKeyVaultName,
  generatedKeyVaultNameSeed,
} from '../../../config/key-vault-name';
import { keyVaultName } from '../../../config/rules';
import { KeyVault } from '../../../constructs/azure/key-vault';
import { resourcesOf } from '../../../verify/synthesized-pair';
import { azureScope, synthJson } from '../../support/azure-helpers';
import { tempDir } from '../../support/helpers';

const SUBSCRIPTION = 'aaaaaaaa-0000-4000-a000-000000000001';

/** Terraform's own evaluation of an expression (terraform console needs no provider). */
function terraformEval(expression: string): string {
  return JSON.parse(
    execFileSync('terraform', ['console'], {
      input: expression,
      cwd: tempDir(),
      encoding: 'utf8',
      env: { ...process.env, CHECKPOINT_DISABLE: '1', TF_CLI_CONFIG_FILE: '/dev/null' },
    }),
  );
}

describe('generated Key Vault names', () => {
  it('meet the Key Vault name rules for any subscription and group', () => {
    for (let i = 0; i < 200; i++) {
      const name = generatedKeyVaultName(
        `${String(i).padStart(8, '0')}-0000-4000-a000-000000000000`,
        `rg-${i}`.repeat(1 + (i % 15)),
      );
      expect(keyVaultName.test(name), name).toBe(true);
      expect(name).toMatch(GENERATED_KEY_VAULT_NAME);
      expect(name.length).toBeLessThanOrEqual(24);
    }
  });

  it('are the same on every re-deploy of one subscription and group, whatever the case Azure returns', () => {
    const name = generatedKeyVaultName(SUBSCRIPTION, 'workload-id-rg');
    expect(generatedKeyVaultName(SUBSCRIPTION.toUpperCase(), 'Workload-ID-RG')).toBe(name);
  });

  it('differ between subscriptions and between groups, so no two users collide', () => {
    const names = new Set([
      generatedKeyVaultName(SUBSCRIPTION, 'workload-id-rg'),
      generatedKeyVaultName('aaaaaaaa-0000-4000-a000-000000000002', 'workload-id-rg'),
      generatedKeyVaultName(SUBSCRIPTION, 'other-rg'),
    ]);
    expect(names.size).toBe(3);
  });

  it("is what Terraform computes from the vault's name expression", () => {
    // GIVEN a vault without a name
    const { stack, resourceGroup, deployer } = azureScope();
    new KeyVault(stack, 'KeyVault', { resourceGroup, deployer });
    const [vault] = resourcesOf(synthJson(stack), 'azurerm_key_vault');
    // WHEN Terraform evaluates the name with a known subscription and group
    const name = String(vault.values.name);
    const start = name.indexOf('${');
    const expression = name
      .slice(start + 2, -1)
      .replace('data.azurerm_client_config.Deployer.subscription_id', JSON.stringify(SUBSCRIPTION))
      .replace('azurerm_resource_group.ResourceGroup.name', JSON.stringify('Workload-ID-RG'));
    const prefix = name.slice(0, start);
    // THEN it is the TypeScript twin's name, and the seed covers exactly the subscription and the group
    expect(`${prefix}${terraformEval(expression)}`).toBe(
      generatedKeyVaultName(SUBSCRIPTION, 'Workload-ID-RG'),
    );
    expect(generatedKeyVaultNameSeed(SUBSCRIPTION, 'Workload-ID-RG')).toBe(
      `${SUBSCRIPTION}/workload-id-rg`,
    );
  });
});
