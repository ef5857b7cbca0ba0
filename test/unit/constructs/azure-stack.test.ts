import { Testing } from 'cdktf';
import { describe, expect, it } from 'vitest';
import { loadConfig, parseConfig } from '../../../config/load-config';
import type { Config } from '../../../config/schema';
import { AzureStack } from '../../../constructs/stacks/azure-stack';
import { resourcesOf, type TerraformJson } from '../../../verify/synthesized-pair';
import { defaultConfigData } from '../../support/helpers';

function synth(config: Config = loadConfig()): TerraformJson {
  const app = Testing.app();
  return JSON.parse(Testing.synth(new AzureStack(app, 'workload-identity', { config })));
}

const one = (tf: TerraformJson, type: string) => {
  const list = resourcesOf(tf, type);
  expect(list).toHaveLength(1);
  return list[0];
};

describe('AzureStack', () => {
  it('matches the snapshot of the default config', () => {
    expect(synth()).toMatchSnapshot();
  });

  it('turns on the OIDC issuer and workload identity', () => {
    expect(one(synth(), 'azurerm_kubernetes_cluster').values).toMatchObject({
      oidc_issuer_enabled: true,
      workload_identity_enabled: true,
      role_based_access_control_enabled: true,
    });
  });

  it('trusts the service account through the cluster issuer, exact subject and audience', () => {
    const tf = synth();
    const cluster = one(tf, 'azurerm_kubernetes_cluster');
    const identity = one(tf, 'azurerm_user_assigned_identity');
    expect(one(tf, 'azurerm_federated_identity_credential').values).toMatchObject({
      issuer: `\${${cluster.address}.oidc_issuer_url}`,
      subject: 'system:serviceaccount:workload-id-test:workload-id-sa',
      audience: ['api://AzureADTokenExchange'],
      parent_id: `\${${identity.address}.id}`,
    });
  });

  it('grants Key Vault Secrets User on the one secret the workload reads', () => {
    const tf = synth();
    const secret = resourcesOf(tf, 'azurerm_key_vault_secret').find(
      (s) => s.values.name === 'username',
    )!;
    const identity = one(tf, 'azurerm_user_assigned_identity');
    const grants = resourcesOf(tf, 'azurerm_role_assignment').filter(
      (r) => r.values.role_definition_name === 'Key Vault Secrets User',
    );
    expect(grants.map((g) => g.values)).toEqual([
      expect.objectContaining({
        scope: `\${${secret.address}.resource_versionless_id}`,
        principal_id: `\${${identity.address}.principal_id}`,
      }),
    ]);
  });

  it('grants on the vault when roleScope is vault', () => {
    const data = defaultConfigData();
    data.workloads[0].roleScope = 'vault';
    const tf = synth(parseConfig(data));
    const vault = one(tf, 'azurerm_key_vault');
    const grant = resourcesOf(tf, 'azurerm_role_assignment').find(
      (r) => r.values.role_definition_name === 'Key Vault Secrets User',
    )!;
    expect(grant.values.scope).toBe(`\${${vault.address}.id}`);
  });

  it('creates an RBAC vault the deployer can write secrets to', () => {
    const tf = synth();
    const vault = one(tf, 'azurerm_key_vault');
    expect(vault.values).toMatchObject({
      rbac_authorization_enabled: true,
      soft_delete_retention_days: 7,
      purge_protection_enabled: false,
      tenant_id: '${data.azurerm_client_config.Deployer.tenant_id}',
    });
    const officer = resourcesOf(tf, 'azurerm_role_assignment').find(
      (r) => r.values.role_definition_name === 'Key Vault Secrets Officer',
    )!;
    expect(officer.values).toMatchObject({
      principal_id: '${data.azurerm_client_config.Deployer.object_id}',
      scope: `\${${vault.address}.id}`,
    });
    // Every secret waits for the deployer's role to reach the data plane (azurerm does not retry a 403), and for the
    // new cluster, whose minutes of creation widen that window up to the 10 minutes Key Vault's RBAC guide allows.
    const wait = one(tf, 'time_sleep');
    expect(wait.values).toEqual({
      create_duration: '120s',
      triggers: { role_assignment_id: `\${${officer.address}.id}` },
    });
    const cluster = one(tf, 'azurerm_kubernetes_cluster');
    for (const secret of resourcesOf(tf, 'azurerm_key_vault_secret'))
      expect(secret.values.depends_on).toEqual([wait.address, cluster.address]);
  });

  it('writes secret values only through ephemeral sensitive variables and value_wo', () => {
    const tf = synth();
    for (const secret of resourcesOf(tf, 'azurerm_key_vault_secret')) {
      expect(secret.values.value).toBeUndefined();
      expect(secret.values.value_wo).toBe(`\${var.secret_${secret.values.name}}`);
      expect(secret.values.value_wo_version).toBe(1);
    }
    expect(tf.variable?.secret_username).toMatchObject({
      sensitive: true,
      ephemeral: true,
      type: 'string',
    });
    expect((tf.terraform as any).required_version).toBe('>= 1.11.0');
  });

  it('outputs the bindings of each workload under the contract names', () => {
    const tf = synth();
    expect(Object.keys(tf.output ?? {}).sort()).toEqual([
      'cluster_name',
      'demo_client_id',
      'demo_oidc_issuer_url',
      'demo_tenant_id',
      'demo_vault_name',
      'demo_vault_url',
      'resource_group_name',
      'subscription_id',
    ]);
  });

  it('outputs each binding from the resource that owns it, and nothing sensitive', () => {
    // GIVEN the default config (a managed identity, a vault this stack creates)
    const tf = synth();
    const cluster = one(tf, 'azurerm_kubernetes_cluster').address;
    const identity = one(tf, 'azurerm_user_assigned_identity').address;
    const vault = one(tf, 'azurerm_key_vault').address;
    const group = one(tf, 'azurerm_resource_group').address;
    // THEN each output is a reference to the attribute the Kubernetes side needs, not a copy of a config value
    const values = Object.fromEntries(
      Object.entries(tf.output ?? {}).map(([name, output]) => [name, output.value]),
    );
    expect(values).toEqual({
      cluster_name: 'workload-id-aks',
      demo_client_id: `\${${identity}.client_id}`,
      demo_tenant_id: `\${${identity}.tenant_id}`,
      demo_vault_name: `\${${vault}.name}`,
      demo_vault_url: `\${${vault}.vault_uri}`,
      demo_oidc_issuer_url: `\${${cluster}.oidc_issuer_url}`,
      resource_group_name: `\${${group}.name}`,
      subscription_id: '${data.azurerm_client_config.Deployer.subscription_id}',
    });
    expect(Object.values(tf.output ?? {}).filter((o) => o.sensitive)).toEqual([]);
  });

  it('chains the federated credentials of one identity and shares it between workloads', () => {
    const data = defaultConfigData();
    data.workloads = ['a', 'b', 'c'].map((n) => ({
      ...data.workloads[0],
      name: n,
      serviceAccount: `sa-${n}`,
      pod: `pod-${n}`,
    }));
    const tf = synth(parseConfig(data));
    expect(resourcesOf(tf, 'azurerm_user_assigned_identity')).toHaveLength(1);
    const credentials = resourcesOf(tf, 'azurerm_federated_identity_credential');
    expect(credentials.map((c) => c.values.depends_on)).toEqual([
      undefined,
      [credentials[0].address],
      [credentials[1].address],
    ]);
    // One grant: the same identity reads the same secret.
    expect(
      resourcesOf(tf, 'azurerm_role_assignment').filter(
        (r) => r.values.role_definition_name === 'Key Vault Secrets User',
      ),
    ).toHaveLength(1);
  });

  it('keeps the state file inside the project, with no machine path', () => {
    expect((synth().terraform as any).backend).toEqual({
      local: { path: '../../../terraform.workload-identity.tfstate' },
    });
  });

  it('adds a Windows node pool when asked, with no admin password in Terraform', () => {
    const data = defaultConfigData();
    Object.assign(data.cluster, { windowsNodePool: { nodeCount: 2 }, kubernetesVersion: '1.34' });
    const tf = synth(parseConfig(data));
    const cluster = one(tf, 'azurerm_kubernetes_cluster');
    expect(one(tf, 'azurerm_kubernetes_cluster_node_pool').values).toMatchObject({
      name: 'win',
      os_type: 'Windows',
      node_count: 2,
      vm_size: 'Standard_D4s_v5',
      kubernetes_cluster_id: `\${${cluster.address}.id}`,
    });
    expect(cluster.values.windows_profile).toBeUndefined();
  });

  it('registers an Entra application with a service principal for identity: application, granting the principal', () => {
    const data = defaultConfigData();
    data.workloads[0].identity = 'application';
    const tf = synth(parseConfig(data));
    const application = one(tf, 'azuread_application');
    const principal = one(tf, 'azuread_service_principal');
    expect(principal.values.client_id).toBe(`\${${application.address}.client_id}`);
    const grant = resourcesOf(tf, 'azurerm_role_assignment').find(
      (r) => r.values.role_definition_name === 'Key Vault Secrets User',
    )!;
    expect(grant.values.principal_id).toBe(`\${${principal.address}.object_id}`);
    expect(tf.output?.demo_client_id.value).toBe(`\${${application.address}.client_id}`);
    expect(one(tf, 'azuread_application_federated_identity_credential').values).toMatchObject({
      issuer: expect.stringMatching(/oidc_issuer_url\}$/),
      audiences: ['api://AzureADTokenExchange'],
    });
  });
});

