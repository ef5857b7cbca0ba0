import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PROVIDER_SOURCES_DIR } from '../../../../local-cloud/terraform/generate-facts';
import { citedSources, fetchSource } from '../../../../local-cloud/terraform/provider-sources';
import { ROOT, tempDir } from '../../../support/helpers';

const git = (...args: string[]) => execFileSync('git', args, { encoding: 'utf8', stdio: 'pipe' });

/** A repository `owner/name.git` under a folder served as a git remote (file://), with one commit tagged `tag`. */
function remoteWith(tag: string): string {
  const remote = tempDir('wi-remote-');
  const work = join(remote, 'owner', 'work');
  git('init', '--quiet', work);
  git(
    '-C',
    work,
    '-c',
    'user.name=t',
    '-c',
    'user.email=t@t',
    'commit',
    '--quiet',
    '--allow-empty',
    '-m',
    'x',
  );
  git('-C', work, 'tag', tag);
  git('clone', '--quiet', '--bare', work, join(remote, 'owner', 'name.git'));
  return `file://${remote}`;
}

describe('provider sources', () => {
  it('are read from a folder of the repository, not of one machine', () => {
    expect(PROVIDER_SOURCES_DIR).toBe(join(ROOT, '.provider-sources'));
    expect(git('-C', ROOT, 'check-ignore', '.provider-sources/x')).toContain('.provider-sources');
  });

  it('are the four repositories at the tags the committed facts cite, each once', () => {
    expect(
      citedSources()
        .map((s) => s.repository)
        .sort(),
    ).toEqual([
      'hashicorp/terraform-provider-azuread',
      'hashicorp/terraform-provider-azurerm',
      'hashicorp/terraform-provider-kubernetes',
      'hashicorp/terraform-provider-time',
    ]);
  });

  it('fetch a repository at its tag into <owner>+<name>/repo, and leave one that has it', () => {
    const remote = remoteWith('v1.2.3');
    const sources = tempDir('wi-sources-');
    expect(fetchSource(sources, 'owner/name', 'v1.2.3', remote)).toContain('fetched into');
    const gitDir = join(sources, 'owner+name', 'repo');
    expect(git('-C', gitDir, 'rev-parse', 'v1.2.3').trim()).toMatch(/^[0-9a-f]{40}$/);
    expect(fetchSource(sources, 'owner/name', 'v1.2.3', remote)).toContain('already in');
  });

  it('fails when the tag cannot be fetched, naming the repository, the tag and the way out, and leaves nothing', () => {
    const remote = remoteWith('v1.2.3');
    const sources = tempDir('wi-sources-');
    expect(() => fetchSource(sources, 'owner/name', 'v9.9.9', remote)).toThrow(
      /^cannot fetch owner\/name@v9\.9\.9 from file:.*: with no network here, put a bare clone that has the tag at .*owner\+name\/repo, or pass --sources <dir>$/,
    );
    expect(readdirSync(sources)).toEqual([]);
    expect(existsSync(join(sources, 'owner+name'))).toBe(false);
  });
});
