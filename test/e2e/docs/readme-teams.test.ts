import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { runCli, SUBSCRIPTION } from '../../support/cli-helpers';
import { defaultConfigData, ROOT, tempDir } from '../../support/helpers';

const teams = readFileSync(join(ROOT, 'docs', 'teams.md'), 'utf8');
const config = parse(/```yaml\n([\s\S]*?)```/.exec(teams)?.[1] ?? '');
const commands = [
  ...(/```bash\n([\s\S]*?)```/.exec(teams)?.[1] ?? '').matchAll(
    /^npm run cli -- (.+?)\s+# (.*)$/gm,
  ),
];

describe('docs/teams.md', () => {
  it('has a config and commands', () => {
    expect(Object.keys(config)).toEqual(['state', 'deployer']);
    expect(commands.length).toBe(3);
  });

  it.each(commands.map((m) => [m[1], m[2]]))(
    'npm run cli -- %s does what its comment says',
    (line, comment) => {
      const cwd = tempDir();
      writeFileSync(join(cwd, 'team.yaml'), JSON.stringify({ ...defaultConfigData(), ...config }));
      const run = runCli(line.split(/\s+/), {
        cwd,
        env: {
          WI_CONFIG: 'team.yaml',
          STANDIN_OUTPUTS: JSON.stringify({
            'workload-identity-bootstrap': {
              deployer_client_id: 'aaaaaaaa-1111-2222-3333-444444444444',
              tenant_id: '66666666-7777-8888-9999-000000000000',
              subscription_id: SUBSCRIPTION,
              state_storage_account: config.state.azurerm.storageAccount,
              state_container: config.state.azurerm.container,
            },
          }),
        },
      });
      expect(run.stderr).toBe('');
      expect(run.status).toBe(0);
      // Every program or value the comment names appears in what the command printed.
      const named = [
        ...comment.matchAll(/(terraform init|cdktf deploy|terraform output -json|AZURE_\w+)/g),
      ];
      for (const [word] of named) expect(run.stdout).toContain(word);
      if (line.includes('--dry-run')) expect(run.calls).toEqual([]);
    },
  );
});
