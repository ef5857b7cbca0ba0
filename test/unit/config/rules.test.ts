import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfig } from '../../../config/load-config';
import * as rules from '../../../config/rules';
import { defaultConfigData, ROOT } from '../../support/helpers';

/** The problems of the default config after `edit`, or [] when it is accepted. */
function problemsOf(edit: (data: any) => void): string[] {
  const data = defaultConfigData();
  edit(data);
  try {
    parseConfig(data, 'test.yaml');
    return [];
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    return [...err.problems];
  }
}

const vaultInAnotherTenant = (data: any, tenantId: string) =>
  Object.assign(data.keyVault, {
    tenantId,
    subscriptionId: '0b1f6471-1bf0-4dda-aec3-cb9272f09590',
    resourceGroup: 'vault-rg',
  });

const serviceAccounts = (data: any, count: number) => {
  data.workloads = Array.from({ length: count }, (_, i) => ({
    ...data.workloads[0],
    name: `w${i}`,
    pod: `pod-${i}`,
    serviceAccount: `sa-${i}`,
  }));
};

const remoteState = (data: any, azurerm: object) => {
  data.state = {
    azurerm: {
      resourceGroup: 'tfstate-rg',
      storageAccount: 'wistate01',
      container: 'tfstate',
      ...azurerm,
    },
  };
};

const githubDeployer = (data: any, github: object) => {
  data.deployer = { github: { repository: 'contoso/platform', environment: 'prod', ...github } };
};

/**
 * Each rule of config/rules.ts, with the input it exists for (refused, with the rule's words) and the edge it must still
 * accept: [rule, where the config uses it, motivating input, the problem it gives, accepted edge].
 */
const CASES: [string, (data: any, value: any) => void, unknown, string, unknown][] = [
  [
    'dns1123Label',
    (d, v) => (d.workloads[0].namespace = v),
    'Workload-Test',
    'workloads[0].namespace: "Workload-Test" must be a DNS-1123 label',
    'a'.repeat(63),
  ],
  [
    'dns1123Subdomain',
    (d, v) => (d.workloads[0].serviceAccount = v),
    'workload_sa',
    'workloads[0].serviceAccount: "workload_sa" must be a DNS-1123 subdomain',
    'workload.sa-1',
  ],
  [
    'azureLocation',
    (d, v) => (d.location = v),
    'West Europe',
    'location: "West Europe" must be an Azure region name',
    'westus3',
  ],
  [
    'resourceGroupName',
    (d, v) => (d.resourceGroup = v),
    'workload-rg.',
    'resourceGroup: "workload-rg." must be a resource group name',
    'my_rg-(1).x',
  ],
  [
    'aksClusterName',
    (d, v) => {
      d.cluster.name = v;
      // A 63-character cluster name makes AKS's generated MC_ group name too long: name the node group.
      d.cluster.nodeResourceGroup = 'workload-nodes-rg';
    },
    'workload-aks-',
    'cluster.name: "workload-aks-" must be an AKS cluster name',
    `a_${'b'.repeat(61)}`,
  ],
  [
    'MAX_NODE_RESOURCE_GROUP_LENGTH',
    // MC_<group>_workload-id-aks_westeurope: 30 characters besides the group's.
    (d, v) => (d.resourceGroup = 'g'.repeat(v - 30)),
    81,
    'cluster.name: AKS would name the node resource group',
    80,
  ],
  [
    'aksNodeResourceGroup',
    (d, v) => (d.cluster.nodeResourceGroup = v),
    'nodes-rg.',
    'cluster.nodeResourceGroup: "nodes-rg." must be a resource group name of at most 80 characters',
    'n'.repeat(80),
  ],
  [
    'keyVaultName',
    (d, v) => (d.keyVault.name = v),
    'workload--kv',
    'keyVault.name: "workload--kv" must be a Key Vault name',
    `kv${'1'.repeat(22)}`,
  ],
  [
    'keyVaultSecretName',
    (d, v) => {
      d.keyVault.secrets[0].name = v;
      d.workloads[0].secret = v;
    },
    'db_password',
    'keyVault.secrets[0].name: "db_password" must be a Key Vault secret name',
    'DB-Password-1',
  ],
  [
    'managedIdentityName',
    (d, v) => (d.workloads[0].managedIdentity = v),
    'mi',
    'workloads[0].managedIdentity: "mi" must be a managed identity name',
    'mi_',
  ],
  [
    'vmSize',
    (d, v) => (d.cluster.vmSize = v),
    'D2s_v5',
    'cluster.vmSize: "D2s_v5" must be an Azure VM size',
    'Standard_D2s_v5',
  ],
  [
    'imageReference',
    (d, v) => {
      delete d.workloads[0].sample;
      d.workloads[0].image = v;
    },
    'MyApp:1.0',
    'workloads[0].image: "MyApp:1.0" must be a container image reference',
    'registry.example.io/team/app@sha256:0a1b2c',
  ],
  [
    'guid',
    vaultInAnotherTenant,
    'contoso.onmicrosoft.com',
    'keyVault.tenantId: "contoso.onmicrosoft.com" must be a GUID',
    '72F988BF-86F1-41AF-91AB-2D7CD011DB47',
  ],
  [
    'tokenExpirationSeconds',
    (d, v) => (d.workloads[0].tokenExpirationSeconds = v),
    86401,
    'workloads[0].tokenExpirationSeconds: Too big: expected number to be <=86400',
    86400,
  ],
  [
    'tokenExpirationSeconds',
    (d, v) => (d.workloads[0].tokenExpirationSeconds = v),
    3599,
    'workloads[0].tokenExpirationSeconds: Too small: expected number to be >=3600',
    3600,
  ],
  [
    'MAX_FEDERATED_CREDENTIALS_PER_IDENTITY',
    serviceAccounts,
    21,
    'workloads[20].managedIdentity: "workload-id-mi" would need more than 20 federated credentials',
    20,
  ],
  [
    'storageAccountName',
    (d, v) => remoteState(d, { storageAccount: v }),
    'WiState01',
    'state.azurerm.storageAccount: "WiState01" must be a storage account name',
    'w'.repeat(24),
  ],
  [
    'storageContainerName',
    (d, v) => remoteState(d, { container: v }),
    'tf--state',
    'state.azurerm.container: "tf--state" must be a blob container name',
    'tf1',
  ],
  [
    'blobKeyPrefix',
    (d, v) => remoteState(d, { keyPrefix: v }),
    '/prod',
    'state.azurerm.keyPrefix: "/prod" must be a blob name prefix',
    'prod/eu-1/',
  ],
  [
    'blobKeyPrefix',
    (d, v) => remoteState(d, { keyPrefix: v }),
    '../',
    'state.azurerm.keyPrefix: "../" must be a blob name prefix',
    'prod.eu/..x/',
  ],
  [
    'blobKeyPrefix',
    (d, v) => remoteState(d, { keyPrefix: v }),
    'prod/../../other/',
    'state.azurerm.keyPrefix: "prod/../../other/" must be a blob name prefix',
    'prod/other/',
  ],
  [
    'blobKeyPrefix',
    (d, v) => remoteState(d, { keyPrefix: v }),
    './prod/',
    'state.azurerm.keyPrefix: "./prod/" must be a blob name prefix',
    '.prod/',
  ],
  [
    'blobKeyPrefix',
    (d, v) => remoteState(d, { keyPrefix: v }),
    'a/'.repeat(254),
    `state.azurerm.keyPrefix: "${'a/'.repeat(49)}a... (510 characters) must be a blob name prefix`,
    'a/'.repeat(253),
  ],
  [
    'githubRepository',
    (d, v) => githubDeployer(d, { repository: v }),
    'contoso',
    'deployer.github.repository: "contoso" must be a GitHub repository',
    'a/b',
  ],
  [
    'githubEnvironment',
    (d, v) => githubDeployer(d, { environment: v }),
    'prod:eu',
    'deployer.github.environment: "prod:eu" must be a GitHub environment name',
    'e'.repeat(255),
  ],
];

