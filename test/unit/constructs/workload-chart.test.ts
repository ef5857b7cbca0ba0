import { Testing } from 'cdk8s';
import { describe, expect, it } from 'vitest';
import { loadConfig, parseConfig } from '../../../config/load-config';
import { PLACEHOLDER_BINDINGS, type WorkloadBindings } from '../../../config/outputs';
import type { Config } from '../../../config/schema';
import { WorkloadChart } from '../../../constructs/kubernetes/workload-chart';
import { defaultConfigData } from '../../support/helpers';

const deployed: WorkloadBindings = {
  clientId: '11111111-2222-3333-4444-555555555555',
  tenantId: '66666666-7777-8888-9999-000000000000',
  vaultUrl: 'https://wi-kv-0123456789abcdef.vault.azure.net/',
  vaultName: 'wi-kv-0123456789abcdef',
  oidcIssuerUrl:
    'https://westeurope.oic.prod-aks.azure.com/66666666-7777-8888-9999-000000000000/abc/',
};

function synth(bindings: WorkloadBindings = deployed, config: Config = loadConfig()): any[] {
  return Testing.synth(
    new WorkloadChart(Testing.app(), 'workload-identity', {
      config,
      bindings: new Map([['demo', bindings]]),
    }),
  );
}

describe('WorkloadChart', () => {
  it('matches the snapshot with placeholder bindings', () => {
    expect(synth(PLACEHOLDER_BINDINGS)).toMatchSnapshot();
  });

  it('mounts no Kubernetes API token: automountServiceAccountToken is false on the service account and the pod', () => {
    // The webhook projects the one token the workload needs (audience api://AzureADTokenExchange); the API token
    // would only give a compromised pod access to the cluster.
    const objects = synth();
    const account = objects.find((o) => o.kind === 'ServiceAccount');
    const pod = objects.find((o) => o.kind === 'Pod');
    expect(account.automountServiceAccountToken).toBe(false);
    expect(pod.spec.automountServiceAccountToken).toBe(false);
    expect(pod.spec.serviceAccountName).toBe(account.metadata.name);
  });

  it('annotates the service account with the deployed client and tenant ids', () => {
    const account = synth().find((o) => o.kind === 'ServiceAccount');
    expect(account.metadata).toEqual({
      name: 'workload-id-sa',
      namespace: 'workload-id-test',
      labels: { 'app.kubernetes.io/managed-by': 'workload-id' },
      annotations: {
        'azure.workload.identity/client-id': deployed.clientId,
        'azure.workload.identity/tenant-id': deployed.tenantId,
      },
    });
  });

  it('labels the pod itself, runs it as the service account, and gives it the vault and secret', () => {
    const pod = synth().find((o) => o.kind === 'Pod');
    expect(pod.metadata.labels['azure.workload.identity/use']).toBe('true');
    expect(pod.metadata.namespace).toBe('workload-id-test');
    expect(pod.spec.serviceAccountName).toBe('workload-id-sa');
    expect(pod.spec.containers[0].env).toEqual([
      { name: 'KEYVAULT_URL', value: deployed.vaultUrl },
      // The deployed name, from the outputs: the config names none (a generated name is known only after deploy).
      { name: 'KEYVAULT_NAME', value: deployed.vaultName },
      { name: 'SECRET_NAME', value: 'username' },
      { name: 'SHOW_SECRET', value: 'true' },
    ]);
  });

  it('runs the pinned msal-net sample by default, with a writable /tmp on the read-only root filesystem', () => {
    const pod = synth().find((o) => o.kind === 'Pod');
    const container = pod.spec.containers[0];
    expect(container.image).toBe('ghcr.io/azure/azure-workload-identity/msal-net:latest');
    expect(container.securityContext.readOnlyRootFilesystem).toBe(true);
    expect(container.volumeMounts).toEqual([{ mountPath: '/tmp', name: 'writable-0' }]);
    expect(pod.spec.volumes).toEqual([{ name: 'writable-0', emptyDir: {} }]);
  });

  it('gives the project program, and each sample, the memory it needs', () => {
    const memoryOf = (edit: (w: any) => void) => {
      const data = defaultConfigData();
      edit(data.workloads[0]);
      const pod = synth(deployed, parseConfig(data)).find((o) => o.kind === 'Pod');
      return pod.spec.containers[0].resources.limits.memory;
    };
    expect(memoryOf(() => {})).toBe('256Mi');
    expect(memoryOf((w) => (w.sample = 'msal-go'))).toBe('64Mi');
    expect(memoryOf((w) => (w.sample = 'msal-java'))).toBe('512Mi');
    expect(
      memoryOf((w) => {
        delete w.sample;
        w.image = 'registry.example/app:1';
      }),
    ).toBe('128Mi');
  });

  it('tells a sample SHOW_SECRET=true when showSecret is left out, as it prints the value anyway; the program masks', () => {
    const showSecretOf = (edit: (w: any) => void) => {
      const data = defaultConfigData();
      delete data.workloads[0].showSecret;
      edit(data.workloads[0]);
      const pod = synth(deployed, parseConfig(data)).find((o) => o.kind === 'Pod');
      return pod.spec.containers[0].env.find((e: any) => e.name === 'SHOW_SECRET').value;
    };
    expect(showSecretOf(() => {})).toBe('true');
    expect(
      showSecretOf((w) => {
        delete w.sample;
        w.image = 'registry.example/app:1';
      }),
    ).toBe('false');
  });

  it('runs the pod non-root, read-only, with small explicit resources', () => {
    const pod = synth().find((o) => o.kind === 'Pod');
    const container = pod.spec.containers[0];
    expect(container.securityContext).toMatchObject({
      runAsNonRoot: true,
      runAsUser: 10001,
      readOnlyRootFilesystem: true,
      allowPrivilegeEscalation: false,
      privileged: false,
    });
    expect(container.resources).toEqual({
      requests: { cpu: '50m', memory: '128Mi' },
      limits: { cpu: '200m', memory: '256Mi' },
    });
  });

  it('marks every object it makes as managed by workload-id, so destroy deletes only those', () => {
    const objects = synth();
    expect(objects.map((o) => o.kind).sort()).toEqual(['Namespace', 'Pod', 'ServiceAccount']);
    for (const o of objects)
      expect(o.metadata.labels['app.kubernetes.io/managed-by']).toBe('workload-id');
  });

  it('does not create a namespace every cluster already has (default)', () => {
    const data = defaultConfigData();
    data.workloads[0].namespace = 'default';
    const objects = synth(deployed, parseConfig(data));
    expect(objects.map((o) => o.kind).sort()).toEqual(['Pod', 'ServiceAccount']);
    expect(objects.every((o) => o.metadata.namespace === 'default')).toBe(true);
  });

  it('runs the image deploy built, pinned by digest, for build: app; a visible placeholder before', () => {
    const data = defaultConfigData();
    data.registry = {};
    delete data.workloads[0].sample;
    data.workloads[0].build = 'app';
    const config = parseConfig(data);
    const imageOf = (builtImages?: ReadonlyMap<string, string>) =>
      Testing.synth(
        new WorkloadChart(Testing.app(), 'workload-identity', {
          config,
          bindings: new Map([['demo', deployed]]),
          builtImages,
        }),
      ).find((o) => o.kind === 'Pod').spec.containers[0].image;
    expect(imageOf()).toBe('placeholder.invalid/workload-id-app:not-built-yet');
    const pinned = `wiacrdemo0001.azurecr.io/workload-id-app@sha256:${'ab'.repeat(32)}`;
    expect(imageOf(new Map([['app', pinned]]))).toBe(pinned);
  });

  it('fails when a workload has no bindings', () => {
    expect(
      () => new WorkloadChart(Testing.app(), 'c', { config: loadConfig(), bindings: new Map() }),
    ).toThrow('no bindings for workload "demo": the outputs do not match the config');
  });

  it('runs a Deployment with the label on its pod template, not only on the Deployment', () => {
    const data = defaultConfigData();
    Object.assign(data.workloads[0], { kind: 'Deployment', replicas: 3 });
    const deployment = synth(deployed, parseConfig(data)).find((o) => o.kind === 'Deployment');
    expect(deployment.metadata).toMatchObject({ name: 'demo-pod', namespace: 'workload-id-test' });
    expect(deployment.spec.replicas).toBe(3);
    expect(deployment.spec.template.metadata.labels['azure.workload.identity/use']).toBe('true');
    expect(deployment.spec.template.spec.serviceAccountName).toBe('workload-id-sa');
    expect(deployment.spec.selector.matchLabels).toEqual({
      'cdk8s.io/metadata.addr': expect.any(String),
    });
  });

  it('sets the token expiration and skip-containers annotations on the pod', () => {
    const data = defaultConfigData();
    Object.assign(data.workloads[0], {
      tokenExpirationSeconds: 7200,
      skipContainers: ['log-shipper', 'proxy'],
    });
    const pod = synth(deployed, parseConfig(data)).find((o) => o.kind === 'Pod');
    expect(pod.metadata.annotations).toEqual({
      'azure.workload.identity/service-account-token-expiration': '7200',
      'azure.workload.identity/skip-containers': 'log-shipper;proxy',
    });
  });

  it('pins the pod to its node OS', () => {
    const pod = synth().find((o) => o.kind === 'Pod');
    expect(pod.spec.nodeSelector).toEqual({ 'kubernetes.io/os': 'linux' });
    expect(pod.spec.os).toEqual({ name: 'linux' });
  });

  it('schedules a Windows workload on Windows nodes with no Linux-only security fields', () => {
    const data = defaultConfigData();
    Object.assign(data.cluster, { windowsNodePool: {}, kubernetesVersion: '1.34' });
    Object.assign(data.workloads[0], { os: 'windows', kind: 'Deployment' });
    const spec = synth(deployed, parseConfig(data)).find((o) => o.kind === 'Deployment').spec
      .template.spec;
    expect(spec.nodeSelector).toEqual({ 'kubernetes.io/os': 'windows' });
    expect(spec.os).toEqual({ name: 'windows' });
    expect(spec.securityContext).toEqual({
      runAsNonRoot: true,
      windowsOptions: { runAsUserName: 'ContainerUser' },
    });
    expect(spec.containers[0].securityContext).toEqual({ runAsNonRoot: true });
  });

  it('runs an upstream sample with the variables it reads, restarting a run-once sample only on failure', () => {
    const data = defaultConfigData();
    data.workloads[0].sample = 'msal-java';
    const pod = synth(deployed, parseConfig(data)).find((o) => o.kind === 'Pod');
    expect(pod.spec.containers[0].image).toBe(
      'ghcr.io/azure/azure-workload-identity/msal-java:latest',
    );
    expect(pod.spec.restartPolicy).toBe('OnFailure');
    expect(pod.spec.containers[0].env).toEqual([
      { name: 'KEYVAULT_URL', value: deployed.vaultUrl },
      { name: 'KEYVAULT_NAME', value: deployed.vaultName },
      { name: 'SECRET_NAME', value: 'username' },
      { name: 'SHOW_SECRET', value: 'true' },
    ]);
  });
});
