/**
 * The local kubelet: the environment a container gets, its projected token, and its lifecycle.
 */
import { readFileSync } from 'node:fs';
import { createLocalJWKSet, decodeJwt, jwtVerify } from 'jose';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  EXAMPLE,
  exampleModel,
  examplePod,
  exampleServiceAccount,
} from '../../../local-cloud/example-model';
import { ImagePullError } from '../../../local-cloud/kubernetes/kubelet';
import type { Deployment, Pod } from '../../../local-cloud/kubernetes/objects';
import type { LocalCloud } from '../../../local-cloud/local-cloud';
import { startLocalCloud } from '../../../local-cloud/local-cloud';

const PRINT_ENV = ['--eval', 'console.log(JSON.stringify(process.env))'];
const SLEEP = ['--eval', 'console.log("ready"); setInterval(() => {}, 1000)'];

let cloud: LocalCloud;
beforeAll(async () => {
  cloud = await startLocalCloud(exampleModel());
});
afterAll(async () => {
  await cloud?.close();
});
afterEach(() => {
  vi.useRealTimers();
});

function admitted(): Pod {
  return cloud.mutatePod(examplePod(), exampleServiceAccount()).object;
}

describe('runPod', () => {
  it('gives the process only the pod environment and the way to the local cloud', async () => {
    const pod = await cloud.runPod({
      pod: admitted(),
      command: process.execPath,
      args: PRINT_ENV,
      env: { SECRET_NAME: 'username' },
    });
    await pod.exited;

    const env = JSON.parse(pod.stdout[0]) as Record<string, string>;
    expect(Object.keys(env).sort()).toEqual([
      'AZURE_AUTHORITY_HOST',
      'AZURE_CLIENT_ID',
      'AZURE_FEDERATED_TOKEN_FILE',
      'AZURE_TENANT_ID',
      'HOSTNAME',
      'HTTPS_PROXY',
      'NODE_EXTRA_CA_CERTS',
      'PATH',
      'SECRET_NAME',
    ]);
    expect(env).toMatchObject({
      HOSTNAME: 'workload-id-app',
      HTTPS_PROXY: cloud.proxyUrl,
      NODE_EXTRA_CA_CERTS: cloud.caCertPath,
    });
    expect(pod.exitCode).toBe(0);
  });

  it("projects the service account token where AZURE_FEDERATED_TOKEN_FILE points, signed by the cluster's issuer", async () => {
    const pod = await cloud.runPod({ pod: admitted(), command: process.execPath, args: PRINT_ENV });
    await pod.exited;

    const tokenFile = JSON.parse(pod.stdout[0]).AZURE_FEDERATED_TOKEN_FILE as string;
    expect(tokenFile).toBe(pod.tokenFile);
    expect(tokenFile).toMatch(/\/token\/azure-identity-token$/);
    const { payload } = await jwtVerify(
      readFileSync(tokenFile, 'utf8'),
      createLocalJWKSet(cloud.issuer.jwks),
      {
        issuer: EXAMPLE.oidcIssuerUrl,
        audience: 'api://AzureADTokenExchange',
      },
    );
    expect(payload.sub).toBe(
      `system:serviceaccount:${EXAMPLE.namespace}:${EXAMPLE.serviceAccountName}`,
    );
    expect(payload['kubernetes.io']).toMatchObject({ pod: { name: 'workload-id-app' } });
  });

  it('rotates the token at 80% of its lifetime, and on demand', async () => {
    // GIVEN a running pod whose rotation timer runs on fake time
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const pod = await cloud.runPod({ pod: admitted(), command: process.execPath, args: SLEEP });
    const first = readFileSync(pod.tokenFile ?? '', 'utf8');

    // WHEN 80% of the 3600 s lifetime passes
    await vi.advanceTimersByTimeAsync(2880 * 1000);

    // THEN a new token is on disk
    await vi.waitFor(() => expect(readFileSync(pod.tokenFile ?? '', 'utf8')).not.toBe(first), {
      timeout: 300_000,
    });
    vi.useRealTimers();
    const rotated = readFileSync(pod.tokenFile ?? '', 'utf8');
    const onDemand = await pod.rotateToken();
    expect(readFileSync(pod.tokenFile ?? '', 'utf8')).toBe(onDemand);
    expect(onDemand).not.toBe(rotated);
    await pod.stop();
  });

  it('stops the process with SIGTERM, as kubectl delete does', async () => {
    const pod = await cloud.runPod({ pod: admitted(), command: process.execPath, args: SLEEP });
    await pod.waitForLog(/^ready$/, 300_000);

    const code = await pod.stop();

    expect(code).toBe(143);
  });

  it('runs an unlabelled pod without a token, as the cluster would', async () => {
    const unlabelled = cloud.mutatePod(
      { ...examplePod(), metadata: { name: 'plain', namespace: EXAMPLE.namespace } },
      exampleServiceAccount(),
    );

    const pod = await cloud.runPod({
      pod: unlabelled.object,
      command: process.execPath,
      args: PRINT_ENV,
    });
    await pod.exited;

    expect(unlabelled.mutated).toBe(false);
    expect(pod.tokenFile).toBeUndefined();
    expect(Object.keys(JSON.parse(pod.stdout[0])).filter((k) => k.startsWith('AZURE_'))).toEqual(
      [],
    );
  });

  it("names a Deployment's pod as its ReplicaSet would", async () => {
    const template = examplePod();
    const deployment: Deployment = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'workload-id-app', namespace: EXAMPLE.namespace },
      spec: { template: { metadata: { labels: template.metadata.labels }, spec: template.spec } },
    };

    const pod = await cloud.runPod({
      pod: cloud.mutatePod(deployment, exampleServiceAccount()).object,
      command: process.execPath,
      args: PRINT_ENV,
    });
    await pod.exited;

    expect(pod.name).toMatch(/^workload-id-app-[b-z2-9]{10}-[b-z2-9]{5}$/);
    expect(JSON.parse(pod.stdout[0]).HOSTNAME).toBe(pod.name);
    expect(decodeJwt(readFileSync(pod.tokenFile ?? '', 'utf8'))['kubernetes.io']).toMatchObject({
      pod: { name: pod.name },
    });
  });

  it('is stopped by close(), which leaves no process behind', async () => {
    const own = await startLocalCloud(exampleModel());
    const pod = await own.runPod({
      pod: own.mutatePod(examplePod(), exampleServiceAccount()).object,
      command: process.execPath,
      args: SLEEP,
    });
    await pod.waitForLog(/^ready$/, 300_000);

    await own.close();

    expect(pod.exitCode).toBe(143);
  });

  it('fails when a variable comes from valueFrom', async () => {
    const pod = examplePod();
    const withSecretRef: Pod = {
      ...pod,
      spec: {
        ...pod.spec,
        containers: [
          {
            name: 'app',
            image: EXAMPLE.appImage,
            env: [{ name: 'X', valueFrom: { secretKeyRef: {} } }],
          },
        ],
      },
    };

    await expect(cloud.runPod({ pod: withSecretRef, command: process.execPath })).rejects.toThrow(
      'env X uses valueFrom',
    );
  });
});

