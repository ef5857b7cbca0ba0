// The local cloud's store file: a corrupt or hostile file gets one line that names it and the way out, never its
// content (it holds secret values); a lock left behind is taken over at once.
import { mkdirSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CloudStore, emptyStoreData, storeFileIn } from '../../../local-cloud/core/cloud-store';
import { tempDir } from '../../support/helpers';

const SECRET = 'hunter2-secret-value';
const START_OVER = 'delete it to start an empty local cloud, or run the demo with --reset';

/** A store file holding `content` (a secret value among it, to prove the message never quotes it). */
function storeWith(content: string | Buffer): CloudStore {
  const file = storeFileIn(tempDir('wi-store-'));
  writeFileSync(file, content);
  return new CloudStore(file);
}

/** What read() and update() throw: both must give the same one line. */
function failures(store: CloudStore): string[] {
  const messages: string[] = [];
  for (const use of [() => store.read(), () => store.update(() => undefined)]) {
    try {
      use();
      messages.push('(no error)');
    } catch (err) {
      expect((err as Error).name).toBe('CloudStoreError');
      messages.push((err as Error).message);
    }
  }
  for (const message of messages) {
    expect(message).not.toContain('\n');
    expect(message).not.toContain(SECRET);
    expect(message).not.toContain('hunter2');
  }
  return messages;
}

describe('a corrupt store', () => {
  const whole = JSON.stringify({
    ...emptyStoreData(),
    keyVaults: [{ name: 'kv', secrets: [{ name: 's', value: SECRET }] }],
  });
  const cases: [string, () => CloudStore, string][] = [
    [
      'garbage',
      () => storeWith(`${SECRET} is not json`),
      'is not valid JSON (truncated or overwritten)',
    ],
    [
      'truncated',
      () => storeWith(whole.slice(0, whole.indexOf(SECRET) + 8)),
      'is not valid JSON (truncated or overwritten)',
    ],
    ['empty', () => storeWith(''), 'is empty'],
    ['NUL bytes', () => storeWith(Buffer.alloc(4096)), 'holds NUL bytes (a write was cut short)'],
    ['JSON null', () => storeWith('null'), 'is not a JSON object'],
    [
      'an unknown version',
      () => storeWith(JSON.stringify({ ...JSON.parse(whole), version: 7 })),
      'has version 7, and this local cloud reads version 1',
    ],
    [
      'a list of the wrong shape',
      () => storeWith(JSON.stringify({ ...JSON.parse(whole), keyVaults: { [SECRET]: 1 } })),
      'has a "keyVaults" that is not a list',
    ],
  ];
  for (const [name, make, why] of cases) {
    it(`fails when the store is ${name}, with one line naming the file and the way out`, () => {
      const store = make();
      expect(failures(store)).toEqual([
        `local cloud store ${store.file} ${why}: ${START_OVER}`,
        `local cloud store ${store.file} ${why}: ${START_OVER}`,
      ]);
    });
  }

  it('fails when the store is a directory, naming it', () => {
    const file = storeFileIn(tempDir('wi-store-'));
    mkdirSync(file);
    expect(failures(new CloudStore(file))).toEqual([
      `local cloud store: cannot read ${file}: it is a directory, not a file (${START_OVER})`,
      `local cloud store: cannot read ${file}: it is a directory, not a file (${START_OVER})`,
    ]);
  });

  it('reads a store written before a list was added, with that list empty', () => {
    const { nodePools: _, ...older } = emptyStoreData();
    const store = storeWith(JSON.stringify(older));
    expect(store.read().nodePools).toEqual([]);
  });
});

describe('bounded reads of the store', () => {
  it('fails at once when the store is a symlink to /dev/zero, without filling the memory', () => {
    const file = storeFileIn(tempDir('wi-store-'));
    symlinkSync('/dev/zero', file);
    expect(failures(new CloudStore(file))).toEqual([
      `local cloud store: cannot read ${file}: it is a character device that gives more than the 16 MB allowed (${START_OVER})`,
      `local cloud store: cannot read ${file}: it is a character device that gives more than the 16 MB allowed (${START_OVER})`,
    ]);
  });

  it('fails when the store is larger than its 16 MB limit, before reading it', () => {
    const store = storeWith('{}');
    // A sparse file: large, and no disk used.
    truncateSync(store.file, 17 * 1024 * 1024);
    expect(failures(store)).toEqual([
      `local cloud store: cannot read ${store.file}: it is 17 MB, more than the 16 MB allowed (${START_OVER})`,
      `local cloud store: cannot read ${store.file}: it is 17 MB, more than the 16 MB allowed (${START_OVER})`,
    ]);
  });
});

describe('the store lock', () => {
  const lockCases: [string, (lock: string) => void][] = [
    ['empty (owner 0)', (lock) => writeFileSync(lock, '')],
    ['not a process id', (lock) => writeFileSync(lock, 'garbage')],
    ['zero', (lock) => writeFileSync(lock, '0')],
    ['a symlink to /dev/zero', (lock) => symlinkSync('/dev/zero', lock)],
    ['an empty directory', (lock) => mkdirSync(lock)],
    // No process has this pid (above the kernel's pid_max).
    ['held by a process that is gone', (lock) => writeFileSync(lock, '4194305')],
  ];
  for (const [name, leave] of lockCases) {
    it(`takes over a lock that is ${name} at once, not after the 30 s wait`, () => {
      const store = new CloudStore(storeFileIn(tempDir('wi-store-'))).init();
      leave(`${store.file}.lock`);
      // A live owner would make this wait 30 s and then fail, naming the owner.
      store.update((data) => {
        data.tenants.push('t2');
      });
      expect(store.read().tenants).toContain('t2');
    });
  }
});
