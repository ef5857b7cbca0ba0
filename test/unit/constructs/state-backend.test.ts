import { Testing } from 'cdktf';
import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfig } from '../../../config/load-config';
import type { Config } from '../../../config/schema';
import { AzureStack } from '../../../constructs/stacks/azure-stack';
import { KubernetesStack } from '../../../constructs/stacks/kubernetes-stack';
import { defaultConfigData } from '../../support/helpers';

/** The example: one storage account, keys under `prod/`. */
const STATE = {
  azurerm: {
    resourceGroup: 'tfstate-rg',
    storageAccount: 'wistatecontoso01',
    container: 'tfstate',
    keyPrefix: 'prod/',
  },
};

function teamConfig(edit: (data: any) => void = () => {}): Config {
  const data = defaultConfigData();
  data.state = structuredClone(STATE);
  edit(data);
  return parseConfig(data, 'team.yaml');
}

function synth(config: Config) {
  const app = Testing.app();
  const azureStack = new AzureStack(app, 'workload-identity', { config });
  const kubernetes = new KubernetesStack(app, 'workload-identity-k8s', { config, azureStack });
  return {
    azure: JSON.parse(Testing.synth(azureStack)) as any,
    kubernetes: JSON.parse(Testing.synth(kubernetes)) as any,
  };
}

function problemsOf(edit: (data: any) => void): string[] {
  try {
    teamConfig(edit);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return [...(err as ConfigError).problems];
  }
  throw new Error('the config was accepted');
}

describe('remote state (state.azurerm)', () => {
  it('gives each stack an azurerm backend with its own key under keyPrefix, signed in with Entra', () => {
    const { azure, kubernetes } = synth(teamConfig());
    const common = {
      resource_group_name: 'tfstate-rg',
      storage_account_name: 'wistatecontoso01',
      container_name: 'tfstate',
      use_azuread_auth: true,
    };
    expect(azure.terraform.backend).toEqual({
      azurerm: { ...common, key: 'prod/workload-identity.tfstate' },
    });
    expect(kubernetes.terraform.backend).toEqual({
      azurerm: { ...common, key: 'prod/workload-identity-k8s.tfstate' },
    });
  });

  it('never configures a shared key, a SAS or a secret in the backend', () => {
    const { azure, kubernetes } = synth(teamConfig());
    for (const stack of [azure, kubernetes]) {
      const text = JSON.stringify(stack.terraform.backend);
      expect(text).not.toMatch(/access_key|sas_token|client_secret|client_certificate/);
    }
  });

  it("reads the Azure stack's outputs through terraform_remote_state with the same backend", () => {
    const { kubernetes } = synth(teamConfig());
    const remote = kubernetes.data.terraform_remote_state.AzureOutputs;
    expect(remote.backend).toBe('azurerm');
    expect(remote.config).toEqual({
      resource_group_name: 'tfstate-rg',
      storage_account_name: 'wistatecontoso01',
      container_name: 'tfstate',
      key: 'prod/workload-identity.tfstate',
      use_azuread_auth: true,
    });
  });

  it('keeps the local state files without state', () => {
    const { azure, kubernetes } = synth(parseConfig(defaultConfigData(), 'solo.yaml'));
    expect(azure.terraform.backend).toEqual({
      local: { path: '../../../terraform.workload-identity.tfstate' },
    });
    expect(kubernetes.terraform.backend).toEqual({
      local: { path: '../../../terraform.workload-identity-k8s.tfstate' },
    });
  });

  it('puts the keys at the root of the container when keyPrefix is left out', () => {
    const { azure } = synth(teamConfig((d) => delete d.state.azurerm.keyPrefix));
    expect(azure.terraform.backend.azurerm.key).toBe('workload-identity.tfstate');
  });

  it('fails when the storage account name has capitals', () => {
    expect(problemsOf((d) => (d.state.azurerm.storageAccount = 'WiState01'))).toEqual([
      'state.azurerm.storageAccount: "WiState01" must be a storage account name: 3-24 lowercase letters and digits',
    ]);
  });

  it('fails when the storage account name is longer than 24 characters', () => {
    expect(problemsOf((d) => (d.state.azurerm.storageAccount = 'a'.repeat(25)))[0]).toMatch(
      /^state\.azurerm\.storageAccount: "a{25}" must be a storage account name: 3-24/,
    );
  });

  it('fails when the container name has "--"', () => {
    expect(problemsOf((d) => (d.state.azurerm.container = 'tf--state'))).toEqual([
      'state.azurerm.container: "tf--state" must be a blob container name: 3-63 lowercase letters, digits and "-", starting and ending with a letter or digit, no "--"',
    ]);
  });

  it('fails when the container name ends with "-"', () => {
    expect(problemsOf((d) => (d.state.azurerm.container = 'tfstate-'))[0]).toMatch(
      /^state\.azurerm\.container: "tfstate-" must be a blob container name/,
    );
  });

  it('fails when the key prefix starts with "/"', () => {
    expect(problemsOf((d) => (d.state.azurerm.keyPrefix = '/prod/'))[0]).toMatch(
      /^state\.azurerm\.keyPrefix: "\/prod\/" must be a blob name prefix/,
    );
  });

  it('fails when the backend is not azurerm', () => {
    expect(problemsOf((d) => (d.state = { s3: { bucket: 'x' } }))[0]).toMatch(/^state/);
  });
});

describe('deployer', () => {
  it('fails when the repository is not owner/name', () => {
    expect(
      problemsOf((d) => (d.deployer = { github: { repository: 'platform', environment: 'prod' } })),
    ).toEqual([
      'deployer.github.repository: "platform" must be a GitHub repository "owner/name" such as "contoso/platform"',
    ]);
  });

  it('fails when the environment has a ":" (the subject would be ambiguous)', () => {
    expect(
      problemsOf(
        (d) => (d.deployer = { github: { repository: 'contoso/platform', environment: 'a:b' } }),
      )[0],
    ).toMatch(/^deployer\.github\.environment: "a:b" must be a GitHub environment name/);
  });
});
