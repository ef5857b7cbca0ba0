/**
 * `az acr build` for the local cloud: the build context is packed as the Azure CLI packs it, the Dockerfile's `COPY`
 * sources are checked against what was sent, and the image is pushed into the registry of the local cloud's store,
 * where the kubelet pulls it. No Docker step runs: the local cloud runs the workload program for every image.
 *
 * Packing, read from Azure/azure-cli src/azure-cli/azure/cli/command_modules/acr/_archive_utils.py (commit 08f0efa):
 * `.dockerignore` rules, a later rule winning over an earlier one (`_load_dockerignore_file`); `*` and `?` stay within
 * one path segment and `**` crosses them (`IgnoreRule`); a path no rule matches inherits its folder's decision
 * (`_ignore_check`); `.git` and the other VCS names are always left out; the Dockerfile is always sent
 * (`_pack_source_code`).
 * Each path becomes a tar entry through Python's `tarfile` (`_archive_file_recursively`, L186-203: `gettarinfo`, then
 * only a regular file's content is read, `addfile(tarinfo, f)`; any other entry is a header alone). `gettarinfo` uses
 * `lstat` (`TarFile.dereference` is off by default), so:
 * - a symbolic link is a link entry holding its target's text, never followed: not its target's content, and a link
 *   to a folder is not walked (L206 walks only what `lstat` calls a folder);
 * - a FIFO or a character or block device is a header alone: never opened, so never waited on;
 * - a socket has no tar type, `gettarinfo` returns `None`, and the CLI stops: `tarfile: unsupported type <path>`
 *   (L190-191), whether or not `.dockerignore` leaves it out (the check comes first).
 * A regular file's content is copied into the archive in blocks (`addfile` reads `tarinfo.size` bytes with
 * `copyfileobj`, never the whole file at once), and the archive is uploaded from its file as a stream (L57-58).
 * The CLI checks no size: `upload_source_code` measures the archive only for its "Sending context (… MiB)" line
 * (L33-39). The local cloud bounds what it sends anyway (`maxContextBytes`, its own number, not Azure's), so a context
 * that would take minutes to hash fails at once in one line.
 * `.dockerignore` patterns are matched by a state set over the pattern (linear in the path for each pattern), not a
 * backtracking regular expression, so no pattern can make the walk hang.
 * A `COPY` source that was not sent fails the build as Docker's builder does on ACR Tasks ("COPY failed: file not
 * found in build context or excluded by .dockerignore", e.g. jitsi/moderated-meetings#14, Azure/azure-cli#20413).
 */
import { createHash, type Hash } from 'node:crypto';
import {
  closeSync,
  constants,
  existsSync,
  fstatSync,
  lstatSync,
  openSync,
  readdirSync,
  readlinkSync,
  readSync,
  realpathSync,
  type Stats,
} from 'node:fs';
import { join, relative } from 'node:path';
import type { CloudStore } from '../core/cloud-store';

const VCS_NAMES = new Set(['.git', '.gitignore', '.bzr', 'bzrignore', '.hg', '.hgignore', '.svn']);

/** What the local `az acr build` sends at most, in bytes, unless `maxContextBytes` says otherwise: 1 GiB. */
export const DEFAULT_MAX_CONTEXT_BYTES = 1024 ** 3;

/** One piece of a `.dockerignore` pattern: a character, `?`, `*` (within a segment) or `**` (across segments). */
type Atom = string | { readonly any: 'char' | 'segment' | 'path' };

/**
 * A pattern as the Azure CLI's `IgnoreRule` reads it (`*` and `?` never match `/`; a `**` segment matches anything,
 * `/` included, and takes the `/` after it), matched by a set of states over the pattern: each character of the path
 * advances every live state at once, so a match costs at most (path length) x (pattern length) steps.
 */
class Glob {
  private readonly atoms: Atom[] = [];

  constructor(pattern: string) {
    const tokens = pattern.split('/');
    tokens.forEach((token, i) => {
      if (token === '**') {
        this.atoms.push({ any: 'path' });
        return;
      }
      for (const ch of token)
        this.atoms.push(ch === '*' ? { any: 'segment' } : ch === '?' ? { any: 'char' } : ch);
      if (i < tokens.length - 1) this.atoms.push('/');
    });
  }

