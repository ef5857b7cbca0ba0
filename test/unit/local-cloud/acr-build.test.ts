import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { APP_REPOSITORY } from '../../../config/outputs';
import { AcrBuildError, acrBuild, buildContextFiles } from '../../../local-cloud/azure/acr-build';
import { pullImage } from '../../../local-cloud/azure/registries';
import { CloudStore } from '../../../local-cloud/core/cloud-store';
import { ROOT, tempDir } from '../../support/helpers';

const APP = join(ROOT, 'app');

/** A store with one empty registry, `acrapp`. */
function storeWithRegistry(): CloudStore {
  const store = new CloudStore(join(tempDir('wi-acr-'), 'cloud-store.json')).init();
  store.update((data) => {
    data.registries.push({
      id: '/subscriptions/s/resourceGroups/rg/providers/Microsoft.ContainerRegistry/registries/acrapp',
      subscriptionId: 's',
      resourceGroupName: 'rg',
      name: 'acrapp',
      location: 'westeurope',
      loginServer: 'acrapp.azurecr.io',
      sku: 'Basic',
      adminEnabled: false,
      tags: {},
      images: [],
    });
  });
  return store;
}

/** A context folder with these files (path -> content). */
function context(files: Record<string, string>): string {
  const dir = tempDir('wi-context-');
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(join(dir, path, '..'), { recursive: true });
    writeFileSync(join(dir, path), content);
  }
  return dir;
}

describe('az acr build on the local cloud', () => {
  it('sends what .dockerignore lets through, as the Azure CLI packs it: the last rule wins, a folder passes its decision on', () => {
    const dir = context({
      '.dockerignore': '*\n!src\nsrc/*.test.ts\n!keep.txt\n',
      Dockerfile: 'FROM scratch\n',
      'keep.txt': '',
      'notes.md': '',
      'src/a.ts': '',
      'src/a.test.ts': '',
      'src/deep/b.ts': '',
      '.git/HEAD': '',
    });
    expect(buildContextFiles(dir)).toEqual(['Dockerfile', 'keep.txt', 'src/a.ts', 'src/deep/b.ts']);
  });

  it("fails when a COPY source is left out by .dockerignore, with Docker's message", () => {
    const dir = context({
      '.dockerignore': '*\n!package.json\n',
      Dockerfile: 'FROM node:24\nCOPY package.json ./\nCOPY build.mjs bundle-options.json ./\n',
      'package.json': '{}',
      'build.mjs': '',
      'bundle-options.json': '{}',
    });
    const store = storeWithRegistry();
    expect(() => acrBuild(store, { registry: 'acrapp', image: 'app:1', contextDir: dir })).toThrow(
      new AcrBuildError([
        'Step 3/3 : COPY build.mjs bundle-options.json ./',
        'COPY failed: file not found in build context or excluded by .dockerignore: stat build.mjs: file does not exist',
      ]),
    );
    expect(store.read().registries[0].images).toEqual([]);
  });

  it('builds app/ as deploy sends it: every COPY source of app/Dockerfile is in the context, and the registry then holds the image', () => {
    // GIVEN the project's own program, its Dockerfile and .dockerignore
    const store = storeWithRegistry();
    // WHEN az acr build sends app/ to the registry
    const digest = acrBuild(store, {
      registry: 'acrapp',
      image: `${APP_REPOSITORY}:1.0`,
      contextDir: APP,
    });
    // THEN the build found build.mjs and bundle-options.json, and the kubelet can pull the pushed digest
    expect(buildContextFiles(APP)).toEqual(
      expect.arrayContaining(['Dockerfile', 'build.mjs', 'bundle-options.json', 'package.json']),
    );
    expect(buildContextFiles(APP).some((f) => f.startsWith('node_modules/'))).toBe(false);
    const [registry] = store.read().registries;
    expect(registry.images).toEqual([{ repository: APP_REPOSITORY, tag: '1.0', digest }]);
    const kubelet = 'kubelet';
    const pulled = pullImage(`acrapp.azurecr.io/${APP_REPOSITORY}@${digest}`, {
      registries: [{ id: registry.id, loginServer: registry.loginServer, images: registry.images }],
      roleAssignments: [
        { principalId: kubelet, roleDefinitionName: 'AcrPull', scope: registry.id },
      ],
      kubeletPrincipalId: kubelet,
    });
    expect(pulled.pulled).toBe(true);
  });
});
