/**
 * Just enough of a Go reader to take the plugin SDK's schema literals out of a provider's source at a pinned tag:
 * balanced brackets that skip strings, runes and comments, top-level splitting of composite literals, function and
 * constant look-up across a repository's packages (its own and `vendor/`), and line numbers for citations.
 *
 * Used only by `generate-facts.ts`, which runs where the provider mirrors are (never at run time).
 */
import { execFileSync } from 'node:child_process';

/** A file of a repository at a tag: its text and where each line starts. */
export class GoFile {
  private readonly lineStarts: number[] = [0];
  readonly imports = new Map<string, string>();

  constructor(
    readonly path: string,
    readonly text: string,
  ) {
    for (let i = 0; i < text.length; i++) if (text[i] === '\n') this.lineStarts.push(i + 1);
    const block = /^import \(([\s\S]*?)^\)/m.exec(text)?.[1] ?? '';
    const single = [...text.matchAll(/^import (\w+ )?"([^"]+)"$/gm)].map((m) => m[0]);
    for (const line of [...block.split('\n'), ...single]) {
      const m = /^\s*(?:import\s+)?(\w+\s+)?"([^"]+)"/.exec(line);
      if (!m?.[2]) continue;
      const alias = m[1]?.trim() || (m[2].split('/').at(-1) as string);
      this.imports.set(alias.replace(/^v\d+$/, m[2].split('/').at(-2) as string), m[2]);
    }
  }

  /** The 1-based line of offset `at`. */
  line(at: number): number {
    let lo = 0;
    let hi = this.lineStarts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if ((this.lineStarts[mid] as number) <= at) lo = mid;
      else hi = mid - 1;
    }
    return lo + 1;
  }
}

/** A span of a file's text. */
export interface Span {
  readonly file: GoFile;
  readonly start: number;
  readonly end: number;
}

export const spanText = (s: Span) => s.file.text.slice(s.start, s.end);

/** Skip a string, rune or comment starting at `i`; the offset after it, or `i` when none starts there. */
function skip(text: string, i: number): number {
  const c = text[i];
  if (c === '"' || c === "'") {
    let j = i + 1;
    while (j < text.length && text[j] !== c) j += text[j] === '\\' ? 2 : 1;
    return j + 1;
  }
  if (c === '`') return text.indexOf('`', i + 1) + 1;
  if (c === '/' && text[i + 1] === '/') {
    const end = text.indexOf('\n', i);
    return end < 0 ? text.length : end;
  }
  if (c === '/' && text[i + 1] === '*') return text.indexOf('*/', i + 2) + 2;
  return i;
}

const OPEN: { [c: string]: string } = { '(': ')', '{': '}', '[': ']' };

/** The offset just after the bracket that closes the one at `open`. */
export function closeOf(text: string, open: number): number {
  const stack: string[] = [];
  let i = open;
  while (i < text.length) {
    const after = skip(text, i);
    if (after !== i) {
      i = after;
      continue;
    }
    const c = text[i] as string;
    if (OPEN[c]) stack.push(OPEN[c] as string);
    else if (c === ')' || c === '}' || c === ']') {
      if (stack.pop() !== c) throw new Error(`unbalanced ${c} at offset ${i}`);
      if (stack.length === 0) return i + 1;
    }
    i++;
  }
  throw new Error(`no closing bracket for offset ${open}`);
}

/** Split `[start, end)` at top-level `sep` characters (outside brackets, strings and comments); trimmed, non-empty. */
export function splitTop(file: GoFile, start: number, end: number, sep = ','): Span[] {
  const parts: Span[] = [];
  const text = file.text;
  let from = start;
  let i = start;
  const push = (to: number) => {
    let a = from;
    let b = to;
    for (;;) {
      while (a < b && /\s/.test(text[a] as string)) a++;
      const after = skip(text, a);
      if (after !== a && a < b && text[a] === '/') {
        a = after;
        continue;
      }
      break;
    }
    while (b > a && /\s/.test(text[b - 1] as string)) b--;
    if (b > a) parts.push({ file, start: a, end: b });
  };
  while (i < end) {
    const after = skip(text, i);
    if (after !== i) {
      i = after;
      continue;
    }
    const c = text[i] as string;
    if (OPEN[c]) {
      i = closeOf(text, i);
      continue;
    }
    if (c === sep) {
      push(i);
      from = i + 1;
    }
    i++;
  }
  push(end);
  return parts;
}

/** `key: value` at the top level of a span: the key's text and the value's span. */
export function keyValue(span: Span): { key: string; value: Span } | undefined {
  const text = span.file.text;
  let i = span.start;
  while (i < span.end) {
    const after = skip(text, i);
    if (after !== i) {
      i = after;
      continue;
    }
    const c = text[i] as string;
    if (OPEN[c]) {
      i = closeOf(text, i);
      continue;
    }
    if (c === ':' && text[i + 1] !== '=') {
      let v = i + 1;
      while (/\s/.test(text[v] as string)) v++;
      return {
        key: text.slice(span.start, i).trim(),
        value: { file: span.file, start: v, end: span.end },
      };
    }
    i++;
  }
  return undefined;
}

