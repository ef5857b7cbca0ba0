import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { App, Testing } from 'cdktf';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { synthBoth } from '../../../cli/synth-command';
import { loadConfig, parseConfig } from '../../../config/load-config';
import { PLACEHOLDER_BINDINGS, type WorkloadBindings } from '../../../config/outputs';
import type { Config } from '../../../config/schema';
import { AzureStack } from '../../../constructs/stacks/azure-stack';
import { KubernetesStack } from '../../../constructs/stacks/kubernetes-stack';
import { checkPair } from '../../../verify/check-pair';
import { resourcesOf, type TerraformJson } from '../../../verify/synthesized-pair';
import { defaultConfigData, ROOT, tempDir } from '../../support/helpers';

function stacks(config: Config = loadConfig()) {
  const app = Testing.app();
  const azureStack = new AzureStack(app, 'workload-identity', { config });
  const kubernetes = new KubernetesStack(app, 'workload-identity-k8s', { config, azureStack });
  return {
    azureStack,
    kubernetes,
    tf: JSON.parse(Testing.synth(kubernetes)) as TerraformJson,
    azure: JSON.parse(Testing.synth(azureStack)) as TerraformJson,
  };
}

/** The default config plus a second workload, a Deployment in its own namespace, with its own service account and identity. */
function twoWorkloadsData(): any {
  const data = defaultConfigData();
  data.workloads.push({
    ...data.workloads[0],
    name: 'second',
    namespace: 'second-ns',
    serviceAccount: 'second-sa',
    managedIdentity: 'second-mi',
    pod: 'second-pod',
    secret: 'password',
    kind: 'Deployment',
    replicas: 2,
  });
  return data;
}

/** What a manifest of dist/ becomes in the Kubernetes stack: each placeholder replaced by the reference to its output. */
function asReferenced(object: unknown, workloadOf: (value: string) => string): unknown {
  const suffix = {
    clientId: 'client_id',
    tenantId: 'tenant_id',
    vaultUrl: 'vault_url',
    vaultName: 'vault_name',
    oidcIssuerUrl: 'oidc_issuer_url',
  };
  const placeholder = new Map(
    Object.entries(PLACEHOLDER_BINDINGS).map(([key, value]) => [
      value,
      suffix[key as keyof WorkloadBindings],
    ]),
  );
  return JSON.parse(JSON.stringify(object), (_key, value) =>
    typeof value === 'string' && placeholder.has(value)
      ? `\${data.terraform_remote_state.AzureOutputs.outputs.${workloadOf(value)}_${placeholder.get(value)}}`
      : value,
  );
}

