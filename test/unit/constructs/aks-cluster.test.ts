import { describe, expect, it } from 'vitest';
import { aksDnsPrefix, vmArchitecture } from '../../../config/aks';
import { AksCluster, type AksClusterProps } from '../../../constructs/azure/aks-cluster';
import { resourcesOf } from '../../../verify/synthesized-pair';
import { azureScope, synthJson } from '../../support/azure-helpers';

function synthCluster(props: Partial<AksClusterProps> = {}) {
  const { stack, resourceGroup } = azureScope();
  new AksCluster(stack, 'Cluster', { name: 'aks', resourceGroup, ...props });
  const tf = synthJson(stack);
  return {
    cluster: resourcesOf(tf, 'azurerm_kubernetes_cluster')[0].values as Record<string, any>,
    windowsPool: resourcesOf(tf, 'azurerm_kubernetes_cluster_node_pool')[0]?.values as
      | Record<string, any>
      | undefined,
  };
}

describe('AksCluster', () => {
  it.each([
    ['a name with "_"', 'my_cluster', 'my-cluster'],
    ['a name of 63 characters', `a${'b'.repeat(61)}c`, `a${'b'.repeat(53)}`],
    ['a name whose cut ends with "_"', `${'a'.repeat(53)}_bc`, 'a'.repeat(53)],
    ['a name of one character', 'a', 'a-aks'],
  ])('derives a DNS prefix azurerm accepts from %s', (_case, name, expected) => {
    const { cluster } = synthCluster({ name });
    expect(cluster.dns_prefix).toBe(expected);
    expect(aksDnsPrefix.test(cluster.dns_prefix)).toBe(true);
  });

  it('fails when an explicit DNS prefix breaks the rule', () => {
    expect(() => synthCluster({ dnsPrefix: 'bad_prefix' })).toThrow(
      'dnsPrefix "bad_prefix" must be an AKS DNS prefix: 2-54 letters, digits and "-", starting and ending with a letter or digit',
    );
  });

  it('sets the node resource group it is given, and leaves it to AKS otherwise', () => {
    expect(synthCluster({ nodeResourceGroup: 'rg-nodes' }).cluster.node_resource_group).toBe(
      'rg-nodes',
    );
    expect(synthCluster().cluster.node_resource_group).toBeUndefined();
  });

  it("fails when AKS's node resource group name would be over 80 characters, or a given one is", () => {
    const { stack } = azureScope();
    const resourceGroup = { name: 'g'.repeat(40), location: 'westeurope' };
    expect(() => new AksCluster(stack, 'Long', { name: 'c'.repeat(26), resourceGroup })).toThrow(
      `AKS would name the node resource group "MC_${'g'.repeat(40)}_${'c'.repeat(26)}_westeurope", 81 characters: at most 80 are allowed; set nodeResourceGroup`,
    );
    expect(() => synthCluster({ nodeResourceGroup: 'n'.repeat(81) })).toThrow(
      `nodeResourceGroup "${'n'.repeat(81)}" must be a resource group name of at most 80 characters`,
    );
  });

  it('rotates a new VM size through a temporary pool, and states the surge AKS would set', () => {
    const { cluster } = synthCluster();
    expect(cluster.default_node_pool).toMatchObject({
      temporary_name_for_rotation: 'systemtmp',
      upgrade_settings: { max_surge: '10%' },
    });
  });

  it('gives the Windows pool upgrade settings and a rotation pool, so plans stay free of drift', () => {
    const { windowsPool } = synthCluster({ kubernetesVersion: '1.34', windowsNodePool: {} });
    expect(windowsPool).toMatchObject({
      os_sku: 'Windows2022',
      upgrade_settings: { max_surge: '10%' },
      temporary_name_for_rotation: 'wintmp',
    });
    expect(windowsPool?.temporary_name_for_rotation.length).toBeLessThanOrEqual(6);
  });

  it('ignores the version a patch upgrade moves a pinned version to', () => {
    const { cluster } = synthCluster({ kubernetesVersion: '1.33' });
    expect(cluster.automatic_upgrade_channel).toBe('patch');
    expect(cluster.kubernetes_version).toBe('1.33');
    expect(cluster.lifecycle).toEqual({ ignore_changes: ['kubernetes_version'] });
    expect(synthCluster().cluster.lifecycle).toBeUndefined();
  });

  it('accepts Windows Server 2022 nodes up to Kubernetes 1.36', () => {
    expect(
      synthCluster({ kubernetesVersion: '1.36.2', windowsNodePool: {} }).windowsPool,
    ).toBeDefined();
  });

  it('fails when Windows Server 2022 nodes are asked for on the default Kubernetes version', () => {
    expect(() => synthCluster({ windowsNodePool: {} })).toThrow(
      'windowsNodePool: a Windows node pool needs a pinned kubernetesVersion',
    );
  });

  it('fails when Windows Server 2022 nodes are asked for with Kubernetes 1.37 or later', () => {
    expect(() => synthCluster({ kubernetesVersion: '1.37', windowsNodePool: {} })).toThrow(
      'windowsNodePool: Kubernetes 1.37 has no Windows Server 2022 nodes (AKS supports them up to 1.36)',
    );
  });
});

describe('vmArchitecture', () => {
  it.each([
    ['Standard_D2ps_v5', 'arm64'],
    ['Standard_D4plds_v6', 'arm64'],
    ['Standard_E8pds_v5', 'arm64'],
    ['Standard_D2s_v5', 'amd64'],
    ['Standard_D4as_v5', 'amd64'],
    ['Standard_M8-2ms_v2', 'amd64'],
    ['Standard_NC4as_T4_v3', 'amd64'],
  ])('%s runs %s nodes ("p" among the additive features is an ARM CPU)', (size, arch) => {
    expect(vmArchitecture(size)).toBe(arch);
  });
});