/** A Go string literal's value (interpreted or raw). */
export function goString(literal: string): string | undefined {
  const t = literal.trim();
  if (t.startsWith('`') && t.endsWith('`')) return t.slice(1, -1);
  if (t.startsWith('"') && t.endsWith('"')) {
    try {
      return JSON.parse(t) as string;
    } catch {
      return undefined;
    }
  }
  return undefined;
}

/** One repository at one tag, read through `git` from a bare mirror. */
export class GoRepo {
  private readonly files = new Map<string, GoFile>();
  private readonly listings = new Map<string, string[]>();

  constructor(
    readonly gitDir: string,
    readonly tag: string,
    /** The Go module path of the repository itself (its imports resolve into it, others into `vendor/`). */
    readonly module: string,
  ) {}

  file(path: string): GoFile {
    let file = this.files.get(path);
    if (!file) {
      const text = execFileSync('git', ['-C', this.gitDir, 'show', `${this.tag}:${path}`], {
        encoding: 'utf8',
        maxBuffer: 64 * 1024 * 1024,
      });
      file = new GoFile(path, text);
      this.files.set(path, file);
    }
    return file;
  }

  /** The non-test Go files of a package directory (none when the tag has no such directory), read in one batch. */
  packageFiles(dir: string): string[] {
    let list = this.listings.get(dir);
    if (!list) {
      let names: string[] = [];
      try {
        names = execFileSync(
          'git',
          ['-C', this.gitDir, 'ls-tree', '--name-only', `${this.tag}:${dir}`],
          { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] },
        ).split('\n');
      } catch {
        // A package outside the repository and its vendor directory (a module that is not vendored).
      }
      list = names
        .filter((n) => n.endsWith('.go') && !n.endsWith('_test.go'))
        .map((n) => `${dir}/${n}`);
      this.listings.set(dir, list);
      this.load(list.filter((path) => !this.files.has(path)));
    }
    return list;
  }

  /** Read many files with one `git cat-file --batch`. */
  private load(paths: string[]): void {
    if (paths.length === 0) return;
    const out = execFileSync('git', ['-C', this.gitDir, 'cat-file', '--batch'], {
      input: paths.map((p) => `${this.tag}:${p}\n`).join(''),
      maxBuffer: 512 * 1024 * 1024,
    });
    let at = 0;
    for (const path of paths) {
      const header = out.subarray(at, out.indexOf(10, at)).toString('utf8');
      const size = Number(header.split(' ')[2]);
      const start = out.indexOf(10, at) + 1;
      this.files.set(path, new GoFile(path, out.subarray(start, start + size).toString('utf8')));
      at = start + size + 1;
    }
  }

  /** The directory of an imported package. */
  packageDir(importPath: string): string {
    return importPath.startsWith(`${this.module}/`)
      ? importPath.slice(this.module.length + 1)
      : `vendor/${importPath}`;
  }

  /** The package directory that `qualifier` names in `file` (its own directory when there is none). */
  resolvePackage(file: GoFile, qualifier: string | undefined): string | undefined {
    if (!qualifier) return file.path.slice(0, file.path.lastIndexOf('/'));
    const imported = file.imports.get(qualifier);
    return imported ? this.packageDir(imported) : undefined;
  }

  /** A function's body (between its braces), by name and optional receiver type, in a package. */
  func(dir: string, name: string, receiver?: string): Span | undefined {
    const pattern = receiver
      ? new RegExp(`^func \\(\\w+ \\*?${receiver}\\) ${name}\\(`, 'm')
      : new RegExp(`^func ${name}\\(`, 'm');
    for (const path of this.packageFiles(dir)) {
      const file = this.file(path);
      const m = pattern.exec(file.text);
      if (!m) continue;
      const open = file.text.indexOf('{\n', m.index);
      return { file, start: open + 1, end: closeOf(file.text, open) - 1 };
    }
    return undefined;
  }

  /** A string constant's value and where it is declared (`Name Type = "value"` or `Name = "value"`). */
  constant(dir: string, name: string): { value: string; file: GoFile; at: number } | undefined {
    const pattern = new RegExp(`^\\s*${name}\\s+(?:\\w+\\s+)?=\\s*("[^"\\n]*")`, 'm');
    for (const path of this.packageFiles(dir)) {
      const file = this.file(path);
      const m = pattern.exec(file.text);
      if (m?.[1]) return { value: goString(m[1]) as string, file, at: m.index };
    }
    return undefined;
  }
}
