// `kubernetes_manifest` through the real Terraform against the local cluster: what the state holds after apply, the
// provider's failure when the webhook changes a field `computed_fields` does not cover, and replacement on a new
// identity (kind, name, namespace).
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CloudStore,
  HOME_SUBSCRIPTION_ID,
  HOME_TENANT_ID,
  STORE_ENV,
} from '../../../local-cloud/core/cloud-store';
import { createObject } from '../../../local-cloud/kubernetes/cluster-objects';
import {
  addCluster,
  clusterSecrets,
} from '../../../local-cloud/terraform/handlers/azurerm-kubernetes-cluster';
import { runTerraform, TerraformError } from '../../../local-cloud/terraform/run';

const root = mkdtempSync(join(tmpdir(), 'wi-tf-manifest-'));
const store = new CloudStore(join(root, 'cloud-store.json')).init();
const env = { [STORE_ENV]: store.file };
let provider: Record<string, string>;
// Several init, apply and plan runs each: a bound for a hung Terraform, far above what a busy machine needs.
const TERRAFORM_TIMEOUT_MS = 600_000;

beforeAll(() => {
  store.update((data) => {
    const cluster = addCluster(data, {
      subscriptionId: HOME_SUBSCRIPTION_ID,
      resourceGroupName: 'rg',
      name: 'aks',
      location: 'westeurope',
      tenantId: HOME_TENANT_ID,
      dnsPrefix: 'aks',
      oidcIssuerEnabled: true,
      workloadIdentityEnabled: true,
      secrets: clusterSecrets(),
    });
    provider = {
      host: `https://${cluster.fqdn}:443`,
      client_certificate: cluster.credentials.clientCertificate,
      client_key: cluster.credentials.clientKey,
      cluster_ca_certificate: cluster.credentials.clusterCaCertificate,
    };
    for (const ns of ['ns', 'other']) {
      createObject(data, cluster, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
      createObject(data, cluster, {
        apiVersion: 'v1',
        kind: 'ServiceAccount',
        metadata: {
          name: 'sa',
          namespace: ns,
          annotations: { 'azure.workload.identity/client-id': 'c1' },
        },
      });
    }
  });
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

const pod = (name: string, extra: { volumes?: boolean; image?: string } = {}) => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, namespace: 'ns', labels: { 'azure.workload.identity/use': 'true' } },
  spec: {
    serviceAccountName: 'sa',
    containers: [
      {
        name: 'app',
        image: extra.image ?? 'app:1',
        env: [{ name: 'A', value: '1' }],
        ...(extra.volumes ? { volumeMounts: [{ name: 'tmp', mountPath: '/tmp' }] } : {}),
      },
    ],
    ...(extra.volumes ? { volumes: [{ name: 'tmp', emptyDir: {} }] } : {}),
  },
});

/** A stack directory whose main.tf.json holds `resources` (a map of `kubernetes_manifest`s, or whole resource types). */
function stack(name: string) {
  const dir = join(root, name);
  mkdirSync(dir, { recursive: true });
  const workDir = join(dir, '.local-cloud');
  const write = (resource: object) =>
    writeFileSync(
      join(dir, 'main.tf.json'),
      JSON.stringify({
        terraform: {
          required_providers: { kubernetes: { source: 'hashicorp/kubernetes', version: '2.38.0' } },
        },
        provider: { kubernetes: provider },
        resource,
      }),
    );
  const tf = (...args: string[]) => runTerraform(dir, args, { workDir, env });
  return { write, tf };
}

