// The local `az acr build` with what a unit test cannot make (a FIFO needs mkfifo) or should not wait for (hashing a
// file over 2 GiB takes seconds): it never waits on a FIFO, and it streams a file instead of reading it whole.
import { spawnSync } from 'node:child_process';
import { truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { acrBuild } from '../../../local-cloud/azure/acr-build';
import { ROOT, tempDir } from '../../support/helpers';
import { storeWithRegistry } from '../../support/local-cloud-helpers';

describe('az acr build on the local cloud, with a hostile context', () => {
  it('never waits on a FIFO in the context: it is an entry of its own, never opened', () => {
    const dir = tempDir('wi-context-');
    writeFileSync(join(dir, 'Dockerfile'), 'FROM scratch\n');
    expect(spawnSync('mkfifo', [join(dir, 'pipe')]).status).toBe(0);
    const store = storeWithRegistry();
    // In a process of its own with a deadline: a build that opens the FIFO blocks in the read, where no timer runs.
    const module = (path: string) => JSON.stringify(join(ROOT, 'local-cloud', ...path.split('/')));
    const script = `Promise.all([import(${module('azure/acr-build.ts')}), import(${module('core/cloud-store.ts')})])
      .then(([build, { CloudStore }]) => {
        const files = build.buildContextFiles(${JSON.stringify(dir)});
        const options = { registry: 'acrapp', image: 'app:1', contextDir: ${JSON.stringify(dir)} };
        const digest = build.acrBuild(new CloudStore(${JSON.stringify(store.file)}), options);
        console.log(JSON.stringify({ files, digest }));
      });`;
    const run = spawnSync(process.execPath, ['--import', 'tsx', '-e', script], {
      cwd: ROOT,
      encoding: 'utf8',
      timeout: 30_000,
      killSignal: 'SIGKILL',
    });
    expect(run.signal, 'the build was still waiting on the FIFO after 30 s').toBeNull();
    expect(run.stderr).toBe('');
    const { files, digest } = JSON.parse(run.stdout);
    expect(files).toEqual(['Dockerfile', 'pipe']);
    expect(store.read().registries[0].images).toEqual([{ repository: 'app', tag: '1', digest }]);
  });

  it('hashes a file by streaming it: a file over 2 GiB, which no single read can hold, is sent', () => {
    const dir = tempDir('wi-context-');
    writeFileSync(join(dir, 'Dockerfile'), 'FROM scratch\nCOPY big.bin /\n');
    // Sparse: 2 GiB and 1 MiB that take no room on the disk.
    writeFileSync(join(dir, 'big.bin'), '');
    truncateSync(join(dir, 'big.bin'), 2 * 1024 ** 3 + 1024 ** 2);
    const store = storeWithRegistry();
    const digest = acrBuild(store, {
      registry: 'acrapp',
      image: 'app:1',
      contextDir: dir,
      maxContextBytes: 3 * 1024 ** 3,
    });
    expect(digest).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(store.read().registries[0].images).toEqual([{ repository: 'app', tag: '1', digest }]);
  });
});