  matches(path: string): boolean {
    const n = this.atoms.length;
    let live = this.close(new Uint8Array(n + 1), 0);
    for (const ch of path) {
      const next = new Uint8Array(n + 1);
      let any = false;
      for (let i = 0; i < n; i++) {
        if (!live[i]) continue;
        const atom = this.atoms[i];
        if (typeof atom === 'string') {
          if (atom === ch) next[i + 1] = 1;
        } else if (atom.any === 'char') {
          if (ch !== '/') next[i + 1] = 1;
        } else if (atom.any === 'path' || ch !== '/') next[i] = 1;
        any ||= next[i] === 1 || next[i + 1] === 1;
      }
      if (!any) return false;
      live = this.close(next);
    }
    return live[n] === 1;
  }

  /** Add the states reached without reading a character: past a `*` or `**` that matches nothing. */
  private close(states: Uint8Array, start?: number): Uint8Array {
    if (start !== undefined) states[start] = 1;
    for (let i = 0; i < this.atoms.length; i++) {
      const atom = this.atoms[i];
      if (states[i] && typeof atom !== 'string' && atom.any !== 'char') states[i + 1] = 1;
    }
    return states;
  }
}

interface IgnoreRule {
  readonly pattern: Glob;
  readonly ignore: boolean;
}

