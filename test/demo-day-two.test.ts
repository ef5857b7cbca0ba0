// Day two of the demo: `npm start` again on the same work directory, then `tflocal` on the deployment it made, in
// the same Terraform state.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CLI } from './helpers';

const cwd = mkdtempSync(join(tmpdir(), 'wi-day-two-'));
afterAll(() => rmSync(cwd, { recursive: true, force: true }));

function cli(...args: string[]) {
  const result = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', cwd });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe('npm start on day two', () => {
  it('runs the lab twice on one work directory: the second apply of the manifests changes nothing', () => {
    const first = cli('demo');
    expect(first.stderr).toBe('');
    expect(first.stdout).toContain('Your secret is admin');
    expect(first.code).toBe(0);
    expect(first.stdout).toContain('      pod/demo-pod created\n');

    const second = cli('demo');
    expect(second.stderr).toBe('');
    expect(second.stdout).toContain('No changes. Your infrastructure matches the configuration.');
    // As kubectl prints them: the pod's live lists hold the webhook's items, so kubectl sends a patch that only
    // orders them (kubernetes/kubernetes#66450), and the API server applies it without a change
    expect(second.stdout).toContain(
      [
        '      namespace/workload-id-test unchanged',
        '      serviceaccount/workload-id-sa unchanged',
        '      pod/demo-pod configured',
      ].join('\n'),
    );
    expect(second.stdout).toContain('Your secret is admin');
    expect(second.code).toBe(0);
  });
});
