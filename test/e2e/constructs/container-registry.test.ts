import { execFileSync } from 'node:child_process';
import { Testing } from 'cdktf';
import { describe, expect, it } from 'vitest';
import { containerRegistryName, generatedRegistryName } from '../../../config/container-registry';
import { parseConfig } from '../../../config/load-config';
import { AksCluster } from '../../../constructs/azure/aks-cluster';
import { ContainerRegistry } from '../../../constructs/azure/container-registry';
import { ExistingAksCluster } from '../../../constructs/azure/existing-aks-cluster';
import { ExistingContainerRegistry } from '../../../constructs/azure/existing-container-registry';
import { AzureStack } from '../../../constructs/stacks/azure-stack';
import { resourcesOf } from '../../../verify/synthesized-pair';
import { azureScope, synthJson } from '../../support/azure-helpers';
import { defaultConfigData, tempDir } from '../../support/helpers';

const SUBSCRIPTION = 'aaaaaaaa-0000-4000-a000-000000000001';

describe('ContainerRegistry', () => {
  it("lets the cluster's kubelet identity pull, with the admin user off", () => {
    const { stack, resourceGroup, deployer } = azureScope();
    const cluster = new AksCluster(stack, 'Cluster', { name: 'aks', resourceGroup });
    new ContainerRegistry(stack, 'Registry', { resourceGroup, deployer }).grantPull(cluster);
    const tf = synthJson(stack);
    const [registry] = resourcesOf(tf, 'azurerm_container_registry');
    const [aks] = resourcesOf(tf, 'azurerm_kubernetes_cluster');
    expect(registry.values).toMatchObject({ admin_enabled: false, sku: 'Basic' });
    expect(resourcesOf(tf, 'azurerm_role_assignment').map((r) => r.values)).toEqual([
      expect.objectContaining({
        role_definition_name: 'AcrPull',
        scope: `\${${registry.address}.id}`,
        principal_id: `\${${aks.address}.kubelet_identity[0].object_id}`,
        principal_type: 'ServicePrincipal',
      }),
    ]);
  });

  it('names itself per subscription and group when no name is given, as its TypeScript twin does', () => {
    const { stack, resourceGroup, deployer } = azureScope();
    new ContainerRegistry(stack, 'Registry', { resourceGroup, deployer });
    const name = String(resourcesOf(synthJson(stack), 'azurerm_container_registry')[0].values.name);
    const start = name.indexOf('${');
    const evaluated = execFileSync('terraform', ['console'], {
      input: name
        .slice(start + 2, -1)
        .replace(
          'data.azurerm_client_config.Deployer.subscription_id',
          JSON.stringify(SUBSCRIPTION),
        )
        .replace('azurerm_resource_group.ResourceGroup.name', JSON.stringify('rg')),
      cwd: tempDir(),
      encoding: 'utf8',
      env: { ...process.env, CHECKPOINT_DISABLE: '1', TF_CLI_CONFIG_FILE: '/dev/null' },
    });
    const generated = `${name.slice(0, start)}${JSON.parse(evaluated)}`;
    expect(generated).toBe(generatedRegistryName(SUBSCRIPTION, 'rg'));
    expect(containerRegistryName.test(generated)).toBe(true);
  });

  it("grants an existing registry to an existing cluster's kubelet identity", () => {
    const { stack } = azureScope();
    const group = { name: 'platform-rg', location: 'westeurope' };
    const cluster = new ExistingAksCluster(stack, 'Cluster', { name: 'aks', resourceGroup: group });
    new ExistingContainerRegistry(stack, 'Registry', {
      name: 'teamacr',
      resourceGroup: group,
    }).grantPull(cluster);
    const tf = synthJson(stack);
    expect(resourcesOf(tf, 'azurerm_role_assignment')[0].values).toMatchObject({
      scope: '${data.azurerm_container_registry.Registry_4DB9CCA5.id}',
      principal_id:
        '${data.azurerm_kubernetes_cluster.Cluster_EB0386A7.kubelet_identity[0].object_id}',
    });
  });

  it('fails when a given name breaks the registry rules', () => {
    const { stack, resourceGroup, deployer } = azureScope();
    expect(
      () => new ContainerRegistry(stack, 'Registry', { name: 'my-acr', resourceGroup, deployer }),
    ).toThrow('registry name "my-acr" must be a container registry name: 5-50 letters and digits');
  });
});

describe('AzureStack with a registry', () => {
  const synth = (edit: (data: any) => void) => {
    const data = defaultConfigData();
    edit(data);
    return JSON.parse(
      Testing.synth(
        new AzureStack(Testing.app(), 'workload-identity', { config: parseConfig(data) }),
      ),
    );
  };

  it('outputs the registry name and login server for az acr build and the image', () => {
    const tf = synth((d) => (d.registry = {}));
    const [registry] = resourcesOf(tf, 'azurerm_container_registry');
    expect(tf.output.registry_name.value).toBe(`\${${registry.address}.name}`);
    expect(tf.output.registry_login_server.value).toBe(`\${${registry.address}.login_server}`);
    expect(registry.values.resource_group_name).toBe(
      '${azurerm_resource_group.ResourceGroup.name}',
    );
  });

  it('has no registry and no registry outputs when the config has none', () => {
    const tf = synth(() => {});
    expect(resourcesOf(tf, 'azurerm_container_registry')).toEqual([]);
    expect(tf.output.registry_name).toBeUndefined();
  });

  it('creates no group for an existing registry, and reads it there', () => {
    const tf = synth((d) => {
      d.cluster.existing = true;
      Object.assign(d.keyVault, { existing: true, name: 'team-kv' });
      d.registry = { existing: true, name: 'teamacr', resourceGroup: 'acr-rg' };
      d.workloads[0].identity = 'application';
    });
    expect(resourcesOf(tf, 'azurerm_resource_group')).toEqual([]);
    expect(resourcesOf(tf, 'data.azurerm_container_registry')[0].values).toMatchObject({
      name: 'teamacr',
      resource_group_name: 'acr-rg',
    });
  });

  it('fails when an existing registry has no name', () => {
    expect(() => synth((d) => (d.registry = { existing: true }))).toThrow(
      'registry.name: an existing registry needs its name (registry.existing is true)',
    );
  });
});