// One .dockerignore line as the Azure CLI reads it.
function ignoreRule(line: string): IgnoreRule {
  const ignore = !line.startsWith('!');
  const rule = ignore ? line : line.slice(1).replace(/^\//, '').replace(/\/+$/, '');
  return { pattern: new Glob(rule), ignore };
}

/** One tar entry of the context, as `tarfile.gettarinfo` makes it from `lstat`. */
interface ContextEntry {
  /** The path in the archive, relative to the context, with `/`. */
  readonly name: string;
  /** Where it is on this machine. */
  readonly path: string;
  /** The tar type: a regular file, a symbolic link, a FIFO, a character or block device. */
  readonly type: 'file' | 'link' | 'fifo' | 'char' | 'block';
  /** The bytes the entry carries: a file's size, a link's target text; none for the others. */
  readonly size: number;
  /** A link's target, as written in the link (never resolved). */
  readonly target?: string;
}

/** The entry for `path`, or the Azure CLI's refusal for what tar has no type for (a socket). */
function entryOf(path: string, name: string, stats: Stats): ContextEntry | 'dir' {
  if (stats.isDirectory()) return 'dir';
  if (stats.isFile()) return { name, path, type: 'file', size: stats.size };
  if (stats.isSymbolicLink()) {
    const target = readlinkSync(path);
    return { name, path, type: 'link', size: Buffer.byteLength(target), target };
  }
  if (stats.isFIFO()) return { name, path, type: 'fifo', size: 0 };
  if (stats.isCharacterDevice()) return { name, path, type: 'char', size: 0 };
  if (stats.isBlockDevice()) return { name, path, type: 'block', size: 0 };
  throw new AcrBuildError([`tarfile: unsupported type ${path}`]);
}

/** The entries `az acr build` sends from `contextDir`, sorted by name; `dockerfile` is always among them. */
function contextEntries(contextDir: string, dockerfile: string): ContextEntry[] {
  const ignoreFile = join(contextDir, '.dockerignore');
  // Highest priority first: the last line of the file. The CLI opens it (a link is followed): only a regular file of
  // at most the default bound is read, so a link to a device or a FIFO is one line, not a hang.
  const realIgnoreFile = existsSync(ignoreFile) ? realpathSync(ignoreFile) : undefined;
  const ignoreEntry = realIgnoreFile
    ? entryOf(realIgnoreFile, '.dockerignore', lstatSync(realIgnoreFile))
    : undefined;
  const rules =
    ignoreEntry === undefined
      ? undefined
      : decodeText(readEntry(ignoreEntry, DEFAULT_MAX_CONTEXT_BYTES, ignoreFile))
          .replace(/^\uFEFF/, '')
          .split('\n')
          .map((line) => line.trimEnd())
          .filter((line) => line && !line.startsWith('#'))
          .map(ignoreRule)
          .reverse();
  const sent = new Map<string, ContextEntry>();
  const walk = (dir: string, ignoredAbove: boolean, ruleAbove: number) => {
    for (const name of readdirSync(dir).sort()) {
      const path = join(dir, name);
      const rel = relative(contextDir, path).split('\\').join('/');
      // Typed first, as the CLI does (gettarinfo before the ignore check): a socket stops the build even if left out.
      const entry = entryOf(path, rel, lstatSync(path));
      let ignored = ignoredAbove;
      let rule = ruleAbove;
      if (VCS_NAMES.has(rel)) ignored = true;
      else if (rules) {
        const index = rules.findIndex((r, i) => i < ruleAbove && r.pattern.matches(rel));
        if (index >= 0) [ignored, rule] = [rules[index].ignore, index];
      }
      // A folder left out may still hold files a rule sends. A link to a folder is a link: not walked.
      if (entry === 'dir') walk(path, ignored, rule);
      else if (!ignored) sent.set(rel, entry);
    }
  };
  walk(contextDir, false, rules?.length ?? 0);
  const dockerfileName = relative(contextDir, dockerfile).split('\\').join('/');
  if (!sent.has(dockerfileName)) {
    const entry = entryOf(dockerfile, dockerfileName, lstatSync(dockerfile));
    if (entry !== 'dir') sent.set(dockerfileName, entry);
  }
  return [...sent.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** The files `az acr build` sends from `contextDir`, relative and sorted; `dockerfile` is always among them. */
export function buildContextFiles(
  contextDir: string,
  dockerfile = join(contextDir, 'Dockerfile'),
): string[] {
  return contextEntries(contextDir, dockerfile).map((e) => e.name);
}

const CHUNK_BYTES = 1024 * 1024;

/**
 * Feed an entry's bytes to `sink` a chunk at a time: a file's first `entry.size` bytes (as tar copies `tarinfo.size`
 * bytes), a link's target text; nothing for a FIFO or a device, which is never opened. The file is opened without
 * following a link and without waiting (a FIFO put in its place since it was listed is refused, not waited on).
 */
function streamEntry(entry: ContextEntry, sink: (chunk: Buffer) => void): void {
  if (entry.type === 'link') sink(Buffer.from(entry.target ?? ''));
  if (entry.type !== 'file') return;
  const fd = openSync(entry.path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  try {
    if (!fstatSync(fd).isFile())
      throw new AcrBuildError([
        `${entry.path} changed while the context was packed: it is no longer a file`,
      ]);
    const chunk = Buffer.alloc(Math.min(CHUNK_BYTES, Math.max(entry.size, 1)));
    for (let done = 0; done < entry.size; ) {
      const read = readSync(fd, chunk, 0, Math.min(chunk.length, entry.size - done), null);
      if (read === 0)
        throw new AcrBuildError([
          `${entry.path} changed while the context was packed: it got shorter`,
        ]);
      sink(chunk.subarray(0, read));
      done += read;
    }
  } finally {
    closeSync(fd);
  }
}

/** An entry's bytes in memory, for a file the build itself reads (`.dockerignore`, the Dockerfile), up to `max`. */
function readEntry(entry: ContextEntry | 'dir', max: number, label: string): Buffer {
  if (entry === 'dir' || entry.type !== 'file')
    throw new AcrBuildError([`cannot read ${label}: it is not a regular file`]);
  if (entry.size > max)
    throw new AcrBuildError([
      `cannot read ${label}: it is ${entry.size} bytes, more than the ${max} allowed`,
    ]);
  const chunks: Buffer[] = [];
  streamEntry(entry, (chunk) => chunks.push(Buffer.from(chunk)));
  return Buffer.concat(chunks);
}

function decodeText(bytes: Buffer): string {
  return bytes.toString('utf8');
}

/** `1.4 GiB`, `512.0 KiB`, `12 bytes`. */
function describeSize(bytes: number): string {
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let size = bytes;
  let unit = 'bytes';
  for (const next of units) {
    if (size < 1024) break;
    size /= 1024;
    unit = next;
  }
  return unit === 'bytes' ? `${bytes} bytes` : `${size.toFixed(1)} ${unit}`;
}

/** The sources of each `COPY`/`ADD` from the build context (not `--from=` another stage), with its step line. */
function copySources(dockerfileText: string): { step: string; sources: string[] }[] {
  const lines = dockerfileText
    .replace(/\\\r?\n/g, ' ')
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));
  return lines.flatMap((line, i) => {
    const [instruction, ...rest] = line.split(/\s+/);
    if (!/^(COPY|ADD)$/i.test(instruction)) return [];
    const args = rest.filter((a) => !a.startsWith('--'));
    if (rest.some((a) => a.startsWith('--from='))) return [];
    const list = args.join(' ').startsWith('[') ? (JSON.parse(args.join(' ')) as string[]) : args;
    return [{ step: `Step ${i + 1}/${lines.length} : ${line}`, sources: list.slice(0, -1) }];
  });
}

/** A build that failed, with the lines `az acr build` streams from the run. */
export class AcrBuildError extends Error {
  constructor(readonly lines: readonly string[]) {
    super(lines.join('\n'));
    this.name = 'AcrBuildError';
  }
}

/** What one `az acr build` asks for. */
export interface AcrBuildOptions {
  /** `--registry`: the registry's name. */
  readonly registry: string;
  /** `--image`: `<repository>:<tag>`. */
  readonly image: string;
  /** The source location: the folder whose files are sent. */
  readonly contextDir: string;
  /** `--file`. @default - `Dockerfile` in the context */
  readonly dockerfile?: string;
  /**
   * The most the context may hold, in bytes (files' contents and links' targets): over it, the build fails in one
   * line before a byte is read. The Azure CLI checks none (see above): this bound is the local cloud's own.
   * @default DEFAULT_MAX_CONTEXT_BYTES (1 GiB)
   */
  readonly maxContextBytes?: number;
}

/**
 * Pack the context, check every `COPY` source against it, and push `<repository>:<tag>` into the registry; returns
 * the digest the registry then reports (`sha256:` of what was sent, so the same sources give the same digest).
 */
export function acrBuild(store: CloudStore, options: AcrBuildOptions): string {
  const dockerfile = options.dockerfile ?? join(options.contextDir, 'Dockerfile');
  const maxBytes = options.maxContextBytes ?? DEFAULT_MAX_CONTEXT_BYTES;
  const entries = contextEntries(options.contextDir, dockerfile);
  const total = entries.reduce((sum, e) => sum + e.size, 0);
  if (total > maxBytes)
    throw new AcrBuildError([
      `the build context ${options.contextDir} is ${total} bytes (${describeSize(total)}), more than the ${maxBytes} bytes (${describeSize(maxBytes)}) the local az acr build sends (maxContextBytes)`,
    ]);
  const files = entries.map((e) => e.name);
  // The Dockerfile as sent: a regular file (a link to one is followed, as the builder reads it), within the bound.
  const real = realpathSync(dockerfile);
  const dockerfileText = decodeText(
    readEntry(entryOf(real, dockerfile, lstatSync(real)), maxBytes, `the Dockerfile ${dockerfile}`),
  );
  for (const { step, sources } of copySources(dockerfileText)) {
    for (const source of sources) {
      const wanted = ignoreRule(source.replace(/^\.?\//, '')).pattern;
      if (!files.some((f) => wanted.matches(f) || f.startsWith(`${source.replace(/\/+$/, '')}/`)))
        throw new AcrBuildError([
          step,
          `COPY failed: file not found in build context or excluded by .dockerignore: stat ${source}: file does not exist`,
        ]);
    }
  }
  // Each entry as a tar header would name it (type, size, name), then its bytes, streamed.
  const hash: Hash = createHash('sha256');
  for (const entry of entries) {
    hash.update(`${entry.type} ${entry.size} ${entry.name}\0`);
    streamEntry(entry, (chunk) => hash.update(chunk));
  }
  const digest = `sha256:${hash.digest('hex')}`;
  const [repository, tag = 'latest'] = options.image.split(':');
  store.update((data) => {
    const registry = data.registries.find(
      (r) => r.name.toLowerCase() === options.registry.toLowerCase(),
    );
    if (!registry)
      throw new AcrBuildError([
        `(ResourceNotFound) The Resource 'Microsoft.ContainerRegistry/registries/${options.registry}' under resource group was not found.`,
      ]);
    registry.images = [
      ...registry.images.filter((i) => !(i.repository === repository && i.tag === tag)),
      { repository, tag, digest },
    ];
  });
  return digest;
}
