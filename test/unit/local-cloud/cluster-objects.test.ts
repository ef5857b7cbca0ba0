// The local cluster's `kubectl apply`: the last-applied configuration, the three-way strategic merge, and the API
// server's rule that a Pod's spec does not change.
import { describe, expect, it } from 'vitest';
import {
  type CloudStoreData,
  emptyStoreData,
  HOME_TENANT_ID,
  type StoredCluster,
} from '../../../local-cloud/core/cloud-store';
import {
  applyObject,
  LAST_APPLIED_ANNOTATION,
  updateObject,
} from '../../../local-cloud/kubernetes/cluster-objects';
import { patchNeeded, threeWayMerge } from '../../../local-cloud/kubernetes/strategic-merge-patch';

const cluster = {
  id: '/subscriptions/s/resourceGroups/g/providers/Microsoft.ContainerService/managedClusters/c',
  tenantId: HOME_TENANT_ID,
} as StoredCluster;

function world(): CloudStoreData {
  const data = emptyStoreData();
  applyObject(data, cluster, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'ns' } });
  applyObject(data, cluster, {
    apiVersion: 'v1',
    kind: 'ServiceAccount',
    metadata: {
      name: 'sa',
      namespace: 'ns',
      annotations: { 'azure.workload.identity/client-id': 'c1' },
    },
  });
  return data;
}

const pod = (env: { name: string; value: string }[], labels: Record<string, string> = {}) => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: {
    name: 'p',
    namespace: 'ns',
    labels: { 'azure.workload.identity/use': 'true', ...labels },
  },
  spec: {
    serviceAccountName: 'sa',
    containers: [
      { name: 'app', image: 'app:1', env, volumeMounts: [{ name: 'tmp', mountPath: '/tmp' }] },
    ],
    volumes: [{ name: 'tmp', emptyDir: {} }],
  },
});

