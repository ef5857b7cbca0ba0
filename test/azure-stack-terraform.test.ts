// The synthesized stacks, checked by the real `terraform validate` against the pinned providers' schemas (served by
// the local provider server): every argument, block and function the constructs write exists in azurerm 4.55,
// azuread 3.7, kubernetes 2.38 and time 0.13.1.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Testing } from 'cdktf';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../config/load-config';
import { AzureStack } from '../constructs/stacks/azure-stack';
import { KubernetesStack } from '../constructs/stacks/kubernetes-stack';
import { checkTerraform, runTerraform } from '../local-cloud/terraform/run';
import { defaultConfigData } from './helpers';

const root = mkdtempSync(join(tmpdir(), 'wi-validate-'));
const workDir = join(root, 'work');

beforeAll(async () => {
  await checkTerraform();
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

const topologies: [string, (data: any) => void][] = [
  ['the default config', () => {}],
  [
    'a Windows pool, a pinned version, an application and a new cluster in its own group',
    (data) => {
      Object.assign(data.cluster, {
        windowsNodePool: {},
        kubernetesVersion: '1.33',
        resourceGroup: 'aks-rg',
      });
      data.workloads.push({
        ...data.workloads[0],
        name: 'app',
        identity: 'application',
        managedIdentity: 'app-id',
        serviceAccount: 'app.sa',
        pod: 'app-pod',
        roleScope: 'vault',
      });
    },
  ],
  [
    'an existing cluster and an existing vault in another tenant',
    (data) => {
      Object.assign(data.cluster, { existing: true });
      Object.assign(data.keyVault, {
        existing: true,
        name: 'partner-kv',
        tenantId: 'bbbbbbbb-0000-4000-a000-000000000002',
        subscriptionId: 'bbbbbbbb-0000-4000-a000-00000000000f',
        resourceGroup: 'partner-rg',
      });
      data.workloads[0].identity = 'application';
    },
  ],
];

describe('the synthesized stacks with the real terraform validate', () => {
  it.each(topologies)('are valid: %s', async (name, edit) => {
    const data = defaultConfigData();
    edit(data);
    const config = parseConfig(data);
    const app = Testing.app();
    const azure = new AzureStack(app, 'workload-identity', { config });
    const kubernetes = new KubernetesStack(app, 'workload-identity-k8s', {
      config,
      azureStack: azure,
    });
    for (const [stackName, stack] of [
      ['azure', azure],
      ['kubernetes', kubernetes],
    ] as const) {
      const dir = join(root, `${name.replaceAll(/\W+/g, '-')}-${stackName}`);
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, 'main.tf.json'), Testing.synth(stack));
      await runTerraform(dir, ['init', '-input=false', '-backend=false'], { workDir });
      const validate = await runTerraform(dir, ['validate', '-no-color'], { workDir });
      expect(validate.summary).toContain('Success! The configuration is valid.');
    }
  });
});