/**
 * Rough Azure durations in seconds of creating each kind (data sources: a read). Upper estimates on the side of
 * the wait, the lower end of AKS's 5-10 minutes for the cluster: the claim must hold in the worst case.
 */
const ESTIMATED_SECONDS: Record<string, number> = {
  azurerm_resource_group: 10,
  azurerm_key_vault: 90,
  azurerm_role_assignment: 20,
  time_sleep: 120,
  azurerm_key_vault_secret: 10,
  azurerm_kubernetes_cluster: 300,
  azurerm_kubernetes_cluster_node_pool: 300,
  azurerm_user_assigned_identity: 15,
  azurerm_federated_identity_credential: 10,
};

/** The stack as a graph: each resource and data source with what it waits for (references and depends_on). */
function dependencyGraph(tf: TerraformJson): Map<string, Set<string>> {
  const nodes = [
    ...Object.keys(tf.resource ?? {}).flatMap((type) => resourcesOf(tf, type)),
    ...Object.keys(tf.data ?? {}).flatMap((type) => resourcesOf(tf, `data.${type}`)),
  ];
  const addresses = new Set(nodes.map((n) => n.address));
  const graph = new Map<string, Set<string>>();
  for (const node of nodes) {
    const text = JSON.stringify(node.values);
    const referenced = [...text.matchAll(/\b(?:data\.)?[a-z][\w]*\.[\w-]+/g)]
      .map((m) => m[0])
      .filter((a) => addresses.has(a) && a !== node.address);
    graph.set(
      node.address,
      new Set([...referenced, ...((node.values.depends_on as string[] | undefined) ?? [])]),
    );
  }
  return graph;
}