describe('KubernetesStack', () => {
  it('matches the snapshot of the default config', () => {
    expect(stacks().tf).toMatchSnapshot();
  });

  it("applies exactly the objects of dist/, bound to the Azure stack's outputs instead of placeholders", () => {
    // GIVEN both paths synthesized from one config with two workloads
    const dir = tempDir();
    const file = join(dir, 'two.yaml');
    writeFileSync(file, JSON.stringify(twoWorkloadsData()));
    const { pair } = synthBoth({
      config: file,
      outputs: join(dir, 'none.json'),
      cdktfOut: join(dir, 'cdktf.out'),
      dist: join(dir, 'dist'),
    });
    // WHEN the objects of each path are read
    const fromYaml = parseAllDocuments(readFileSync(pair.manifestFiles[0], 'utf8')).map((d) =>
      d.toJS(),
    );
    const fromTerraform = resourcesOf(pair.kubernetesTerraform!, 'kubernetes_manifest').map(
      (r) => r.values.manifest as any,
    );
    // THEN same kinds, names, namespaces, labels, annotations and specs; the bindings are references to each workload's outputs
    const workloadIn = (namespace: string | undefined) =>
      namespace === 'second-ns' ? 'second' : 'demo';
    const expected = fromYaml.map((o) => asReferenced(o, () => workloadIn(o.metadata.namespace)));
    const key = (o: any) => `${o.kind}/${o.metadata.namespace}/${o.metadata.name}`;
    expect(fromTerraform.map(key).sort()).toEqual(fromYaml.map(key).sort());
    for (const object of fromTerraform)
      expect(object).toEqual(expected.find((e: any) => key(e) === key(object)));
    expect(
      fromTerraform.find((o) => o.metadata.name === 'second-sa').metadata.annotations[
        'azure.workload.identity/client-id'
      ],
    ).toBe('${data.terraform_remote_state.AzureOutputs.outputs.second_client_id}');
    // AND the cross-check agrees
    expect(checkPair(pair)).toEqual([]);
  });

  it("signs in with the cluster's kube config, read by a data source and base64-decoded, and outputs nothing", () => {
    const { tf, azure } = stacks();
    const cluster = 'data.azurerm_kubernetes_cluster.Cluster.kube_config[0]';
    // Without a client certificate (Entra ID integration, local accounts disabled): kubelogin with az's login
    const certificateless = `(length(${cluster}.client_certificate) < 1)`;
    expect((tf.provider as any).kubernetes).toEqual([
      {
        host: `\${${cluster}.host}`,
        client_certificate: `\${${certificateless} ? null : base64decode(${cluster}.client_certificate)}`,
        client_key: `\${${certificateless} ? null : base64decode(${cluster}.client_key)}`,
        cluster_ca_certificate: `\${base64decode(${cluster}.cluster_ca_certificate)}`,
        dynamic: {
          exec: {
            for_each: `\${${certificateless} ? ["kubelogin"] : []}`,
            content: {
              api_version: 'client.authentication.k8s.io/v1beta1',
              command: 'kubelogin',
              args: [
                'get-token',
                '--login',
                'azurecli',
                '--server-id',
                '6dae42f8-4368-4678-94ff-3960e28e3630',
              ],
            },
          },
        },
      },
    ]);

    // The cluster the Azure stack built, where it lives: its outputs, not names re-derived from the config.
    expect(resourcesOf(tf, 'data.azurerm_kubernetes_cluster')[0].values).toMatchObject({
      name: '${data.terraform_remote_state.AzureOutputs.outputs.cluster_name}',
      resource_group_name:
        '${data.terraform_remote_state.AzureOutputs.outputs.resource_group_name}',
    });
    expect(tf.output).toBeUndefined();
    // The Azure stack gains no cross-stack output: the kube config never reaches an outputs file.
    expect(Object.keys(azure.output ?? {}).sort()).toEqual([
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

  it('stops at plan with the reason when the user credentials cannot be read (empty kube_config)', () => {
    const [cluster] = resourcesOf(stacks().tf, 'data.azurerm_kubernetes_cluster');
    const [check] = (cluster.values.lifecycle as any).postcondition;
    expect(check.condition).toBe('${try(self.kube_config[0].host, "") != ""}');
    expect(check.error_message).toContain(
      "the right to list the cluster's user credentials (Azure Kubernetes Service Cluster User Role)",
    );
    expect(check.error_message).toContain('deploy without --single');
  });

  it("looks for a new cluster in the group it is created in (cluster.resourceGroup), through the Azure stack's output", () => {
    // GIVEN a new cluster in a group of its own
    const data = defaultConfigData();
    data.cluster.resourceGroup = 'aks-rg';
    const { tf, azure } = stacks(parseConfig(data));
    // THEN the Azure stack creates the cluster in that group and outputs it
    const [cluster] = resourcesOf(azure, 'azurerm_kubernetes_cluster');
    expect(cluster.values.resource_group_name).toBe(
      '${azurerm_resource_group.ClusterResourceGroup.name}',
    );
    expect(azure.output?.resource_group_name.value).toBe(cluster.values.resource_group_name);
    expect((azure.resource as any).azurerm_resource_group.ClusterResourceGroup.name).toBe('aks-rg');
    // AND the Kubernetes stack reads the cluster from that output
    expect(resourcesOf(tf, 'data.azurerm_kubernetes_cluster')[0].values.resource_group_name).toBe(
      '${data.terraform_remote_state.AzureOutputs.outputs.resource_group_name}',
    );
  });

  it("reads the Azure stack's outputs from its state, and deploys after it", () => {
    const { tf, azure, kubernetes, azureStack } = stacks();
    expect(resourcesOf(tf, 'data.terraform_remote_state')[0].values).toMatchObject({
      backend: 'local',
      config: { path: (azure.terraform as any).backend.local.path },
    });
    expect((tf.terraform as any).backend).toEqual({
      local: { path: '../../../terraform.workload-identity-k8s.tfstate' },
    });
    expect(kubernetes.dependencies).toEqual([azureStack]);
  });

  it("creates namespaces, then service accounts, then workloads, and lets the webhook add to a pod's env", () => {
    const manifests = resourcesOf(
      stacks(parseConfig(twoWorkloadsData())).tf,
      'kubernetes_manifest',
    );
    const named = (name: string) =>
      manifests.find((m) => (m.values.manifest as any).metadata.name === name)!;
    expect(named('workload-id-test').values.depends_on).toBeUndefined();
    expect(named('workload-id-sa').values.depends_on).toEqual([
      'kubernetes_manifest.Namespace-workload-id-test',
    ]);
    expect(named('demo-pod').values.depends_on).toEqual([
      'kubernetes_manifest.Namespace-workload-id-test',
      'kubernetes_manifest.ServiceAccount-workload-id-test-workload-id-sa',
    ]);
    expect((named('second-pod').values.manifest as any).kind).toBe('Deployment');
    expect(named('second-pod').values.depends_on).toEqual([
      'kubernetes_manifest.Namespace-second-ns',
      'kubernetes_manifest.ServiceAccount-second-ns-second-sa',
    ]);
    // The webhook mutates pods as they are created: a bare Pod's env, mounts and volumes (msal-net has its own /tmp),
    // never a Deployment's template.
    expect(named('demo-pod').values.computed_fields).toEqual([
      'metadata.annotations',
      'metadata.labels',
      'spec.volumes',
      'spec.containers[0].env',
      'spec.containers[0].volumeMounts',
    ]);
    expect(named('second-pod').values.computed_fields).toBeUndefined();
    expect(named('second-sa').values.computed_fields).toBeUndefined();
  });

  it("covers the webhook's proxy sidecar: initContainers (Kubernetes >= 1.32) or the first container (before)", () => {
    const data = defaultConfigData();
    data.workloads[0].injectProxySidecar = true;
    const [pod] = resourcesOf(stacks(parseConfig(data)).tf, 'kubernetes_manifest').filter(
      (m) => (m.values.manifest as any).kind === 'Pod',
    );
    expect(pod.values.computed_fields).toEqual([
      'metadata.annotations',
      'metadata.labels',
      'spec.volumes',
      'spec.initContainers',
      'spec.containers',
    ]);
  });

  it('replaces a bare Pod whose manifest changes (its spec is immutable), and updates the other objects', () => {
    const tf = stacks(parseConfig(twoWorkloadsData())).tf;
    const manifests = resourcesOf(tf, 'kubernetes_manifest');
    const named = (name: string) =>
      manifests.find((m) => (m.values.manifest as any).metadata.name === name)!;
    expect(named('demo-pod').values.lifecycle).toEqual({
      replace_triggered_by: ['terraform_data.Pod-workload-id-test-demo-pod-manifest'],
    });
    const [trigger] = resourcesOf(tf, 'terraform_data');
    expect(trigger.values.triggers_replace).toEqual(named('demo-pod').values.manifest);
    expect(resourcesOf(tf, 'terraform_data')).toHaveLength(1);
    expect(named('second-pod').values.lifecycle).toBeUndefined();
    expect(named('workload-id-sa').values.lifecycle).toBeUndefined();
  });

  it('is written by synth beside the Azure stack, which cdktf deploys in dependency order', () => {
    const dir = tempDir();
    const app = new App({ outdir: dir });
    const config = loadConfig();
    const azureStack = new AzureStack(app, 'workload-identity', { config });
    new KubernetesStack(app, 'workload-identity-k8s', { config, azureStack });
    app.synth();
    const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8'));
    expect(manifest.stacks['workload-identity-k8s'].dependencies).toEqual(['workload-identity']);
  });

  it('imports provider bindings by deep path only', () => {
    const files: string[] = readdirSync(ROOT)
      .filter((f) => f.endsWith('.ts'))
      .map((f) => join(ROOT, f));
    const walk = (dir: string) => {
      for (const name of readdirSync(dir)) {
        const path = join(dir, name);
        if (statSync(path).isDirectory()) walk(path);
        else if (/\.(ts|mjs)$/.test(name)) files.push(path);
      }
    };
    for (const dir of ['config', 'constructs', 'manifests', 'verify', 'cli']) walk(join(ROOT, dir));
    const rootImports = files
      .filter((f) => /from\s+['"]@cdktf\/provider-[\w-]+['"]/.test(readFileSync(f, 'utf8')))
      .map((f) => relative(ROOT, f));
    expect(rootImports).toEqual([]);
  });
});
