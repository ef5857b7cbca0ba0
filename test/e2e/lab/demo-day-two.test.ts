// Day two of the demo: `npm start` again on the same work directory, then every `tflocal` example of docs/tflocal.md on
// the deployment the demo made, in the same Terraform state.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { CloudStoreData } from '../../../local-cloud/core/cloud-store';
import { CLI, ROOT } from '../../support/helpers';

const cwd = mkdtempSync(join(tmpdir(), 'wi-day-two-'));
afterAll(() => rmSync(cwd, { recursive: true, force: true }));

/** The tflocal session of the docs: the first bash block of docs/tflocal.md, one command a line. */
function docsTflocalCommands(): string[] {
  const page = readFileSync(join(ROOT, 'docs', 'tflocal.md'), 'utf8');
  const block = /```bash\n([\s\S]*?)```/.exec(page)?.[1] ?? '';
  return block
    .split('\n')
    .map((line) => line.replace(/#.*$/, '').trim())
    .filter(Boolean);
}

/** A documented command as `npm` runs it: the compiled command line in plain Node.js. */
function run(command: string) {
  const words = command.split(/\s+/);
  const args =
    command === 'npm start'
      ? ['demo']
      : command === 'npm run synth'
        ? ['synth']
        : words.slice(0, 4).join(' ') === 'npm run cli --'
          ? words.slice(4)
          : undefined;
  if (!args)
    throw new Error(
      `docs/tflocal.md's tflocal block has a command the test cannot run: ${command}`,
    );
  const result = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', cwd });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

const store = () =>
  JSON.parse(readFileSync(join(cwd, '.local-cloud', 'cloud-store.json'), 'utf8')) as CloudStoreData;

describe('npm start on day two, then tflocal', () => {
  it("runs the lab twice on one work directory, then every tflocal example of docs/tflocal.md on the demo's deployment", () => {
    const commands = docsTflocalCommands();
    expect(commands[0]).toBe('npm start');
    expect(commands.filter((c) => c.includes(' tflocal ')).length).toBeGreaterThanOrEqual(6);

    // Day one
    const first = run('npm start');
    expect(first.stderr).toBe('');
    expect(first.stdout).toContain('      pod/demo-pod created\n');
    // The same line as tflocal's below: one code path finds the values for both
    expect(first.stdout).toContain(
      "      TF_VAR_secret_password, TF_VAR_secret_username not set: using the lab's demo values\n",
    );
    expect(first.stdout).toContain('Your secret is admin');
    expect(first.code).toBe(0);

    for (const command of commands) {
      const result = run(command);
      const out = `${result.stdout}${result.stderr}`;
      expect(result.code, `${command}\n${out}`).toBe(0);
      if (command === 'npm start') {
        // Day two: nothing to change in Azure; the manifests applied again as kubectl applies them. The pod's live
        // lists hold the webhook's items, so kubectl sends a patch that only orders them
        // (kubernetes/kubernetes#66450) and the API server applies it without a change.
        expect(out).toContain('No changes. Your infrastructure matches the configuration.');
        expect(out).toContain(
          [
            '      namespace/workload-id-test unchanged',
            '      serviceaccount/workload-id-sa unchanged',
            '      pod/demo-pod configured',
          ].join('\n'),
        );
        expect(out).toContain('Your secret is admin');
      }
      if (command.includes(' tflocal ')) {
        expect(result.stderr).toMatch(
          /^tflocal: terraform .* in \.local-cloud\/cdktf\.out\/stacks\/workload-identity(-k8s)? \(local providers, subscription [0-9a-f-]{36}\)$/m,
        );
        // The demo initialized its stack's directory: tflocal uses it as it is
        if (!command.includes('--dir')) expect(out).not.toContain('Initializing the backend');
      }
      if (command.endsWith('tflocal -- plan')) expect(out).toContain('No changes.');
      if (command.endsWith('-- apply -auto-approve')) {
        expect(out).toContain(
          "tflocal: TF_VAR_secret_password, TF_VAR_secret_username not set: using the lab's demo values",
        );
        expect(out).toContain('Apply complete! Resources: 10 added, 0 changed, 0 destroyed.');
      }
      if (command.endsWith('-- destroy -auto-approve')) {
        expect(out).toContain('Destroy complete! Resources: 10 destroyed.');
        // What the demo made is gone from the local cloud too: its group, cluster (and the pod in it), identity
        const after = store();
        expect(after.resourceGroups.map((g) => g.name)).not.toContain('workload-id-rg');
        expect(after.clusters).toEqual([]);
        expect(after.identities).toEqual([]);
        expect(after.kubernetesObjects).toEqual([]);
      }
    }
    expect(store().clusters.map((c) => c.name)).toEqual(['workload-id-aks']);
  });
});
