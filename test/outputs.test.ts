import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig, parseConfig } from '../config/load-config';
import {
  loadBindings,
  OutputsError,
  PLACEHOLDER_BINDINGS,
  readOutputs,
  secretEnvironmentVariables,
} from '../config/outputs';
import { defaultConfigData, tempDir } from './helpers';

const good = {
  demo_client_id: '11111111-2222-3333-4444-555555555555',
  demo_tenant_id: '66666666-7777-8888-9999-000000000000',
  demo_vault_url: 'https://workload-id-kv-demo.vault.azure.net/',
  demo_vault_name: 'workload-id-kv-demo',
  demo_oidc_issuer_url: 'https://westeurope.oic.prod-aks.azure.com/6666/abc/',
};

function outputsFile(outputs: unknown): string {
  const file = join(tempDir(), 'outputs.json');
  writeFileSync(file, JSON.stringify(outputs));
  return file;
}

describe('outputs contract', () => {
  it('reads the bindings of every workload', () => {
    const bindings = readOutputs(outputsFile({ 'workload-identity': good }), loadConfig());
    expect(bindings.get('demo')).toEqual({
      clientId: good.demo_client_id,
      tenantId: good.demo_tenant_id,
      vaultUrl: good.demo_vault_url,
      vaultName: good.demo_vault_name,
      oidcIssuerUrl: good.demo_oidc_issuer_url,
    });
  });

  it('uses visible placeholders when there is no outputs file yet', () => {
    const loaded = loadBindings(loadConfig(), join(tempDir(), 'missing.json'));
    expect(loaded.source).toBe('placeholders');
    expect(loaded.byWorkload.get('demo')).toBe(PLACEHOLDER_BINDINGS);
  });

  it('fails when the stack is missing', () => {
    expect(() => readOutputs(outputsFile({}), loadConfig())).toThrow(
      /has no stack "workload-identity"/,
    );
  });

  it('fails when an output is missing', () => {
    const { demo_vault_url: _, ...rest } = good;
    expect(() => readOutputs(outputsFile({ 'workload-identity': rest }), loadConfig())).toThrow(
      /output "demo_vault_url" is missing/,
    );
  });

  it('fails when the issuer lost its trailing slash', () => {
    const file = outputsFile({
      'workload-identity': {
        ...good,
        demo_oidc_issuer_url: 'https://westeurope.oic.prod-aks.azure.com/6666/abc',
      },
    });
    expect(() => readOutputs(file, loadConfig())).toThrow(OutputsError);
    expect(() => readOutputs(file, loadConfig())).toThrow(
      /output "demo_oidc_issuer_url" is "https:\/\/westeurope.oic.prod-aks.azure.com\/6666\/abc", must be an https URL ending with "\/"/,
    );
  });

  it('fails when the file is not JSON', () => {
    const file = join(tempDir(), 'outputs.json');
    writeFileSync(file, '{');
    expect(() => readOutputs(file, loadConfig())).toThrow(/cannot read outputs file/);
  });

  it('names the TF_VAR_ variables a deploy needs, none for an existing vault', () => {
    expect(secretEnvironmentVariables(loadConfig())).toEqual([
      'TF_VAR_secret_username',
      'TF_VAR_secret_password',
    ]);
    const data = defaultConfigData();
    Object.assign(data.keyVault, { existing: true, name: 'team-vault' });
    expect(secretEnvironmentVariables(parseConfig(data))).toEqual([]);
  });
});
