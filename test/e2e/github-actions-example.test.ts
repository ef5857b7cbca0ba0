import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { CLI, ROOT } from '../support/helpers';

const FILE = join(ROOT, 'examples', 'github-actions', 'deploy.yml');
const workflow = () => parse(readFileSync(FILE, 'utf8')) as any;
const steps = () => Object.values(workflow().jobs as Record<string, any>).flatMap((j) => j.steps);

describe('examples/github-actions/deploy.yml', () => {
  it('is valid YAML with a job', () => {
    expect(Object.keys(workflow().jobs)).toEqual(['deploy']);
  });

  it('may ask GitHub for an OIDC token, and nothing more than reading the code besides', () => {
    expect(workflow().permissions).toEqual({ 'id-token': 'write', contents: 'read' });
  });

  it('signs in with azure/login by client, tenant and subscription id: no secret, no creds', () => {
    const login = steps().find((s) => String(s.uses).startsWith('azure/login@'));
    expect(Object.keys(login.with).sort()).toEqual(['client-id', 'subscription-id', 'tenant-id']);
    expect(JSON.stringify(workflow())).not.toMatch(/client-secret|ARM_CLIENT_SECRET|creds/);
  });

  it('has Terraform exchange the same token (ARM_USE_OIDC) in the environment the credential trusts', () => {
    const job = workflow().jobs.deploy;
    expect(job.environment).toBe('prod');
    expect(job.env.ARM_USE_OIDC).toBe('true');
    expect(job.env.ARM_CLIENT_ID).toBe('${{ vars.AZURE_CLIENT_ID }}');
  });

  it('runs workload-id deploy --yes, and only commands and options the CLI has', () => {
    const runs = steps().flatMap((s) => (s.run ? [String(s.run)] : []));
    expect(runs).toContain('npx workload-id deploy --yes');
    const commands = runs
      .map((r) => /^npx workload-id (\S+)(.*)$/.exec(r))
      .filter((m): m is RegExpExecArray => m !== null);
    expect(commands.length).toBeGreaterThan(0);
    for (const [, command, rest] of commands) {
      const help = spawnSync(process.execPath, [CLI, command, '--help'], { encoding: 'utf8' });
      expect(help.status, `workload-id ${command} --help`).toBe(0);
      expect(help.stdout).toContain(`Usage: workload-id ${command}`);
      for (const option of rest.split(/\s+/).filter((a) => a.startsWith('-')))
        expect(help.stdout, `workload-id ${command} ${option}`).toMatch(
          new RegExp(`(^|[ ,])${option}\\b`, 'm'),
        );
    }
  });
});