describe('image pulls', () => {
  /**
   * Run the example pod with `image`, in `model` (default: the example's), the way the lab runs a container;
   * `initImage` adds an init container with that image.
   */
  async function runWithImage(image: string, model = exampleModel(), initImage?: string) {
    const own = await startLocalCloud(model);
    try {
      const manifest = examplePod(EXAMPLE.serviceAccountName, image);
      const withInit = initImage
        ? {
            ...manifest,
            spec: {
              ...manifest.spec,
              initContainers: [{ name: 'wait-for-vault', image: initImage }],
            },
          }
        : manifest;
      const pod = await own.runPod({
        pod: own.mutatePod(withInit, exampleServiceAccount()).object,
        command: process.execPath,
        args: ['--eval', 'console.log("running")'],
      });
      await pod.exited;
      return pod.stdout;
    } finally {
      await own.close();
    }
  }

  /** The error the kubelet rejects with, when the pull fails. */
  async function pullFailure(
    image: string,
    model = exampleModel(),
    initImage?: string,
  ): Promise<ImagePullError> {
    const err = await runWithImage(image, model, initImage).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ImagePullError);
    return err as ImagePullError;
  }

  it('fails when the image is workload-id-app:0.1.0, which resolves to Docker Hub: ImagePullBackOff', async () => {
    const err = await pullFailure('workload-id-app:0.1.0');

    expect(err.reason).toBe('ImagePullBackOff');
    expect(err.message).toBe(
      'pod workload-id-test/workload-id-app is Pending: container "app" is waiting (ImagePullBackOff): ' +
        'Failed to pull image "workload-id-app:0.1.0": failed to pull and unpack image "docker.io/library/workload-id-app:0.1.0": ' +
        'failed to resolve reference "docker.io/library/workload-id-app:0.1.0": pull access denied, repository does not exist or ' +
        'may require authorization: server message: insufficient_scope: authorization failed',
    );
    // What `kubectl describe pod` lists under Events.
    expect(err.events.map((e) => `${e.type} ${e.reason}: ${e.message.split(':')[0]}`)).toEqual([
      'Normal Pulling: Pulling image "workload-id-app',
      'Warning Failed: Failed to pull image "workload-id-app',
      'Warning Failed: Error',
      'Normal BackOff: Back-off pulling image "workload-id-app',
      'Warning Failed: Error',
    ]);
    expect(err.events.at(-1)?.message).toBe('Error: ImagePullBackOff');
  });

  it("runs the lab's sample image, at latest as upstream publishes it, with the stand-in program", async () => {
    expect(await runWithImage('ghcr.io/azure/azure-workload-identity/msal-net:latest')).toEqual([
      'running',
    ]);
  });

  it('fails when the sample image names a tag the project never published: not found', async () => {
    const err = await pullFailure('ghcr.io/azure/azure-workload-identity/msal-net:v9.9.9');

    expect(err.message).toMatch(
      /: ghcr\.io\/azure\/azure-workload-identity\/msal-net:v9\.9\.9: not found$/,
    );
  });

  it('runs the image of an Azure Container Registry the kubelet identity holds AcrPull on, by tag or digest', async () => {
    expect(await runWithImage(EXAMPLE.appImage)).toEqual(['running']);
    expect(
      await runWithImage(`acrwidemo7f3a.azurecr.io/workload-id-app@${EXAMPLE.appImageDigest}`),
    ).toEqual(['running']);
  });

  it('fails when the kubelet identity lacks AcrPull on the registry: 401 Unauthorized', async () => {
    const withoutAcrPull = exampleModel({
      roleAssignments: exampleModel().roleAssignments.filter(
        (a) => a.roleDefinitionName !== 'AcrPull',
      ),
    });

    const err = await pullFailure(EXAMPLE.appImage, withoutAcrPull);

    expect(err.reason).toBe('ImagePullBackOff');
    expect(err.message).toContain(
      'Failed to pull image "acrwidemo7f3a.azurecr.io/workload-id-app:0.1.0": failed to pull and unpack image ' +
        '"acrwidemo7f3a.azurecr.io/workload-id-app:0.1.0": failed to resolve reference "acrwidemo7f3a.azurecr.io/workload-id-app:0.1.0": ' +
        'failed to authorize: failed to fetch anonymous token: unexpected status from GET request to ' +
        'https://acrwidemo7f3a.azurecr.io/oauth2/token?scope=repository%3Aworkload-id-app%3Apull&service=acrwidemo7f3a.azurecr.io: 401 Unauthorized',
    );
  });

  it('fails when the AcrPull assignment names another principal than the kubelet identity', async () => {
    const toWorkload = exampleModel({
      roleAssignments: exampleModel().roleAssignments.map((a) =>
        a.roleDefinitionName === 'AcrPull' ? { ...a, principalId: EXAMPLE.principalId } : a,
      ),
    });

    expect((await pullFailure(EXAMPLE.appImage, toWorkload)).message).toMatch(
      /: 401 Unauthorized$/,
    );
  });

  it("fails when an init container's image cannot be pulled, though the app's can: the pod never starts", async () => {
    const err = await pullFailure(EXAMPLE.appImage, exampleModel(), 'busybox:1.36');

    expect(err.reason).toBe('ImagePullBackOff');
    expect(err.container).toBe('wait-for-vault');
    expect(err.message).toMatch(
      /^pod workload-id-test\/workload-id-app is Pending: container "wait-for-vault" is waiting \(ImagePullBackOff\): Failed to pull image "busybox:1\.36": failed to pull and unpack image "docker\.io\/library\/busybox:1\.36"/,
    );
  });

  it('fails when the tag was never pushed to the registry: not found', async () => {
    const err = await pullFailure('acrwidemo7f3a.azurecr.io/workload-id-app:0.2.0');

    expect(err.message).toMatch(
      /: acrwidemo7f3a\.azurecr\.io\/workload-id-app:0\.2\.0: not found$/,
    );
  });
});
