import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { listDirectory, readTextFile } from '../../../lib/read-file';
import { tempDir } from '../../support/helpers';

describe('readTextFile', () => {
  const read =
    (file: string, maxBytes = 1024) =>
    () =>
      readTextFile(file, { maxBytes, hint: 'try again' });

  it('reads a file up to the limit', () => {
    const file = join(tempDir(), 'ok.txt');
    writeFileSync(file, 'x'.repeat(1024));
    expect(read(file)()).toBe('x'.repeat(1024));
  });

  it('fails when the file does not exist, naming it and saying what to do', () => {
    expect(read('/nonexistent/x.yaml')).toThrow(
      'cannot read /nonexistent/x.yaml: not found (try again)',
    );
  });

  it('fails when the path is a directory', () => {
    const dir = tempDir();
    expect(read(dir)).toThrow(`cannot read ${dir}: it is a directory, not a file (try again)`);
  });

  it('fails when a file is over the limit, before reading it', () => {
    const file = join(tempDir(), 'big.txt');
    writeFileSync(file, 'x'.repeat(2048));
    expect(read(file)).toThrow(
      `cannot read ${file}: it is 2 KB, more than the 1 KB allowed (try again)`,
    );
  });

  it('fails when a device gives more than the limit, reading no further', () => {
    expect(read('/dev/zero')).toThrow(
      'cannot read /dev/zero: it is a character device that gives more than the 1 KB allowed (try again)',
    );
    expect(read('/dev/null')()).toBe('');
  });

  it.skipIf(process.getuid?.() === 0)('fails when the file is unreadable', () => {
    const file = join(tempDir(), 'secret.yaml');
    writeFileSync(file, 'a: 1');
    chmodSync(file, 0o000);
    expect(read(file)).toThrow(`cannot read ${file}: permission denied (try again)`);
  });
});

describe('listDirectory', () => {
  it('fails naming the folder when it is a file or missing', () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'file'), '');
    mkdirSync(join(dir, 'sub'));
    expect(listDirectory(dir).sort()).toEqual(['file', 'sub']);
    expect(() => listDirectory(join(dir, 'file'), 'run synth')).toThrow(
      `cannot read ${join(dir, 'file')}: not a directory (run synth)`,
    );
    expect(() => listDirectory(join(dir, 'none'))).toThrow(
      `cannot read ${join(dir, 'none')}: not found`,
    );
  });
});
