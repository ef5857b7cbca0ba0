import { describe, expect, it } from 'vitest';
import {
  type PullContext,
  parseImageReference,
  pullImage,
} from '../../../local-cloud/azure/registries';
import type { CloudRegistry } from '../../../local-cloud/core/model';

const REGISTRY: CloudRegistry = {
  id: '/subscriptions/s/resourceGroups/rg-app/providers/Microsoft.ContainerRegistry/registries/acrapp',
  loginServer: 'acrapp.azurecr.io',
  images: [{ repository: 'team/app', tag: '1.0', digest: `sha256:${'ab'.repeat(32)}` }],
};
const KUBELET = 'kubelet-object-id';
const context = (roleAssignments: PullContext['roleAssignments']): PullContext => ({
  registries: [REGISTRY],
  roleAssignments,
  kubeletPrincipalId: KUBELET,
});
const acrPullAt = (scope: string, roleDefinitionName = 'AcrPull', principalId = KUBELET) => [
  { principalId, roleDefinitionName, scope },
];
const failure = (image: string, ctx: PullContext) => {
  const result = pullImage(image, ctx);
  if (result.pulled) throw new Error(`${image} pulled`);
  return result;
};

describe('parseImageReference (as containerd resolves a pod image)', () => {
  it.each([
    ['workload-id-app:0.1.0', 'docker.io/library/workload-id-app:0.1.0'],
    ['busybox', 'docker.io/library/busybox:latest'],
    ['someone/app:2', 'docker.io/someone/app:2'],
    [
      'ghcr.io/azure/azure-workload-identity/msal-net:v1.6.0',
      'ghcr.io/azure/azure-workload-identity/msal-net:v1.6.0',
    ],
    ['localhost:5000/app', 'localhost:5000/app:latest'],
    [
      `acrapp.azurecr.io/team/app@sha256:${'ab'.repeat(32)}`,
      `acrapp.azurecr.io/team/app@sha256:${'ab'.repeat(32)}`,
    ],
  ])('resolves %s to %s', (image, canonical) => {
    expect(parseImageReference(image)?.canonical).toBe(canonical);
  });

  it.each(['Workload-Id-App:1', 'app:', 'app@sha256:short', '', 'a b'])(
    'fails when the reference is invalid: %j',
    (image) => {
      expect(parseImageReference(image)).toBeUndefined();
      expect(failure(image, context([])).reason).toBe('InvalidImageName');
    },
  );
});

describe('pullImage', () => {
  it('pulls from an Azure Container Registry with AcrPull on it or above it, by tag or digest', () => {
    for (const scope of [
      REGISTRY.id,
      '/subscriptions/s/resourceGroups/rg-app',
      '/subscriptions/s',
      REGISTRY.id.toUpperCase(),
    ]) {
      expect(pullImage('acrapp.azurecr.io/team/app:1.0', context(acrPullAt(scope))).pulled).toBe(
        true,
      );
    }
    expect(
      pullImage(
        `acrapp.azurecr.io/team/app@sha256:${'ab'.repeat(32)}`,
        context(acrPullAt(REGISTRY.id)),
      ).pulled,
    ).toBe(true);
    expect(
      pullImage('acrapp.azurecr.io/team/app:1.0', context(acrPullAt(REGISTRY.id, 'AcrPush')))
        .pulled,
    ).toBe(true);
  });

  it.each([
    ['no role at all', []],
    ['a role that does not pull (Reader)', acrPullAt(REGISTRY.id, 'Reader')],
    ['AcrPull for another principal', acrPullAt(REGISTRY.id, 'AcrPull', 'someone-else')],
    ["AcrPull on a registry whose name extends this one's", acrPullAt(`${REGISTRY.id}2`)],
    [
      'AcrPull on a resource group whose name starts the same',
      acrPullAt('/subscriptions/s/resourceGroups/rg-a'),
    ],
  ])('fails with 401 Unauthorized given %s', (_case, roles) => {
    expect(failure('acrapp.azurecr.io/team/app:1.0', context(roles)).message).toMatch(
      /: 401 Unauthorized$/,
    );
  });

  it('fails with 401 Unauthorized when the cluster has no kubelet identity', () => {
    expect(
      failure('acrapp.azurecr.io/team/app:1.0', {
        registries: [REGISTRY],
        roleAssignments: acrPullAt(REGISTRY.id),
      }).message,
    ).toMatch(/: 401 Unauthorized$/);
  });

  it('fails when the digest was never pushed, even under a pushed tag', () => {
    const image = `acrapp.azurecr.io/team/app:1.0@sha256:${'cd'.repeat(32)}`;
    expect(failure(image, context(acrPullAt(REGISTRY.id))).message).toMatch(/: not found$/);
  });

  it('fails when the Azure Container Registry does not exist: no such host', () => {
    expect(
      failure('acrother.azurecr.io/team/app:1.0', context(acrPullAt('/subscriptions/s'))).message,
    ).toMatch(/dial tcp: lookup acrother\.azurecr\.io: no such host$/);
  });

  it("fails on Docker Hub, which holds nothing under the project's name", () => {
    expect(failure('workload-id-app:0.1.0', context([])).message).toContain(
      'pull access denied, repository does not exist or may require authorization',
    );
  });

  it('pulls the public samples as upstream publishes them (latest), and not a repository it does not publish', () => {
    expect(pullImage('ghcr.io/azure/azure-workload-identity/msal-go', context([])).pulled).toBe(
      true,
    );
    expect(
      pullImage(
        'ghcr.io/azure/azure-workload-identity/msal-net:latest-windows-ltsc2022-amd64',
        context([]),
      ).pulled,
    ).toBe(true);
    expect(
      failure('ghcr.io/azure/azure-workload-identity/msal-rust:latest', context([])).message,
    ).toMatch(/: 401 Unauthorized$/);
  });

  it('fails when a sample is pulled at the release tag v1.6.0: upstream pushes its samples from main as latest only', () => {
    expect(
      failure('ghcr.io/azure/azure-workload-identity/msal-net:v1.6.0', context([])).message,
    ).toBe(
      'Failed to pull image "ghcr.io/azure/azure-workload-identity/msal-net:v1.6.0": failed to pull and unpack image "ghcr.io/azure/azure-workload-identity/msal-net:v1.6.0": failed to resolve reference "ghcr.io/azure/azure-workload-identity/msal-net:v1.6.0": ghcr.io/azure/azure-workload-identity/msal-net:v1.6.0: not found',
    );
    // Java, Node and Python are built for Linux only.
    expect(
      failure(
        'ghcr.io/azure/azure-workload-identity/msal-java:latest-windows-1809-amd64',
        context([]),
      ).message,
    ).toMatch(/: not found$/);
  });

  it('says so when the registry is one the local cloud does not know', () => {
    expect(failure('quay.io/team/app:1', context([])).message).toContain(
      'the local cloud knows no registry at quay.io',
    );
  });
});
