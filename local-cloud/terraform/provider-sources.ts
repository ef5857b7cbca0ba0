/**
 * Fill `.provider-sources/` (or `--sources <dir>`) with bare clones of the providers' repositories at the tags the
 * facts cite, where a network allows: what `npm run facts` and the facts test read. Run: `npm run provider-sources`.
 *
 * The repositories and tags come from the facts files themselves (`facts/<provider>.json`: `repository`, `tag`), so
 * the sources are always the ones the committed facts were read from. Each is fetched alone, at its tag only
 * (`--depth 1`), into `<owner>+<name>/repo`; one already there with its tag is left as it is.
 */
import { execFileSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmdirSync,
  rmSync,
} from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { MIRRORS } from './generate-facts';

const FACTS_DIR = fileURLToPath(new URL('facts', import.meta.url));

/** The repositories and tags the committed facts cite. */
export function citedSources(): { repository: string; tag: string }[] {
  const cited = readdirSync(FACTS_DIR)
    .filter((name) => name.endsWith('.json'))
    .map((name) => JSON.parse(readFileSync(join(FACTS_DIR, name), 'utf8')))
    .map(({ repository, tag }) => `${repository}@${tag}`);
  return [...new Set(cited)].map((source) => {
    const [repository, tag] = source.split('@');
    return { repository, tag };
  });
}

function git(args: string[]): string {
  return execFileSync('git', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

function hasTag(gitDir: string, tag: string): boolean {
  try {
    git(['-C', gitDir, 'rev-parse', '--verify', '--quiet', `refs/tags/${tag}`]);
    return true;
  } catch {
    return false;
  }
}

/** Fetch one repository at one tag into `<sources>/<owner>+<name>/repo`; returns what it did, in words. */
export function fetchSource(
  sources: string,
  repository: string,
  tag: string,
  remote = 'https://github.com',
): string {
  const gitDir = join(sources, repository.replace('/', '+'), 'repo');
  if (existsSync(gitDir) && hasTag(gitDir, tag))
    return `${repository}@${tag}: already in ${gitDir}`;
  const url = `${remote}/${repository}.git`;
  // An existing clone gets the tag added; a new one is made beside its place and renamed in once it has the tag, so
  // a failed fetch leaves nothing half-made.
  const target = existsSync(join(gitDir, 'HEAD')) ? gitDir : `${gitDir}.partial-${process.pid}`;
  try {
    if (target !== gitDir) {
      mkdirSync(target, { recursive: true });
      git(['init', '--quiet', '--bare', target]);
    }
    git([
      '-C',
      target,
      'fetch',
      '--quiet',
      '--depth',
      '1',
      url,
      `refs/tags/${tag}:refs/tags/${tag}`,
    ]);
    if (target !== gitDir) renameSync(target, gitDir);
  } catch (error) {
    if (target !== gitDir) {
      rmSync(target, { recursive: true, force: true });
      // the repository's folder too, when this fetch made it
      if (readdirSync(dirname(gitDir)).length === 0) rmdirSync(dirname(gitDir));
    }
    const stderr = String((error as { stderr?: string }).stderr ?? error)
      .trim()
      .split('\n')
      .at(-1);
    throw new Error(
      `cannot fetch ${repository}@${tag} from ${url} (${stderr}): with no network here, put a bare clone that has the tag at ${gitDir}, or pass --sources <dir>`,
    );
  }
  return `${repository}@${tag}: fetched into ${gitDir}`;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const { values } = parseArgs({ options: { sources: { type: 'string' } } });
  const sources = values.sources ?? MIRRORS;
  let failed = false;
  for (const { repository, tag } of citedSources()) {
    try {
      console.log(fetchSource(sources, repository, tag));
    } catch (error) {
      console.error(`provider-sources: ${(error as Error).message}`);
      failed = true;
    }
  }
  process.exitCode = failed ? 1 : 0;
}
