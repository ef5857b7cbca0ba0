import { mkdirSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { APP_REPOSITORY } from '../../../config/outputs';
import { AcrBuildError, acrBuild, buildContextFiles } from '../../../local-cloud/azure/acr-build';
import { pullImage } from '../../../local-cloud/azure/registries';
import type { CloudStore } from '../../../local-cloud/core/cloud-store';
import { ROOT, tempDir } from '../../support/helpers';
import { storeWithRegistry } from '../../support/local-cloud-helpers';

const APP = join(ROOT, 'app');

/** A context folder with these files (path -> content). */
function context(files: Record<string, string>): string {
  const dir = tempDir('wi-context-');
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(join(dir, path, '..'), { recursive: true });
    writeFileSync(join(dir, path), content);
  }
  return dir;
}

/**
 * In a worker thread, list the context's files and build it into the registry of `store`; give up after `deadlineMs`:
 * a walk or a read that hangs (a backtracking pattern, a link to /dev/zero) fails the test in seconds instead of
 * holding the test runner.
 */
function buildWithin(
  store: CloudStore,
  contextDir: string,
  deadlineMs: number,
): Promise<{ files: string[]; digest: string }> {
  const code = `
    const { parentPort, workerData } = require('node:worker_threads');
    Promise.all([workerData.build, workerData.store].map((m) => import(workerData.tsx).then(({ tsImport }) => tsImport(m, workerData.parent))))
      .then(([build, cloudStore]) => {
        const files = build.buildContextFiles(workerData.contextDir);
        const store = new cloudStore.CloudStore(workerData.storeFile);
        const digest = build.acrBuild(store, { registry: 'acrapp', image: 'app:1', contextDir: workerData.contextDir });
        parentPort.postMessage({ files, digest });
      })
      .catch((err) => parentPort.postMessage({ error: String(err && err.message) }));
  `;
  const worker = new Worker(code, {
    eval: true,
    workerData: {
      // Resolved from the working directory, the project's root, as an eval'd worker does.
      tsx: 'tsx/esm/api',
      build: join(ROOT, 'local-cloud', 'azure', 'acr-build.ts'),
      store: join(ROOT, 'local-cloud', 'core', 'cloud-store.ts'),
      parent: import.meta.url,
      storeFile: store.file,
      contextDir,
    },
  });
  return new Promise<{ files: string[]; digest: string }>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`the build did not finish within ${deadlineMs} ms`)),
      deadlineMs,
    );
    worker.once('message', (m: { files: string[]; digest: string; error?: string }) =>
      m.error === undefined ? resolve(m) : reject(new Error(m.error)),
    );
    worker.once('error', reject);
    worker.once('exit', () => clearTimeout(timer));
  }).finally(() => worker.terminate());
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

  it('sends a symbolic link as a link, never followed: the digest holds the link, not what it points to', () => {
    // GIVEN a context whose COPY source is a link to a file outside the context
    const outside = join(tempDir('wi-outside-'), 'secret.txt');
    writeFileSync(outside, 'first secret');
    const dir = context({ Dockerfile: 'FROM scratch\nCOPY secret.txt /\n' });
    symlinkSync(outside, join(dir, 'secret.txt'));
    const store = storeWithRegistry();
    const build = () => acrBuild(store, { registry: 'acrapp', image: 'app:1', contextDir: dir });
    // WHEN it is built, the outside file changes, and it is built again
    const before = build();
    writeFileSync(outside, 'second secret');
    // THEN the digest did not change: the outside file's content was never sent
    expect(build()).toBe(before);
    expect(buildContextFiles(dir)).toEqual(['Dockerfile', 'secret.txt']);
  });

  it('walks no link: a link to /dev/zero, /etc or /proc/self is one entry, read from nowhere', async () => {
    const dir = context({ Dockerfile: 'FROM scratch\n' });
    symlinkSync('/dev/zero', join(dir, 'zero'));
    symlinkSync('/etc', join(dir, 'etc'));
    symlinkSync('/proc/self', join(dir, 'self'));
    const store = storeWithRegistry();
    const { files, digest } = await buildWithin(store, dir, 20_000);
    expect(files).toEqual(['Dockerfile', 'etc', 'self', 'zero']);
    expect(store.read().registries[0].images).toEqual([{ repository: 'app', tag: '1', digest }]);
  });

  it('refuses a socket in the context in one line naming it, as the Azure CLI does (tarfile has no type for it)', async () => {
    const dir = context({ '.dockerignore': 'run\n', Dockerfile: 'FROM scratch\n' });
    mkdirSync(join(dir, 'run'));
    const socket = join(dir, 'run', 's');
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(socket, resolve));
    try {
      const store = storeWithRegistry();
      expect(() =>
        acrBuild(store, { registry: 'acrapp', image: 'app:1', contextDir: dir }),
      ).toThrow(new AcrBuildError([`tarfile: unsupported type ${socket}`]));
      expect(store.read().registries[0].images).toEqual([]);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('matches a .dockerignore pattern without backtracking: *a*a…*b against a long name of a', async () => {
    const dir = context({
      '.dockerignore': `${'*a'.repeat(25)}*b\n`,
      Dockerfile: 'FROM scratch\n',
      [`${'a'.repeat(60)}`]: '',
      xaxaxaxaxaxaxaxaxaxaxaxaxaxaxaxaxaxaxaxaxaxaxaxaxab: '',
    });
    // The name of 60 a has no b: sent. The other has 25 a and a b: left out.
    const { files } = await buildWithin(storeWithRegistry(), dir, 10_000);
    expect(files).toEqual(['.dockerignore', 'Dockerfile', 'a'.repeat(60)]);
  });

  it('refuses a context over the bound in one line naming it, its size and the bound, before reading a byte', () => {
    const dir = context({ Dockerfile: 'FROM scratch\n', 'small.txt': 'x' });
    // A sparse file: 1.5 GB that takes no room on the disk.
    writeFileSync(join(dir, 'big.bin'), '');
    truncateSync(join(dir, 'big.bin'), 1_500_000_000);
    const store = storeWithRegistry();
    const size = 1_500_000_000 + 1 + 'FROM scratch\n'.length;
    expect(() =>
      acrBuild(store, {
        registry: 'acrapp',
        image: 'app:1',
        contextDir: dir,
        maxContextBytes: 1024 * 1024,
      }),
    ).toThrow(
      new AcrBuildError([
        `the build context ${dir} is ${size} bytes (1.4 GiB), more than the 1048576 bytes (1.0 MiB) the local az acr build sends (maxContextBytes)`,
      ]),
    );
    expect(store.read().registries[0].images).toEqual([]);
  });
});
