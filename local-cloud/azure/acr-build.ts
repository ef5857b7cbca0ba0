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
 * A `COPY` source that was not sent fails the build as Docker's builder does on ACR Tasks ("COPY failed: file not
 * found in build context or excluded by .dockerignore", e.g. jitsi/moderated-meetings#14, Azure/azure-cli#20413).
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import type { CloudStore } from '../core/cloud-store';

const VCS_NAMES = new Set(['.git', '.gitignore', '.bzr', 'bzrignore', '.hg', '.hgignore', '.svn']);

interface IgnoreRule {
  readonly pattern: RegExp;
  readonly ignore: boolean;
}

// One .dockerignore line as the Azure CLI reads it.
function ignoreRule(line: string): IgnoreRule {
  const ignore = !line.startsWith('!');
  let rule = ignore ? line : line.slice(1).replace(/^\//, '').replace(/\/+$/, '');
  rule = rule
    .split('/')
    .map((token) =>
      token === '**'
        ? '.*'
        : token
            .replace(/[.+^${}()|[\]\\]/g, '\\$&')
            .replace(/\*/g, '[^/]*')
            .replace(/\?/g, '[^/]'),
    )
    .join('/');
  return { pattern: new RegExp(`^${rule.replace(/\.\*\//g, '.*')}$`), ignore };
}

/** The files `az acr build` sends from `contextDir`, relative and sorted; `dockerfile` is always among them. */
export function buildContextFiles(
  contextDir: string,
  dockerfile = join(contextDir, 'Dockerfile'),
): string[] {
  const ignoreFile = join(contextDir, '.dockerignore');
  // Highest priority first: the last line of the file.
  const rules = existsSync(ignoreFile)
    ? readFileSync(ignoreFile, 'utf8')
        .replace(/^\uFEFF/, '')
        .split('\n')
        .map((line) => line.trimEnd())
        .filter((line) => line && !line.startsWith('#'))
        .map(ignoreRule)
        .reverse()
    : undefined;
  const sent: string[] = [];
  const walk = (dir: string, ignoredAbove: boolean, ruleAbove: number) => {
    for (const name of readdirSync(dir).sort()) {
      const path = join(dir, name);
      const rel = relative(contextDir, path).split('\\').join('/');
      let ignored = ignoredAbove;
      let rule = ruleAbove;
      if (VCS_NAMES.has(rel)) ignored = true;
      else if (rules) {
        const index = rules.findIndex((r, i) => i < ruleAbove && r.pattern.test(rel));
        if (index >= 0) [ignored, rule] = [rules[index].ignore, index];
      }
      // A folder left out may still hold files a rule sends.
      if (statSync(path).isDirectory()) walk(path, ignored, rule);
      else if (!ignored) sent.push(rel);
    }
  };
  walk(contextDir, false, rules?.length ?? 0);
  const dockerfileName = relative(contextDir, dockerfile).split('\\').join('/');
  return [...new Set([...sent, dockerfileName])].sort();
}

/** The sources of each `COPY`/`ADD` from the build context (not `--from=` another stage), with its step line. */
function copySources(dockerfile: string): { step: string; sources: string[] }[] {
  const lines = readFileSync(dockerfile, 'utf8')
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
}

/**
 * Pack the context, check every `COPY` source against it, and push `<repository>:<tag>` into the registry; returns
 * the digest the registry then reports (`sha256:` of what was sent, so the same sources give the same digest).
 */
export function acrBuild(store: CloudStore, options: AcrBuildOptions): string {
  const dockerfile = options.dockerfile ?? join(options.contextDir, 'Dockerfile');
  const files = buildContextFiles(options.contextDir, dockerfile);
  for (const { step, sources } of copySources(dockerfile)) {
    for (const source of sources) {
      const wanted = ignoreRule(source.replace(/^\.?\//, '')).pattern;
      if (!files.some((f) => wanted.test(f) || f.startsWith(`${source.replace(/\/+$/, '')}/`)))
        throw new AcrBuildError([
          step,
          `COPY failed: file not found in build context or excluded by .dockerignore: stat ${source}: file does not exist`,
        ]);
    }
  }
  const hash = createHash('sha256');
  for (const file of files)
    hash
      .update(file)
      .update('\0')
      .update(readFileSync(join(options.contextDir, file)));
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
