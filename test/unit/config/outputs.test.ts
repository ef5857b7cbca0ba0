import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { missingSecretVariables } from '../../../cli/preflight';
import { secretValuesFromEnv } from '../../../cli/verify-command';
import { loadConfig, parseConfig } from '../../../config/load-config';
import {
  loadBindings,
  OutputsError,
  PLACEHOLDER_BINDINGS,
  readOutputs,
  secretEnvironmentVariables,
  vaultUrlProblem,
} from '../../../config/outputs';
import type { Config } from '../../../config/schema';
import { DEMO_SECRET_VALUES, variablesFromEnv } from '../../../lab/demo-values';
import { defaultConfigData, tempDir } from '../../support/helpers';

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

  it.each([
    ['another host', 'https://evil.example/'],
    ['another vault', 'https://other-kv.vault.azure.net/'],
    ['credentials', 'https://user:pass@workload-id-kv-demo.vault.azure.net/'],
    [
      'a host that only starts with the vault',
      'https://workload-id-kv-demo.vault.azure.net.evil.example/',
    ],
    ['a port', 'https://workload-id-kv-demo.vault.azure.net:8443/'],
    ['a path', 'https://workload-id-kv-demo.vault.azure.net/secrets/'],
    ['a query', 'https://workload-id-kv-demo.vault.azure.net/?api-version=1'],
    ['http', 'http://workload-id-kv-demo.vault.azure.net/'],
  ])('fails when the vault URL has %s, before it reaches KEYVAULT_URL', (_case, url) => {
    const file = outputsFile({ 'workload-identity': { ...good, demo_vault_url: url } });
    expect(() => readOutputs(file, loadConfig())).toThrow(OutputsError);
    expect(() => readOutputs(file, loadConfig())).toThrow(
      new RegExp(
        `^outputs file ${file}: output "demo_vault_url" is ".*", must be (https://workload-id-kv-demo\\.vault\\.azure\\.net/, the URL of the deployed vault "workload-id-kv-demo"|an https URL ending with "/")$`,
      ),
    );
  });

  it('fails when the vault URL is not the URL of the vault the config names', () => {
    const data = defaultConfigData();
    data.keyVault.name = 'my-team-kv';
    const file = outputsFile({
      'workload-identity': {
        ...good,
        demo_vault_url: 'https://workload-id-kv-demo.vault.azure.net/',
        demo_vault_name: 'workload-id-kv-demo',
      },
    });
    expect(() => readOutputs(file, parseConfig(data))).toThrow(
      `outputs file ${file}: output "demo_vault_url" is "https://workload-id-kv-demo.vault.azure.net/", must be https://my-team-kv.vault.azure.net/, the URL of keyVault.name "my-team-kv"`,
    );
  });

  it('accepts the URL of a vault whose name is generated at deploy time, and only that form', () => {
    // GIVEN a config without a vault name (the name is derived from the subscription when it deploys)
    const config = loadConfig();
    const generated = {
      ...config,
      keyVault: { ...config.keyVault, name: undefined },
    } as unknown as Config;
    // THEN a valid vault name under the Key Vault domain passes; anything else says the form it must have
    expect(vaultUrlProblem('https://kv-3f9a1c7e2b.vault.azure.net/', generated)).toBeUndefined();
    for (const url of [
      'https://-kv.vault.azure.net/',
      'https://a.b.vault.azure.net/',
      'https://KV-UPPER.vault.azure.net/',
      'https://kv-3f9a1c7e2b.vault.azure.net/x',
      'https://kv-3f9a1c7e2b.vault.azure.net.evil.example/',
    ])
      expect(vaultUrlProblem(url, generated)).toMatch(
        /^must be https:\/\/<vault name>\.vault\.azure\.net\/ with a Key Vault name/,
      );
  });

  it('fails with a short message when an output is 3 MB', () => {
    const file = outputsFile({
      'workload-identity': { ...good, demo_client_id: 'x'.repeat(3 * 1024 * 1024) },
    });
    expect(() => readOutputs(file, loadConfig())).toThrow(
      /^outputs file .*: output "demo_client_id" is "x{99}\.\.\. \(3145730 characters\), must be a GUID$/,
    );
  });

  it('fails naming the file when the outputs file is a directory or a device', () => {
    const dir = tempDir();
    expect(() => readOutputs(dir, loadConfig())).toThrow(
      `cannot read outputs file ${dir}: it is a directory, not a file`,
    );
    expect(() => readOutputs('/dev/zero', loadConfig())).toThrow(
      'cannot read outputs file /dev/zero: it is a character device that gives more than the 4 MB allowed',
    );
  });
});

describe('empty secret values', () => {
  it('count as not set for deploy, verify and the demo alike', () => {
    // GIVEN one secret set, one empty and one unset
    const env = { TF_VAR_secret_username: '', TF_VAR_secret_password: 'p4ss-0b2d77' };
    // THEN deploy's preflight asks for the empty one
    expect(missingSecretVariables(loadConfig(), env)).toEqual(['TF_VAR_secret_username']);
    // AND verify does not look for an empty value in the files
    expect(secretValuesFromEnv(env)).toEqual(['p4ss-0b2d77']);
    // AND the demo takes its demo value for it, and says so, as for an unset one
    const demo = variablesFromEnv(['secret_username', 'secret_password'], env, DEMO_SECRET_VALUES);
    expect(demo.fromFallback).toEqual(['TF_VAR_secret_username']);
    expect(demo.values).toEqual({ secret_username: 'admin', secret_password: 'p4ss-0b2d77' });
  });
});
