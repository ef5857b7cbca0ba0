import { describe, expect, it } from 'vitest';
import { podChanges } from '../../../cli/pod-changes';
import type { KubeObject } from '../../../config/kubernetes-object';

const desired: KubeObject = {
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'demo-pod', namespace: 'ns' },
  spec: {
    serviceAccountName: 'sa',
    containers: [
      { name: 'app', image: 'app:2', env: [{ name: 'SECRET_NAME', value: 'username' }] },
    ],
  },
};
const account: KubeObject = {
  apiVersion: 'v1',
  kind: 'ServiceAccount',
  metadata: {
    name: 'sa',
    namespace: 'ns',
    annotations: { 'azure.workload.identity/client-id': 'client-2' },
  },
};

/** A running pod made without kubectl apply (no last-applied annotation), with what the webhook injected. */
function live(image: string, env: { name: string; value: string }[], clientId = 'client-2') {
  return {
    ...desired,
    spec: {
      serviceAccountName: 'sa',
      containers: [
        {
          name: 'app',
          image,
          env: [
            ...env,
            { name: 'AZURE_CLIENT_ID', value: clientId },
            { name: 'AZURE_FEDERATED_TOKEN_FILE', value: '/var/run/secrets/azure/wi/token/f' },
          ],
        },
      ],
    },
  } as KubeObject;
}

describe('podChanges', () => {
  it('finds nothing when only the webhook and the API server added to the pod', () => {
    expect(
      podChanges(desired, live('app:2', [{ name: 'SECRET_NAME', value: 'username' }]), account),
    ).toEqual([]);
  });

  it('names a changed image, a changed or removed variable, and a stale injected identity', () => {
    expect(
      podChanges(
        desired,
        live(
          'app:1',
          [
            { name: 'SECRET_NAME', value: 'password' },
            { name: 'OLD', value: 'x' },
          ],
          'client-1',
        ),
        account,
      ),
    ).toEqual([
      'container app: image "app:1" -> "app:2"',
      'container app: env SECRET_NAME "password" -> "username"',
      'container app: env OLD "x" -> (none)',
      'container app: AZURE_CLIENT_ID "client-1" was injected at creation; the service account now says "client-2"',
    ]);
  });

  it('compares with what kubectl applied last when it is there, annotations included', () => {
    const before = { ...desired, metadata: { ...desired.metadata, annotations: { a: '1' } } };
    const running = {
      ...live('app:2', [{ name: 'SECRET_NAME', value: 'username' }]),
      metadata: {
        name: 'demo-pod',
        annotations: { 'kubectl.kubernetes.io/last-applied-configuration': JSON.stringify(before) },
      },
    } as KubeObject;
    expect(podChanges(desired, running, account)).toEqual([
      'metadata.annotations.a: "1" -> (none)',
    ]);
  });
});