describe('config rules, each with the input it exists for', () => {
  const cases = CASES.map(([rule, set, bad, problem, edge]) => ({ rule, set, bad, problem, edge }));

  it.each(cases)('fails when $rule is given $bad', ({ set, bad, problem }) => {
    const problems = problemsOf((d) => set(d, bad));
    expect(problems).toContainEqual(expect.stringContaining(problem));
  });

  it.each(cases)('accepts $edge for $rule', ({ set, edge }) => {
    expect(problemsOf((d) => set(d, edge))).toEqual([]);
  });

  it('covers every rule that config/rules.ts exports', () => {
    const exported = Object.entries(rules)
      .filter(
        ([, v]) =>
          typeof v === 'number' || (typeof v === 'object' && !(v instanceof RegExp) && 'test' in v),
      )
      .map(([name]) => name);
    expect(exported.filter((name) => !CASES.some(([rule]) => rule === name))).toEqual([]);
  });
});

// Product code, without comments: where each rule's literal may appear (its one source).
const PRODUCT = [
  'config',
  'constructs',
  'verify',
  'cli',
  'manifests',
  'app',
  'synth.ts',
  'main.ts',
];
const SOURCES: [string, RegExp, string][] = [
  ['the token-expiration range', /\b(3600|86400)\b/, 'config/rules.ts'],
  ['the GUID pattern', /\[0-9a-f\]\{8\}/i, 'config/rules.ts'],
  [
    'the credential limit',
    /MAX_FEDERATED_CREDENTIALS_PER_IDENTITY\s*=|\b20\b.*credentials/,
    'config/rules.ts',
  ],
  [
    'the pod kinds',
    /'(StatefulSet|DaemonSet|ReplicaSet)'|\['Pod',\s*'Deployment'\]/,
    'config/kubernetes-object.ts',
  ],
  ['the credential modes', /'chained',\s*'workload-identity'/, 'app/credential-modes.ts'],
  [
    'the Kubernetes object type',
    /^\s*(export\s+)?(type|interface)\s+KubeObject\b/m,
    'config/kubernetes-object.ts',
  ],
];

function sources(path: string): string[] {
  const full = join(ROOT, path);
  if (statSync(full).isFile()) return [path];
  return readdirSync(full).flatMap((name) =>
    name === 'node_modules' || name === 'build' ? [] : sources(join(path, name)),
  );
}

describe('one source per rule', () => {
  const files = PRODUCT.flatMap(sources).filter((f) => f.endsWith('.ts'));
  it.each(SOURCES)('%s is written only in its source', (_rule, pattern, source) => {
    const writers = files.filter((file) => {
      const code = readFileSync(join(ROOT, file), 'utf8')
        .replace(/\/\*[\s\S]*?\*\//g, '')
        .replace(/^\s*\/\/.*$/gm, '');
      return pattern.test(code.replace(/`[^`]*`/g, (t) => t.replace(/\$\{[^}]*\}/g, '')));
    });
    expect(writers.map((f) => relative('.', f))).toEqual([source]);
  });
});