/** The longest estimated time from the start until each node is done. */
function finishTimes(
  graph: Map<string, Set<string>>,
  seconds: Record<string, number> = ESTIMATED_SECONDS,
): Map<string, number> {
  const done = new Map<string, number>();
  const finish = (address: string): number => {
    const known = done.get(address);
    if (known !== undefined) return known;
    const type = address.startsWith('data.') ? 'data' : address.split('.')[0];
    const own = type === 'data' ? 2 : (seconds[type] ?? 10);
    const start = Math.max(0, ...[...(graph.get(address) ?? [])].map(finish));
    done.set(address, start + own);
    return start + own;
  };
  for (const address of graph.keys()) finish(address);
  return done;
}

/** Whether `from` waits, directly or not, for `to`. */
function waitsFor(graph: Map<string, Set<string>>, from: string, to: string): boolean {
  const seen = new Set<string>();
  const visit = (a: string): boolean => {
    if (a === to) return true;
    if (seen.has(a)) return false;
    seen.add(a);
    return [...(graph.get(a) ?? [])].some(visit);
  };
  return visit(from);
}

describe('AzureStack: the RBAC wait does not lengthen the deploy', () => {
  it.each([
    ['the default config', () => defaultConfigData()],
    [
      'a Windows pool and two identities',
      () => {
        const data = defaultConfigData();
        Object.assign(data.cluster, { windowsNodePool: {}, kubernetesVersion: '1.34' });
        data.workloads.push({
          ...data.workloads[0],
          name: 'second',
          serviceAccount: 'second-sa',
          managedIdentity: 'second-mi',
          pod: 'second-pod',
          roleScope: 'vault',
        });
        return data;
      },
    ],
  ])(
    'runs beside the cluster and off the critical path, while the secrets also wait for the cluster: %s',
    (_case, data) => {
      const tf = synth(parseConfig(data()));
      const graph = dependencyGraph(tf);
      const wait = one(tf, 'time_sleep').address;
      const cluster = one(tf, 'azurerm_kubernetes_cluster').address;
      // GIVEN the secrets wait for the role's propagation and for the cluster (Key Vault's RBAC guide allows up to
      // 10 minutes of propagation; a new cluster takes 5-10): the write comes after both
      const secrets = resourcesOf(tf, 'azurerm_key_vault_secret').map((s) => s.address);
      for (const secret of secrets) {
        expect(waitsFor(graph, secret, wait)).toBe(true);
        expect(waitsFor(graph, secret, cluster)).toBe(true);
        expect(waitsFor(graph, cluster, secret)).toBe(false);
      }
      expect(waitsFor(graph, cluster, wait)).toBe(false);
      // WHEN the finish times are estimated with the wait, and with no wait at all
      const times = finishTimes(graph);
      const withoutWait = finishTimes(graph, { ...ESTIMATED_SECONDS, time_sleep: 0 });
      // THEN the wait ends while the cluster is still being created, and it costs the deploy nothing
      expect(times.get(wait)).toBeLessThan(times.get(cluster) as number);
      expect(Math.max(...times.values())).toBe(Math.max(...withoutWait.values()));
      for (const secret of secrets) expect(times.get(secret)).toBe(withoutWait.get(secret));
    },
  );
});

