import { describe, expect, it } from 'vitest';
import { EXAMPLE, examplePod, exampleServiceAccount } from '../../../local-cloud/example-model';
import type { Container, Deployment, Pod } from '../../../local-cloud/kubernetes/objects';
import { mutatePod } from '../../../local-cloud/kubernetes/webhook';

const options = { defaultTenantId: EXAMPLE.tenantId };
const envOf = (c: Container) => Object.fromEntries((c.env ?? []).map((e) => [e.name, e.value]));

describe('mutatePod', () => {
  it('injects the four variables, the token volume and its mount', () => {
    const { object, mutated } = mutatePod(examplePod(), exampleServiceAccount(), options);

    expect(mutated).toBe(true);
    const [container] = object.spec.containers;
    expect(envOf(container)).toEqual({
      AZURE_CLIENT_ID: EXAMPLE.clientId,
      AZURE_TENANT_ID: EXAMPLE.tenantId,
      AZURE_FEDERATED_TOKEN_FILE: '/var/run/secrets/azure/wi/token/azure-identity-token',
      AZURE_AUTHORITY_HOST: 'https://login.microsoftonline.com/',
    });
    const [volume] = object.spec.volumes ?? [];
    expect(volume.name).toMatch(/^azure-workload-identity-reserved-[0-9a-f]{30}$/);
    expect(volume.projected?.sources).toEqual([
      {
        serviceAccountToken: {
          path: 'token/azure-identity-token',
          expirationSeconds: 3600,
          audience: 'api://AzureADTokenExchange',
        },
      },
    ]);
    expect(container.volumeMounts).toEqual([
      { name: volume.name, mountPath: '/var/run/secrets/azure/wi', readOnly: true },
    ]);
  });

  it('does not change its input', () => {
    const pod = examplePod();
    const before = structuredClone(pod);

    mutatePod(pod, exampleServiceAccount(), options);

    expect(pod).toEqual(before);
  });

  it('leaves a pod without the label alone', () => {
    const pod: Pod = { ...examplePod(), metadata: { ...examplePod().metadata, labels: {} } };

    const { object, mutated, reason } = mutatePod(pod, exampleServiceAccount(), options);

    expect(mutated).toBe(false);
    expect(reason).toContain('azure.workload.identity/use');
    expect(object).toEqual(pod);
  });

  it('ignores the label when only the service account carries it', () => {
    // GIVEN the pre-v1.0 setup: the label on the service account, none on the pod
    const pod: Pod = { ...examplePod(), metadata: { ...examplePod().metadata, labels: {} } };
    const serviceAccount = exampleServiceAccount();
    const labelled = {
      ...serviceAccount,
      metadata: { ...serviceAccount.metadata, labels: { 'azure.workload.identity/use': 'true' } },
    };

    // THEN nothing is injected
    expect(mutatePod(pod, labelled, options).mutated).toBe(false);
  });

  it('requires the label value to be exactly "true"', () => {
    const pod: Pod = {
      ...examplePod(),
      metadata: { ...examplePod().metadata, labels: { 'azure.workload.identity/use': 'True' } },
    };

    expect(mutatePod(pod, exampleServiceAccount(), options).mutated).toBe(false);
  });

  it('keeps variables a container already sets', () => {
    const pod = examplePod();
    const custom: Pod = {
      ...pod,
      spec: {
        ...pod.spec,
        containers: [
          {
            name: 'app',
            env: [
              { name: 'AZURE_CLIENT_ID', value: 'set-by-hand' },
              { name: 'LOG', value: 'debug' },
            ],
          },
        ],
      },
    };

    const env =
      mutatePod(custom, exampleServiceAccount(), options).object.spec.containers[0].env ?? [];

    expect(env.filter((e) => e.name === 'AZURE_CLIENT_ID')).toEqual([
      { name: 'AZURE_CLIENT_ID', value: 'set-by-hand' },
    ]);
    expect(env.map((e) => e.name)).toEqual([
      'AZURE_CLIENT_ID',
      'LOG',
      'AZURE_TENANT_ID',
      'AZURE_FEDERATED_TOKEN_FILE',
      'AZURE_AUTHORITY_HOST',
    ]);
  });

  it('skips the containers named in skip-containers, init containers included', () => {
    // GIVEN two containers and two init containers, one of each skipped
    const pod = examplePod();
    const multi: Pod = {
      ...pod,
      metadata: {
        ...pod.metadata,
        annotations: { 'azure.workload.identity/skip-containers': 'sidecar; migrate' },
      },
      spec: {
        ...pod.spec,
        initContainers: [{ name: 'migrate' }, { name: 'wait' }],
        containers: [{ name: 'app' }, { name: 'sidecar' }],
      },
    };

    // WHEN admitted
    const { spec } = mutatePod(multi, exampleServiceAccount(), options).object;

    // THEN only the others get the variables and the mount
    const injected = (c: Container) =>
      'AZURE_CLIENT_ID' in envOf(c) && (c.volumeMounts ?? []).length === 1;
    expect(spec.containers.map(injected)).toEqual([true, false]);
    expect((spec.initContainers ?? []).map(injected)).toEqual([false, true]);
  });

  it('takes the tenant from the service account annotation over the default', () => {
    const serviceAccount = exampleServiceAccount();
    const annotated = {
      ...serviceAccount,
      metadata: {
        ...serviceAccount.metadata,
        annotations: {
          ...serviceAccount.metadata.annotations,
          'azure.workload.identity/tenant-id': 'other-tenant',
        },
      },
    };

    const env = envOf(mutatePod(examplePod(), annotated, options).object.spec.containers[0]);

    expect(env.AZURE_TENANT_ID).toBe('other-tenant');
  });

  it('injects no AZURE_CLIENT_ID when the service account has no client-id annotation', () => {
    const bare = {
      ...exampleServiceAccount(),
      metadata: { name: EXAMPLE.serviceAccountName, namespace: EXAMPLE.namespace },
    };

    const env = envOf(mutatePod(examplePod(), bare, options).object.spec.containers[0]);

    expect(env).not.toHaveProperty('AZURE_CLIENT_ID');
    expect(env).toHaveProperty('AZURE_FEDERATED_TOKEN_FILE');
  });

  it('takes the token expiration from the pod annotation over the service account one', () => {
    const pod = examplePod();
    const withPodAnnotation: Pod = {
      ...pod,
      metadata: {
        ...pod.metadata,
        annotations: { 'azure.workload.identity/service-account-token-expiration': '7200' },
      },
    };
    const serviceAccount = exampleServiceAccount();
    const withSaAnnotation = {
      ...serviceAccount,
      metadata: {
        ...serviceAccount.metadata,
        annotations: {
          ...serviceAccount.metadata.annotations,
          'azure.workload.identity/service-account-token-expiration': '86400',
        },
      },
    };

    const expiration = (p: Pod) =>
      mutatePod(p, withSaAnnotation, options).object.spec.volumes?.[0].projected?.sources?.[0]
        .serviceAccountToken?.expirationSeconds;

    expect(expiration(withPodAnnotation)).toBe(7200);
    expect(expiration(pod)).toBe(86400);
  });

  it('fails when the token expiration is out of range', () => {
    const pod = examplePod();
    const short: Pod = {
      ...pod,
      metadata: {
        ...pod.metadata,
        annotations: { 'azure.workload.identity/service-account-token-expiration': '600' },
      },
    };

    expect(() => mutatePod(short, exampleServiceAccount(), options)).toThrow(
      'admission webhook "mutation.azure-workload-identity.io" denied the request: token expiration 600 not valid. Expected value to be between 3600 and 86400',
    );
  });

  it('fails when the token expiration is not a number', () => {
    const pod = examplePod();
    const bad: Pod = {
      ...pod,
      metadata: {
        ...pod.metadata,
        annotations: { 'azure.workload.identity/service-account-token-expiration': '1h' },
      },
    };

    expect(() => mutatePod(bad, exampleServiceAccount(), options)).toThrow(
      'strconv.ParseInt: parsing "1h": invalid syntax',
    );
  });

  it("fails when the service account is not the pod's", () => {
    expect(() => mutatePod(examplePod('other-sa'), exampleServiceAccount(), options)).toThrow(
      'serviceaccounts "other-sa" not found',
    );
  });

  it("mutates a Deployment's pod template", () => {
    const pod = examplePod();
    const deployment: Deployment = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'workload-id-app', namespace: EXAMPLE.namespace },
      spec: { template: { metadata: { labels: pod.metadata.labels }, spec: pod.spec } },
    };

    const { object, mutated } = mutatePod(deployment, exampleServiceAccount(), options);

    expect(mutated).toBe(true);
    expect(envOf(object.spec.template.spec.containers[0]).AZURE_CLIENT_ID).toBe(EXAMPLE.clientId);
    expect(object.spec.template.spec.volumes).toHaveLength(1);
  });
});
