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
} from '../local-cloud/example-model';
import type { Deployment, Pod } from '../local-cloud/kubernetes';
import type { LocalCloud } from '../local-cloud/local-cloud';
import { startLocalCloud } from '../local-cloud/local-cloud';

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
    await vi.waitFor(() => expect(readFileSync(pod.tokenFile ?? '', 'utf8')).not.toBe(first));
    vi.useRealTimers();
    const rotated = readFileSync(pod.tokenFile ?? '', 'utf8');
    const onDemand = await pod.rotateToken();
    expect(readFileSync(pod.tokenFile ?? '', 'utf8')).toBe(onDemand);
    expect(onDemand).not.toBe(rotated);
    await pod.stop();
  });

  it('stops the process with SIGTERM, as kubectl delete does', async () => {
    const pod = await cloud.runPod({ pod: admitted(), command: process.execPath, args: SLEEP });
    await pod.waitForLog(/^ready$/);

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
    await pod.waitForLog(/^ready$/);

    await own.close();

    expect(pod.exitCode).toBe(143);
  });

  it('fails when a variable comes from valueFrom', async () => {
    const pod = examplePod();
    const withSecretRef: Pod = {
      ...pod,
      spec: {
        ...pod.spec,
        containers: [{ name: 'app', env: [{ name: 'X', valueFrom: { secretKeyRef: {} } }] }],
      },
    };

    await expect(cloud.runPod({ pod: withSecretRef, command: process.execPath })).rejects.toThrow(
      'env X uses valueFrom',
    );
  });
});