describe('AzureStack: resource groups', () => {
  const groups = (tf: TerraformJson) =>
    resourcesOf(tf, 'azurerm_resource_group').map((g) => g.values.name);

  it('creates no group an existing cluster lives in (the top-level one), and puts new resources in it', () => {
    const data = defaultConfigData();
    data.cluster.existing = true;
    const tf = synth(parseConfig(data));
    expect(groups(tf)).toEqual([]);
    expect(one(tf, 'azurerm_key_vault').values.resource_group_name).toBe('workload-id-rg');
    expect(one(tf, 'azurerm_user_assigned_identity').values.resource_group_name).toBe(
      'workload-id-rg',
    );
    expect(tf.output?.resource_group_name.value).toBe('workload-id-rg');
  });

  it('creates no group an existing vault lives in (the top-level one)', () => {
    const data = defaultConfigData();
    Object.assign(data.keyVault, { existing: true, name: 'team-kv' });
    const tf = synth(parseConfig(data));
    expect(groups(tf)).toEqual([]);
    expect(one(tf, 'azurerm_kubernetes_cluster').values.resource_group_name).toBe('workload-id-rg');
  });

  it("puts managed identities in the stack's group, not in an existing vault's group", () => {
    const data = defaultConfigData();
    Object.assign(data.cluster, { existing: true, resourceGroup: 'platform-rg' });
    Object.assign(data.keyVault, { existing: true, name: 'team-kv', resourceGroup: 'secrets-rg' });
    const tf = synth(parseConfig(data));
    expect(groups(tf)).toEqual(['workload-id-rg']);
    expect(one(tf, 'azurerm_user_assigned_identity').values.resource_group_name).toBe(
      '${azurerm_resource_group.ResourceGroup.name}',
    );
    expect(one(tf, 'data.azurerm_key_vault').values.resource_group_name).toBe('secrets-rg');
  });

  it('creates no group at all when only existing resources and applications are used', () => {
    const data = defaultConfigData();
    Object.assign(data.cluster, { existing: true, resourceGroup: 'platform-rg' });
    Object.assign(data.keyVault, { existing: true, name: 'team-kv', resourceGroup: 'secrets-rg' });
    data.workloads[0].identity = 'application';
    expect(groups(synth(parseConfig(data)))).toEqual([]);
  });

  it('creates a new cluster in cluster.resourceGroup and outputs that group', () => {
    const data = defaultConfigData();
    data.cluster.resourceGroup = 'aks-rg';
    const tf = synth(parseConfig(data));
    expect(groups(tf).sort()).toEqual(['aks-rg', 'workload-id-rg']);
    expect(one(tf, 'azurerm_kubernetes_cluster').values.resource_group_name).toBe(
      '${azurerm_resource_group.ClusterResourceGroup.name}',
    );
    expect(tf.output?.resource_group_name.value).toBe(
      '${azurerm_resource_group.ClusterResourceGroup.name}',
    );
  });

  it('puts the vault in keyVault.subscriptionId through an aliased provider, also without tenantId', () => {
    // GIVEN a vault in another subscription of the deployer's tenant, where preflight checks the rights
    const data = defaultConfigData();
    data.keyVault.subscriptionId = 'cccccccc-0000-4000-a000-000000000003';
    const tf = synth(parseConfig(data));
    // THEN the vault, its group and its grants are made there, the identities stay in the stack's own group
    const providers = (tf.provider as Record<string, Record<string, unknown>[]>).azurerm;
    expect(providers.find((p) => p.alias === 'resources')).toEqual({
      alias: 'resources',
      features: expect.anything(),
      subscription_id: 'cccccccc-0000-4000-a000-000000000003',
    });
    const vault = one(tf, 'azurerm_key_vault');
    expect(vault.values.provider).toBe('azurerm.resources');
    const group = resourcesOf(tf, 'azurerm_resource_group').find(
      (g) => g.values.provider === 'azurerm.resources',
    );
    expect(vault.values.resource_group_name).toBe(`\${${group?.address}.name}`);
    for (const grant of resourcesOf(tf, 'azurerm_role_assignment'))
      expect(grant.values.provider).toBe('azurerm.resources');
    expect(one(tf, 'azurerm_user_assigned_identity').values.provider).toBeUndefined();
    expect(one(tf, 'azurerm_kubernetes_cluster').values.provider).toBeUndefined();
  });

  it("puts a cross-tenant vault's identities in a group of the stack's name in the vault's tenant", () => {
    const data = defaultConfigData();
    Object.assign(data.keyVault, {
      existing: true,
      name: 'partner-kv',
      tenantId: 'bbbbbbbb-0000-4000-a000-000000000002',
      subscriptionId: 'bbbbbbbb-0000-4000-a000-00000000000f',
      resourceGroup: 'partner-rg',
    });
    const tf = synth(parseConfig(data));
    const identityGroup = resourcesOf(tf, 'azurerm_resource_group').find(
      (g) => g.values.provider === 'azurerm.resources',
    )!;
    expect(identityGroup.values.name).toBe('workload-id-rg');
    expect(one(tf, 'azurerm_user_assigned_identity').values).toMatchObject({
      resource_group_name: `\${${identityGroup.address}.name}`,
      provider: 'azurerm.resources',
    });
  });
});

