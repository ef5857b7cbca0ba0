import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { lockWorkDir } from '../../../local-cloud/core/work-dir';
import { ROOT, tempDir } from '../../support/helpers';

/** Every TypeScript file under `dir`. */
function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sources(path);
    return path.endsWith('.ts') ? [path] : [];
  });
}

describe('the local cloud stands apart from what it checks', () => {
  it('shares no parser or reference code with verify/: a stand-in must not share a bug with its checker', () => {
    const offenders = sources(join(ROOT, 'local-cloud')).filter((file) =>
      /(?:from\s+|import\()\s*['"](?:\.\.\/)+verify\//.test(readFileSync(file, 'utf8')),
    );
    expect(offenders.map((f) => relative(ROOT, f))).toEqual([]);
  });
});

describe('a demo holds its work directory', () => {
  it('fails when another demo holds the work directory, naming the process and the way out', () => {
    const dir = tempDir('wi-demo-lock-');
    const release = lockWorkDir(dir);
    try {
      expect(() => lockWorkDir(dir)).toThrow(
        `${dir} is in use by another demo (process ${process.pid}): wait for it to end, or give this one another directory with --work-dir`,
      );
    } finally {
      release();
    }
    // Released: the next demo takes it.
    lockWorkDir(dir)();
  });

  it('fails when the work directory is a file, naming it and the option', () => {
    const file = join(tempDir('wi-demo-lock-'), 'a-file');
    writeFileSync(file, '');
    expect(() => lockWorkDir(file)).toThrow(
      `work directory ${file} is not a directory: give --work-dir a folder (it is created when missing)`,
    );
  });

  it('takes over a lock left by a demo that died', () => {
    // GIVEN the demo's own work directory, whose lock a demo that died left (no process has this pid: it is above
    // the kernel's pid_max)
    const dir = tempDir('wi-demo-lock-');
    lockWorkDir(dir)();
    writeFileSync(join(dir, 'run.lock'), '4194305');
    const release = lockWorkDir(dir);
    expect(readFileSync(join(dir, 'run.lock'), 'utf8')).toBe(String(process.pid));
    release();
  });
});
