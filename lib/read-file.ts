import { closeSync, fstatSync, openSync, readdirSync, readSync, type Stats } from 'node:fs';

/** Options of `readTextFile`. */
export interface ReadTextFileOptions {
  /** Refuse a file larger than this: checked while reading, so a device or a pipe cannot fill the memory. */
  readonly maxBytes: number;
  /** What to do about it, added to every message (e.g. `run "npm run synth" first`). @default - nothing */
  readonly hint?: string;
}

/**
 * Read a UTF-8 text file of at most `maxBytes`; throws one line `cannot read <file>: <why>` otherwise.
 *
 * The reason is said in words (not found, a directory, permission denied, larger than the limit), never as a stack.
 */
export function readTextFile(file: string, options: ReadTextFileOptions): string {
  return readCappedFile(file, options).toString('utf8');
}

/** Read a file's bytes, at most `maxBytes`, with the same one-line refusals as `readTextFile`. */
export function readCappedFile(file: string, options: ReadTextFileOptions): Buffer {
  const fail = (why: string): never => {
    throw new Error(`cannot read ${file}: ${why}${options.hint ? ` (${options.hint})` : ''}`);
  };
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch (err) {
    return fail(reasonOf(err));
  }
  try {
    const stats = fstatSync(fd);
    if (stats.isDirectory()) return fail('it is a directory, not a file');
    // A regular file says its size up front; a device or a pipe is read up to the limit and no further.
    if (stats.isFile() && stats.size > options.maxBytes)
      return fail(
        `it is ${describeSize(stats.size)}, more than the ${describeSize(options.maxBytes)} allowed`,
      );
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      const chunk = Buffer.alloc(Math.min(64 * 1024, options.maxBytes + 1 - total));
      let read: number;
      try {
        read = readSync(fd, chunk, 0, chunk.length, null);
      } catch (err) {
        return fail(reasonOf(err));
      }
      if (read === 0) break;
      chunks.push(chunk.subarray(0, read));
      total += read;
      if (total > options.maxBytes)
        return fail(
          `it is ${kindOf(stats)} that gives more than the ${describeSize(options.maxBytes)} allowed`,
        );
    }
    return Buffer.concat(chunks, total);
  } finally {
    closeSync(fd);
  }
}

/** The names in a directory; throws one line `cannot read <dir>: <why>` otherwise. */
export function listDirectory(dir: string, hint?: string): string[] {
  try {
    return readdirSync(dir);
  } catch (err) {
    throw new Error(`cannot read ${dir}: ${reasonOf(err)}${hint ? ` (${hint})` : ''}`);
  }
}

function reasonOf(err: unknown): string {
  const code = (err as NodeJS.ErrnoException).code;
  switch (code) {
    case 'ENOENT':
      return 'not found';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'EISDIR':
      return 'it is a directory, not a file';
    case 'ENOTDIR':
      return 'not a directory';
    case 'ELOOP':
      return 'too many symbolic links';
    default:
      return code ?? (err as Error).message.split('\n')[0].slice(0, 200);
  }
}

/** What a file that is not a regular file is, in words: `a directory`, `a character device`, `a pipe`... */
export function kindOf(stats: Stats): string {
  if (stats.isDirectory()) return 'a directory';
  if (stats.isCharacterDevice()) return 'a character device';
  if (stats.isBlockDevice()) return 'a block device';
  if (stats.isFIFO()) return 'a pipe';
  if (stats.isSocket()) return 'a socket';
  return 'a file';
}

/** A size in words: `512 bytes`, `64 KB`, `64 MB`. */
export function describeSize(bytes: number): string {
  return bytes >= 1024 * 1024
    ? `${Math.round((bytes / 1024 / 1024) * 10) / 10} MB`
    : bytes >= 1024
      ? `${Math.round(bytes / 1024)} KB`
      : `${bytes} bytes`;
}