describe('kubectl apply on the local cluster', () => {
  it("applies the same manifests again without a change, the webhook's fields kept", () => {
    // GIVEN a pod the webhook mutated on CREATE (env, a projected token volume and its mount)
    const data = world();
    const first = applyObject(data, cluster, pod([{ name: 'A', value: '1' }]));
    expect(first.outcome).toBe('created');
    const live = first.object as any;
    expect(live.spec.containers[0].env.map((e: any) => e.name)).toContain('AZURE_CLIENT_ID');
    expect(live.spec.volumes).toHaveLength(2);
    expect(JSON.parse(live.metadata.annotations[LAST_APPLIED_ANNOTATION])).toEqual({
      ...pod([{ name: 'A', value: '1' }]),
      metadata: { ...pod([]).metadata, annotations: {} },
    });
    // WHEN the same manifests are applied again
    const namespace = applyObject(data, cluster, {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: 'ns' },
    });
    const again = applyObject(data, cluster, pod([{ name: 'A', value: '1' }]));
    // THEN the namespace is unchanged; the pod gets a patch that only orders its lists (the live lists hold the
    // webhook's items), which the API server applies without a change
    expect(namespace.outcome).toBe('unchanged');
    expect(again.outcome).toBe('configured');
    expect(again.object).toEqual(live);
    expect(again.object.metadata.resourceVersion).toBe('1');
  });

  it('changes what a Pod may change: labels', () => {
    const data = world();
    applyObject(data, cluster, pod([{ name: 'A', value: '1' }], { tier: 'a' }));
    const relabelled = applyObject(data, cluster, pod([{ name: 'A', value: '1' }], { tier: 'b' }));
    expect(relabelled.outcome).toBe('configured');
    expect(relabelled.object.metadata.labels).toMatchObject({ tier: 'b' });
    expect((relabelled.object as any).spec.containers[0].env).toHaveLength(5);
  });

  it("fails when a Pod's spec really changes: a changed or a removed env var", () => {
    const data = world();
    applyObject(
      data,
      cluster,
      pod([
        { name: 'A', value: '1' },
        { name: 'B', value: '2' },
      ]),
    );
    const message =
      'Pod "p" is invalid: spec: Forbidden: pod updates may not change fields other than `spec.containers[*].image`,`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)';
    expect(() =>
      applyObject(
        data,
        cluster,
        pod([
          { name: 'A', value: '9' },
          { name: 'B', value: '2' },
        ]),
      ),
    ).toThrow(message);
    // B was applied before and is gone from the manifest: the three-way merge deletes it, a spec change
    expect(() => applyObject(data, cluster, pod([{ name: 'A', value: '1' }]))).toThrow(message);
  });

  it('fails when a Pod gets another container', () => {
    const data = world();
    applyObject(data, cluster, pod([]));
    const two = pod([]);
    two.spec.containers.push({ ...two.spec.containers[0], name: 'sidecar' });
    expect(() => applyObject(data, cluster, two)).toThrow(
      'Pod "p" is invalid: spec.containers: Forbidden: pod updates may not add or remove containers',
    );
  });

  it("changes a Pod's image, as the API server allows", () => {
    const data = world();
    applyObject(data, cluster, pod([]));
    const next = pod([]);
    next.spec.containers[0].image = 'app:2';
    const applied = applyObject(data, cluster, next);
    expect((applied.object as any).spec.containers[0].image).toBe('app:2');
    expect(applied.object.metadata.resourceVersion).toBe('2');
  });

  it('removes from a Deployment what the manifest no longer sets, and keeps what others added', () => {
    const data = world();
    const deployment = (env: { name: string; value: string }[]) => ({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'd', namespace: 'ns' },
      spec: {
        replicas: 1,
        template: { spec: { containers: [{ name: 'app', image: 'app:1', env }] } },
      },
    });
    applyObject(
      data,
      cluster,
      deployment([
        { name: 'A', value: '1' },
        { name: 'B', value: '2' },
      ]),
    );
    // Another writer (kubectl scale, an autoscaler) changes the live object
    updateObject(data, cluster, {
      ...deployment([{ name: 'C', value: '3' }]),
      spec: { replicas: 3, template: deployment([{ name: 'C', value: '3' }]).spec.template },
    } as any);
    const applied = applyObject(data, cluster, deployment([{ name: 'A', value: '1' }]));
    const spec = applied.object.spec as any;
    // B (applied before, now dropped) is deleted; C (not the manifest's) stays, where the live list holds it
    expect(spec.template.spec.containers[0].env).toEqual([
      { name: 'C', value: '3' },
      { name: 'A', value: '1' },
    ]);
    expect(spec.replicas).toBe(1);
  });
});

describe('strategic merge, three ways', () => {
  const schema = { items: { merge: true, mergeKey: 'name' } } as const;

  it('needs no patch when the live object holds only what the manifest sets, and more keys of a map', () => {
    const modified = { a: 1, m: { x: 1 }, items: [{ name: 'i', v: 1 }] };
    expect(patchNeeded(modified, modified, { ...modified, m: { x: 1, y: 2 } }, schema)).toBe(false);
  });

  it('orders a merged list as the manifest says and keeps the live-only items in their places', () => {
    const current = {
      items: [{ name: '1', other: 'a' }, { name: '3' }, { name: '4' }, { name: '9' }],
    };
    const modified = { items: [{ name: '4' }, { name: '3' }, { name: '1' }] };
    expect(patchNeeded(modified, modified, current, schema)).toBe(true);
    expect(threeWayMerge(modified, modified, current, schema)).toEqual({
      items: [{ name: '4' }, { name: '3' }, { name: '1', other: 'a' }, { name: '9' }],
    });
  });

  it('clears the other members of a retainKeys union', () => {
    const volumes = { volumes: { merge: true, retainKeys: true, mergeKey: 'name' } } as const;
    const current = { volumes: [{ name: 'v', emptyDir: {} }] };
    const modified = { volumes: [{ name: 'v', configMap: { name: 'c' } }] };
    expect(threeWayMerge(current, modified, current, volumes)).toEqual(modified);
  });
});