describe('AzureStack: names and destroy', () => {
  it('names the vault from the subscription when the config names none, and outputs that name', () => {
    const tf = synth();
    const vault = one(tf, 'azurerm_key_vault');
    expect(vault.values.name).toMatch(
      /^wi-kv-\$\{substr\(sha1\(lower\(join\("\/", \[data\.azurerm_client_config\.Deployer\.subscription_id, azurerm_resource_group\.ResourceGroup\.name\]\)\)\), 0, 16\)\}$/,
    );
    expect(tf.output?.demo_vault_name.value).toBe(`\${${vault.address}.name}`);
    expect(tf.output?.demo_vault_url.value).toBe(`\${${vault.address}.vault_uri}`);
  });

  it('leaves a destroyed vault soft-deleted (no purge right needed) and recovers it on the next deploy', () => {
    const features = {
      purge_soft_delete_on_destroy: false,
      purge_soft_deleted_secrets_on_destroy: false,
      recover_soft_deleted_key_vaults: true,
      recover_soft_deleted_secrets: true,
    };
    expect((synth().provider as any).azurerm).toEqual([{ features: [{ key_vault: [features] }] }]);
  });

  it('fails when a workload name would start a Terraform output name with a digit', () => {
    const config = loadConfig();
    const bad: Config = { ...config, workloads: [{ ...config.workloads[0], name: '1demo' }] };
    expect(() => synth(bad)).toThrow(
      'workload name "1demo" gives the output name "1demo_client_id", which must be a Terraform name: letters, digits, "_" and "-", starting with a letter or "_"',
    );
  });

  it('hands out its identities read-only, by name', () => {
    const stack = new AzureStack(Testing.app(), 'workload-identity', { config: loadConfig() });
    expect(stack.identity('workload-id-mi').identityName).toBe('workload-id-mi');
    expect(() => stack.identity('nobody')).toThrow(
      'no workload of the config has managedIdentity "nobody"',
    );
  });

  it('gives one identity two credentials for one service account name in two namespaces', () => {
    const data = defaultConfigData();
    data.workloads.push({
      ...data.workloads[0],
      name: 'other',
      namespace: 'other-ns',
      pod: 'other-pod',
    });
    const tf = synth(parseConfig(data));
    expect(
      resourcesOf(tf, 'azurerm_federated_identity_credential').map((c) => c.values.subject),
    ).toEqual(
      expect.arrayContaining([
        'system:serviceaccount:workload-id-test:workload-id-sa',
        'system:serviceaccount:other-ns:workload-id-sa',
      ]),
    );
    expect(resourcesOf(tf, 'azurerm_federated_identity_credential')).toHaveLength(2);
  });
});
