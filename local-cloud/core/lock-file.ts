/**
 * A lock file holding its owner's process id: the store's lock (provider processes write at once) and the demo's
 * hold on its work directory share it.
 */
import {
  closeSync,
  fstatSync,
  linkSync,
  openSync,
  readSync,
  rmdirSync,
  statSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';

/** Options of `takeLockFile`. */
export interface LockFileOptions {
  /** How long to wait for a live owner to let go. @default 0 (fail at once) */
  readonly waitMs?: number;
  /** The error to throw when a live owner holds the lock for longer than `waitMs`. */
  readonly busy: (owner: number) => Error;
  /** Told why a lock left behind was taken over (its owner is gone, or the file holds no owner). */
  readonly onTakeOver?: (reason: string) => void;
}

const sleepBuffer = new Int32Array(new SharedArrayBuffer(4));

/** Whether a process with this id runs (EPERM: it runs, as another user). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Take `file` for this process and return its release. A lock is created whole (written aside, then linked into
 * place), so a lock file that is empty or holds no process id was never a live lock: it is taken over at once, as
 * one whose owner has died.
 */
export function takeLockFile(file: string, options: LockFileOptions): () => void {
  const deadline = Date.now() + (options.waitMs ?? 0);
  const mine = String(process.pid);
  for (;;) {
    const aside = `${file}.${process.pid}.new`;
    writeFileSync(aside, mine);
    try {
      linkSync(aside, file);
      return () => {
        // Only our own: a lock is never removed from under the process that holds it now.
        if (ownerOf(file)?.text === mine) unlinkSync(file);
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    } finally {
      unlinkSync(aside);
    }
    const owner = ownerOf(file);
    if (!owner) continue;
    const pid = /^[1-9]\d{0,9}$/.test(owner.text) ? Number(owner.text) : undefined;
    const stale =
      owner.reason ??
      (pid === undefined
        ? owner.text === ''
          ? 'it is empty'
          : 'it holds no process id'
        : processAlive(pid)
          ? undefined
          : `process ${pid} that held it is gone`);
    if (stale === undefined) {
      if (Date.now() >= deadline) throw options.busy(pid as number);
      Atomics.wait(sleepBuffer, 0, 0, 5);
      continue;
    }
    // Removed only if it is still the file judged stale: another process may have taken it over meanwhile.
    try {
      if (statSync(file).ino !== owner.ino) continue;
      if (owner.directory) rmdirSync(file);
      else unlinkSync(file);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue;
      throw new Error(`cannot take over the lock ${file} (${stale}): remove it by hand`);
    }
    options.onTakeOver?.(`took over the lock ${file}: ${stale}`);
  }
}

/** What the lock file holds (its first bytes, never more), or why it cannot say; undefined once it is gone. */
function ownerOf(
  file: string,
): { text: string; ino: number; directory: boolean; reason?: string } | undefined {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return undefined;
    let ino = 0;
    try {
      ino = statSync(file).ino;
    } catch {
      return undefined;
    }
    return { text: '', ino, directory: false, reason: `it cannot be read (${code})` };
  }
  try {
    const stats = fstatSync(fd);
    if (stats.isDirectory())
      return { text: '', ino: stats.ino, directory: true, reason: 'it is a directory' };
    if (!stats.isFile())
      return { text: '', ino: stats.ino, directory: false, reason: 'it is not a regular file' };
    const buffer = Buffer.alloc(16);
    const length = readSync(fd, buffer, 0, buffer.length, 0);
    return {
      text: buffer.subarray(0, length).toString('latin1').trim(),
      ino: stats.ino,
      directory: false,
    };
  } finally {
    closeSync(fd);
  }
}
