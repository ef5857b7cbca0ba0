import { describe, expect, it } from 'vitest';
import { readOutputs } from '../../../config/outputs';
import { startLab } from '../../../lab/lab';
import { checkPair } from '../../../verify/check-pair';
import { labFor, pairOf } from '../../support/lab-helpers';

describe.concurrent('topologies on the local cloud', () => {
  it('runs a Deployment whose pod template carries the label', async () => {
    const files = await labFor((d) =>
      Object.assign(d.workloads[0], { kind: 'Deployment', replicas: 2 }),
    );
    const lab = await startLab(files);
    try {
      expect(
        checkPair(pairOf(files), {
          bindings: readOutputs(files.outputsFile, files.config),
          forApply: true,
        }),
      ).toEqual([]);
      const pod = await lab.runPod({ pod: 'demo-pod', env: { RUN_ONCE: 'true' } });
      expect(await pod.exited).toBe(0);
      expect(pod.name).toMatch(/^demo-pod-[a-z0-9]+-[a-z0-9]{5}$/);
      expect(pod.stdout.at(-1)).toBe('Your secret is admin');
    } finally {
      await lab.close();
    }
  });

  it('runs a build: app workload end to end: az acr build pushes app/ into the registry, and the pod pulls it by digest', async () => {
    const files = await labFor((d) => {
      d.registry = {};
      delete d.workloads[0].sample;
      d.workloads[0].build = 'app';
    });
    const lab = await startLab(files);
    try {
      const [registry] = lab.store.read().registries;
      expect(registry.images).toEqual([
        { repository: 'workload-id-app', tag: 'local', digest: expect.stringMatching(/^sha256:/) },
      ]);
      const pod = lab.store.read().kubernetesObjects.find((o) => o.object.kind === 'Pod')
        ?.object as any;
      expect(pod.spec.containers[0].image).toBe(
        `${registry.loginServer}/workload-id-app@${registry.images[0].digest}`,
      );
      expect(
        checkPair(pairOf(files), {
          bindings: readOutputs(files.outputsFile, files.config),
          forApply: true,
        }),
      ).toEqual([]);
      const running = await lab.runPod({ pod: 'demo-pod', env: { RUN_ONCE: 'true' } });
      expect(await running.exited).toBe(0);
      expect(running.stdout.at(-1)).toBe('Your secret is admin');
    } finally {
      await lab.close();
    }
  });

  it('runs a Windows workload and an upstream sample beside it (the workload program stands in for their images)', async () => {
    const files = await labFor((d) => {
      Object.assign(d.cluster, { windowsNodePool: {}, kubernetesVersion: '1.34' });
      d.workloads.push({ ...d.workloads[0], name: 'win', pod: 'win-pod', os: 'windows' });
      const sample = {
        ...d.workloads[0],
        name: 'sample',
        pod: 'sample-pod',
        sample: 'msal-python',
      };
      delete sample.image;
      d.workloads.push(sample);
    });
    const lab = await startLab(files);
    try {
      expect(
        checkPair(pairOf(files), {
          bindings: readOutputs(files.outputsFile, files.config),
          forApply: true,
        }),
      ).toEqual([]);
      const pods = await Promise.all(
        ['win-pod', 'sample-pod'].map((pod) => lab.runPod({ pod, env: { RUN_ONCE: 'true' } })),
      );
      for (const pod of pods) {
        expect(await pod.exited).toBe(0);
        expect(pod.stdout.at(-1)).toBe('Your secret is admin');
      }
    } finally {
      await lab.close();
    }
  });

  it('runs 25 workloads over 2 identities, each service account trusted by its own credential', async () => {
    const files = await labFor((d) => {
      d.workloads = Array.from({ length: 25 }, (_, i) => ({
        name: `w${i}`,
        namespace: `team-${i % 3}`,
        serviceAccount: `sa-${i}`,
        managedIdentity: i % 2 ? 'reader-odd' : 'reader-even',
        pod: `pod-${i}`,
        // A public image every cluster pulls; the workload program stands in for it.
        sample: 'msal-go',
        secret: i % 2 ? 'password' : 'username',
        showSecret: true,
      }));
    });
    const lab = await startLab(files);
    try {
      expect(
        checkPair(pairOf(files), {
          bindings: readOutputs(files.outputsFile, files.config),
          forApply: true,
        }),
      ).toEqual([]);
      const results: string[] = [];
      // Four at a time: each pod is a Node.js process with the Azure SDKs.
      for (let i = 0; i < 25; i += 4) {
        const batch = await Promise.all(
          Array.from({ length: Math.min(4, 25 - i) }, (_, j) =>
            lab.runPod({ pod: `pod-${i + j}`, env: { RUN_ONCE: 'true' } }),
          ),
        );
        for (const pod of batch) {
          await pod.exited;
          results.push(`${pod.name}: ${pod.stdout.at(-1) ?? pod.logs()}`);
        }
      }
      expect(results).toEqual(
        Array.from(
          { length: 25 },
          (_, i) => `pod-${i}: Your secret is ${i % 2 ? 'trustno1' : 'admin'}`,
        ),
      );
      expect(lab.cloud.stats().tokenRequests).toBe(25);
    } finally {
      await lab.close();
    }
  });
});
