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
  createObject,
  KubernetesApiError,
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

  it('removes a map field the manifest dropped since the last apply, and keeps the fields others added', () => {
    const data = world();
    const deployment = (labels: Record<string, string>, spec: Record<string, unknown>) => ({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'd', namespace: 'ns', labels },
      spec: {
        replicas: 1,
        ...spec,
        template: { spec: { containers: [{ name: 'app', image: 'app:1' }] } },
      },
    });
    // GIVEN a Deployment applied with a label and a field the next manifest drops
    applyObject(data, cluster, deployment({ app: 'a', tier: 'web' }, { minReadySeconds: 5 }));
    // and a label another writer added (kubectl label), which no manifest ever set
    updateObject(data, cluster, {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'd', namespace: 'ns', labels: { owner: 'ops' } },
    });
    // WHEN the manifest no longer sets them, and changes nothing else
    const applied = applyObject(data, cluster, deployment({ app: 'a' }, {}));
    // THEN the three-way patch deletes them (last applied minus the manifest), and the other writer's label stays
    expect(applied.outcome).toBe('configured');
    expect(applied.object.metadata.labels).toEqual({ app: 'a', owner: 'ops' });
    expect(applied.object.spec).not.toHaveProperty('minReadySeconds');
    expect((applied.object.spec as any).replicas).toBe(1);
  });

  it("clears what the manifest leaves out of a retainKeys field though it never set it: a Deployment's strategy and a volume's source", () => {
    const data = world();
    const deployment = (strategy: unknown, volume: Record<string, unknown>) => ({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'd', namespace: 'ns' },
      spec: {
        replicas: 1,
        ...(strategy ? { strategy } : {}),
        template: {
          spec: { containers: [{ name: 'app', image: 'app:1' }], volumes: [volume] },
        },
      },
    });
    // GIVEN a Deployment applied without a strategy, and a volume without a source
    applyObject(data, cluster, deployment(undefined, { name: 'data' }));
    // and the API server's defaults in the live object (SetDefaults_Deployment, SetDefaults_Volume): fields of a
    // union that the manifest never set
    const defaults = {
      type: 'RollingUpdate',
      rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' },
    };
    updateObject(data, cluster, deployment(defaults, { name: 'data', emptyDir: {} }));
    // WHEN the manifest picks another member of each union
    const applied = applyObject(
      data,
      cluster,
      deployment({ type: 'Recreate' }, { name: 'data', configMap: { name: 'c' } }),
    );
    // THEN `patchStrategy:"retainKeys"` clears the members the manifest left out (the API server would refuse a
    // Recreate strategy with rollingUpdate, and a volume of two sources)
    const spec = applied.object.spec as any;
    expect(spec.strategy).toEqual({ type: 'Recreate' });
    expect(spec.template.spec.volumes).toEqual([{ name: 'data', configMap: { name: 'c' } }]);
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

// The API server's create and update validation (ValidatePodSpec, ValidateAnnotations) and kubectl's own refusals, as
// `kubectl apply` prints them: each is a manifest the real cluster refuses.
describe('what the API server and kubectl refuse', () => {
  const deployment = (containers: { name?: string; image: string }[]) => ({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'd', namespace: 'ns' },
    spec: { replicas: 1, template: { spec: { containers } } },
  });

  it('refuses two containers of one name, in a Pod and in a Deployment', () => {
    const data = world();
    const twice = pod([]);
    twice.spec.containers.push({ ...twice.spec.containers[0] });
    expect(() => applyObject(data, cluster, twice)).toThrow(
      new KubernetesApiError(
        'Invalid',
        'Pod "p" is invalid: spec.containers[1].name: Duplicate value: "app"',
      ),
    );
    expect(
      () =>
        applyObject(
          data,
          cluster,
          deployment([
            { name: 'app', image: 'app:1' },
            { name: 'app', image: 'app:2' },
          ]),
        ),
      // the group is part of the kind's name: Deployment.apps
    ).toThrow(
      'Deployment.apps "d" is invalid: spec.template.spec.containers[1].name: Duplicate value: "app"',
    );
    expect(data.kubernetesObjects.map((o) => o.object.kind)).not.toContain('Pod');
    expect(data.kubernetesObjects.map((o) => o.object.kind)).not.toContain('Deployment');
  });

  it('refuses an init container named like a container, and a Deployment updated to two of one name', () => {
    const data = world();
    const init = pod([]) as any;
    init.spec.initContainers = [{ name: 'app', image: 'init:1' }];
    expect(() => applyObject(data, cluster, init)).toThrow(
      'Pod "p" is invalid: spec.initContainers[0].name: Duplicate value: "app"',
    );
    applyObject(data, cluster, deployment([{ name: 'app', image: 'app:1' }]));
    expect(() =>
      applyObject(
        data,
        cluster,
        deployment([
          { name: 'app', image: 'app:1' },
          { name: 'app', image: 'app:2' },
        ]),
      ),
    ).toThrow(
      'Deployment.apps "d" is invalid: spec.template.spec.containers[1].name: Duplicate value: "app"',
    );
  });

  it('refuses a container without a name, and a Pod without containers', () => {
    const data = world();
    const nameless = pod([]) as any;
    delete nameless.spec.containers[0].name;
    expect(() => applyObject(data, cluster, nameless)).toThrow(
      new KubernetesApiError(
        'Invalid',
        'Pod "p" is invalid: spec.containers[0].name: Required value',
      ),
    );
    expect(() => applyObject(data, cluster, deployment([{ image: 'app:1' }]))).toThrow(
      'Deployment.apps "d" is invalid: spec.template.spec.containers[0].name: Required value',
    );
    const none = pod([]) as any;
    none.spec.containers = [];
    expect(() => applyObject(data, cluster, none)).toThrow(
      'Pod "p" is invalid: spec.containers: Required value',
    );
    // no list at all: the webhook lets it through, and validation refuses it the same way
    delete none.spec.containers;
    expect(() => applyObject(data, cluster, none)).toThrow(
      new KubernetesApiError('Invalid', 'Pod "p" is invalid: spec.containers: Required value'),
    );
  });

  it('refuses annotations over 256 KiB in all, counted in bytes of keys and values', () => {
    const data = world();
    // 131,072 two-byte characters: 262,144 bytes of value alone, over the limit with the key and kubectl's own
    // annotation; as a string it is only half as long.
    const big = pod([]) as any;
    big.metadata.annotations = { note: 'é'.repeat(131_072) };
    expect(() => applyObject(data, cluster, big)).toThrow(
      new KubernetesApiError(
        'Invalid',
        'Pod "p" is invalid: metadata.annotations: Too long: may not be more than 262144 bytes',
      ),
    );
    // with no last-applied annotation (a create as Terraform's provider sends it), exactly at the limit is accepted
    const key = 'k';
    const atLimit = {
      apiVersion: 'v1',
      kind: 'ServiceAccount',
      metadata: { name: 'big', namespace: 'ns', annotations: { [key]: 'x'.repeat(262_143) } },
    };
    expect(() => createObject(data, cluster, atLimit)).not.toThrow();
    const over = {
      ...atLimit,
      metadata: {
        ...atLimit.metadata,
        name: 'bigger',
        annotations: { [key]: 'x'.repeat(262_144) },
      },
    };
    expect(() => createObject(data, cluster, over)).toThrow(
      'ServiceAccount "bigger" is invalid: metadata.annotations: Too long: may not be more than 262144 bytes',
    );
    // a pod template's annotations are checked on their own path
    const template = deployment([{ name: 'app', image: 'app:1' }]) as any;
    template.spec.template.metadata = { annotations: { note: 'x'.repeat(262_144) } };
    // kubectl copies the manifest into its last-applied annotation, so the object's own annotations are over too
    expect(() => applyObject(data, cluster, template)).toThrow(
      'Deployment.apps "d" is invalid: [metadata.annotations: Too long: may not be more than 262144 bytes, spec.template.annotations: Too long: may not be more than 262144 bytes]',
    );
  });

  it('names the object and the annotation when the last-applied configuration is not JSON', () => {
    const data = world();
    applyObject(data, cluster, pod([]));
    const live = data.kubernetesObjects.find((o) => o.object.kind === 'Pod')!.object as any;
    live.metadata.annotations[LAST_APPLIED_ANNOTATION] = '{"apiVersion": "v1", tampered';
    let message = '';
    try {
      applyObject(data, cluster, pod([]));
    } catch (err) {
      message = String((err as Error).message);
      expect(err).not.toBeInstanceOf(SyntaxError);
    }
    expect(message).toBe(
      `error when patching Pod "p" in namespace "ns": creating patch from its ${LAST_APPLIED_ANNOTATION} annotation: invalid JSON document`,
    );
  });

  it('refuses an object nested 10,000 levels deep with one line, and one deeper than the local cloud keeps', () => {
    const nested = (levels: number) => {
      let value: unknown = 'leaf';
      for (let i = 0; i < levels; i++) value = i % 2 ? [value] : { v: value };
      return value;
    };
    const configMap = (name: string, levels: number) => ({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name, namespace: 'ns' },
      extra: nested(levels),
    });
    const data = world();
    // the object is the first level: 10,000 more inside it are one over the decoders' 10000
    const decoders =
      'ConfigMap "deep" could not be decoded: exceeded max depth of 10000 nested objects and lists';
    expect(() => applyObject(data, cluster, configMap('deep', 10_000))).toThrow(
      new KubernetesApiError('BadRequest', decoders),
    );
    expect(() => createObject(data, cluster, configMap('deep', 10_000))).toThrow(decoders);
    // one the API server would decode, but deeper than Node's copies and the merge can take: the local cloud's limit
    const local =
      'ConfigMap "deeper" nests objects and lists more than 1000 levels deep: the local cloud keeps no deeper object (the API server decodes up to 10000)';
    for (const levels of [1_000, 5_000, 9_999])
      expect(() => applyObject(data, cluster, configMap('deeper', levels))).toThrow(
        new KubernetesApiError('BadRequest', local),
      );
    // 999 levels inside the object: created, changed and applied again
    const first = applyObject(data, cluster, configMap('deep-enough', 999));
    expect(first.outcome).toBe('created');
    const changed = configMap('deep-enough', 999) as any;
    changed.metadata.labels = { a: 'b' };
    changed.extra = nested(999);
    expect(applyObject(data, cluster, changed).outcome).toBe('configured');
    expect(applyObject(data, cluster, changed).outcome).toBe('unchanged');
    expect(data.kubernetesObjects.map((o) => o.object.metadata.name)).not.toContain('deep');
    expect(data.kubernetesObjects.map((o) => o.object.metadata.name)).not.toContain('deeper');
  });
});