describe.concurrent('kubernetes_manifest through the real Terraform', () => {
  it(
    "keeps the object as the API server returned it, within the manifest's own fields: the webhook's variables under a computed env",
    async () => {
      const { write, tf } = stack('state');
      write({
        kubernetes_manifest: {
          pod: {
            manifest: pod('state'),
            computed_fields: ['metadata.annotations', 'metadata.labels', 'spec.containers[0].env'],
          },
        },
      });
      await tf('init', '-input=false');
      await tf('apply', '-auto-approve', '-input=false');
      const show = JSON.parse((await tf('show', '-json')).stdout);
      const object = show.values.root_module.resources[0].values.object;
      expect(object.spec.containers[0].env.map((e: { name: string }) => e.name)).toEqual([
        'A',
        'AZURE_CLIENT_ID',
        'AZURE_TENANT_ID',
        'AZURE_FEDERATED_TOKEN_FILE',
        'AZURE_AUTHORITY_HOST',
      ]);
      // Only the manifest's fields: not the webhook's volume, nor what the server sets (uid, resourceVersion).
      expect(Object.keys(object.spec).sort()).toEqual(['containers', 'serviceAccountName']);
      expect(Object.keys(object.metadata).sort()).toEqual(['labels', 'name', 'namespace']);

      const plan = await tf('plan', '-input=false', '-detailed-exitcode');
      expect(plan.stdout).toContain('No changes.');
    },
    TERRAFORM_TIMEOUT_MS,
  );

  it(
    'fails when the webhook changes a field computed_fields does not cover: Provider produced inconsistent result after apply',
    async () => {
      const { write, tf } = stack('inconsistent');
      write({
        kubernetes_manifest: {
          pod: {
            // msal-net's shape: its own volume and mount, to which the webhook appends the token's.
            manifest: pod('inconsistent', { volumes: true }),
            computed_fields: ['metadata.annotations', 'metadata.labels', 'spec.containers[0].env'],
          },
        },
      });
      await tf('init', '-input=false');
      const failure = await tf('apply', '-auto-approve', '-input=false').catch((e) => e);
      expect(failure).toBeInstanceOf(TerraformError);
      expect((failure as TerraformError).message).toContain(
        'Provider produced inconsistent result after apply',
      );
      // Terraform's own check of the new state against the plan: the webhook's mount gave containers[0] another shape.
      expect((failure as TerraformError).result.stderr).toContain(
        '.object: wrong final value type: attribute "spec"',
      );
    },
    TERRAFORM_TIMEOUT_MS,
  );

  it(
    'applies the same pod when computed_fields covers what the webhook adds: volumes and volume mounts',
    async () => {
      const { write, tf } = stack('covered');
      write({
        kubernetes_manifest: {
          pod: {
            manifest: pod('covered', { volumes: true }),
            computed_fields: [
              'metadata.annotations',
              'metadata.labels',
              'spec.volumes',
              'spec.containers[0].env',
              'spec.containers[0].volumeMounts',
            ],
          },
        },
      });
      await tf('init', '-input=false');
      await tf('apply', '-auto-approve', '-input=false');
      const plan = await tf('plan', '-input=false', '-detailed-exitcode');
      expect(plan.stdout).toContain('No changes.');
    },
    TERRAFORM_TIMEOUT_MS,
  );

  it(
    'replaces a kubernetes_manifest whose kind, name or namespace changes, and does not update it',
    async () => {
      const { write, tf } = stack('identity');
      const account = (kind: string, name: string, namespace: string) => ({
        kubernetes_manifest: {
          sa: { manifest: { apiVersion: 'v1', kind, metadata: { name, namespace } } },
        },
      });
      write(account('ServiceAccount', 'a', 'ns'));
      await tf('init', '-input=false');
      await tf('apply', '-auto-approve', '-input=false');
      for (const [kind, name, namespace, field] of [
        ['ServiceAccount', 'b', 'ns', 'name'],
        ['ServiceAccount', 'a', 'other', 'namespace'],
        ['ConfigMap', 'a', 'ns', 'kind'],
      ]) {
        write(account(kind, name, namespace));
        const plan = await tf('plan', '-input=false');
        expect(plan.stdout, field).toContain('must be replaced');
        expect(plan.summary, field).toContain('Plan: 1 to add, 0 to change, 1 to destroy.');
      }
    },
    TERRAFORM_TIMEOUT_MS,
  );

  it(
    "fails when a pod's manifest changes in place: server-side apply takes the webhook's fields out, which a Pod refuses",
    async () => {
      const { write, tf } = stack('in-place');
      const manifest = (image: string) => ({
        kubernetes_manifest: {
          pod: {
            manifest: pod('in-place', { image }),
            computed_fields: ['metadata.annotations', 'metadata.labels', 'spec.containers[0].env'],
          },
        },
      });
      write(manifest('app:1'));
      await tf('init', '-input=false');
      await tf('apply', '-auto-approve', '-input=false');
      write(manifest('app:2'));
      const failure = await tf('apply', '-auto-approve', '-input=false').catch((e) => e);
      expect(failure).toBeInstanceOf(TerraformError);
      expect((failure as TerraformError).message).toContain(
        'Pod "in-place" is invalid: spec: Forbidden: pod updates may not change fields other than',
      );
    },
    TERRAFORM_TIMEOUT_MS,
  );

  it(
    'replaces a changed pod when its manifest triggers the replacement (terraform_data + replace_triggered_by)',
    async () => {
      const { write, tf } = stack('replaced');
      const manifest = (image: string) => ({
        terraform_data: { pod: { triggers_replace: pod('replaced', { image }) } },
        kubernetes_manifest: {
          pod: {
            manifest: pod('replaced', { image }),
            computed_fields: ['metadata.annotations', 'metadata.labels', 'spec.containers[0].env'],
            lifecycle: { replace_triggered_by: ['terraform_data.pod'] },
          },
        },
      });
      write(manifest('app:1'));
      await tf('init', '-input=false');
      await tf('apply', '-auto-approve', '-input=false');
      write(manifest('app:2'));
      const apply = await tf('apply', '-auto-approve', '-input=false');
      expect(apply.summary).toContain(
        'Apply complete! Resources: 2 added, 0 changed, 2 destroyed.',
      );
      const live = store
        .read()
        .kubernetesObjects.find(
          (o) => o.object.kind === 'Pod' && o.object.metadata.name === 'replaced',
        );
      const spec = live?.object.spec as { containers: { image: string }[] } | undefined;
      expect(spec?.containers[0].image).toBe('app:2');
    },
    TERRAFORM_TIMEOUT_MS,
  );
});
