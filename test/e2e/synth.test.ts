import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { synthBoth } from '../../cli/synth-command';
import { checkPair } from '../../verify/check-pair';
import { CLI, defaultConfigData, tempDir } from '../support/helpers';

function filesUnder(dir: string): Map<string, string> {
  const files = new Map<string, string>();
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const path = join(d, name);
      if (statSync(path).isDirectory()) walk(path);
      else files.set(relative(dir, path), readFileSync(path, 'utf8'));
    }
  };
  walk(dir);
  return files;
}

function synthInto(dir: string, config?: string) {
  return synthBoth({
    config,
    outputs: join(dir, 'outputs.json'),
    cdktfOut: join(dir, 'cdktf.out'),
    dist: join(dir, 'dist'),
  });
}

describe('synthesis of both sides', () => {
  it('writes the same bytes twice and no machine path', () => {
    const [a, b] = [tempDir(), tempDir()];
    synthInto(a);
    synthInto(b);
    const [first, second] = [filesUnder(a), filesUnder(b)];
    expect([...first.keys()].sort()).toEqual([
      'cdktf.out/manifest.json',
      'cdktf.out/stacks/workload-identity-k8s/cdk.tf.json',
      'cdktf.out/stacks/workload-identity/cdk.tf.json',
      'dist/workload-identity.k8s.yaml',
    ]);
    expect(second).toEqual(first);
    for (const text of first.values()) {
      expect(text).not.toContain(a);
      expect(text).not.toContain(process.cwd());
      expect(text).not.toMatch(/\/(home|root|tmp|Users)\//);
    }
  });

  it('writes no secret value anywhere, even with the values in the environment', () => {
    const values = {
      TF_VAR_secret_username: 'admin-Value-7f3c91',
      TF_VAR_secret_password: 'p4ss-Value-0b2d77',
    };
    Object.assign(process.env, values);
    const dir = tempDir();
    try {
      const result = synthInto(dir);
      const texts = [...filesUnder(dir).values()].join('\n');
      for (const value of Object.values(values)) expect(texts).not.toContain(value);
      expect(checkPair(result.pair, { secretValues: Object.values(values) })).toEqual([]);
    } finally {
      for (const key of Object.keys(values)) delete process.env[key];
    }
  });

  it('passes the cross-check on the default config', () => {
    const result = synthInto(tempDir());
    expect(result.bindingsSource).toBe('placeholders');
    expect(checkPair(result.pair)).toEqual([]);
  });

  it('fails when the config is bad, exiting non-zero, listing every problem and writing nothing', () => {
    const dir = tempDir();
    const data = defaultConfigData();
    data.keyVault.name = 'bad--name';
    data.workloads[0].namespace = 'Bad_NS';
    writeFileSync(join(dir, 'bad.yaml'), JSON.stringify(data));
    const run = spawnSync(process.execPath, [CLI, 'synth', '--config', join(dir, 'bad.yaml')], {
      cwd: dir,
      encoding: 'utf8',
    });
    expect(run.status).toBe(1);
    expect(run.stderr).toContain('keyVault.name: "bad--name" must be a Key Vault name');
    expect(run.stderr).toContain('workloads[0].namespace: "Bad_NS" must be a DNS-1123 label');
    expect(readdirSync(dir)).toEqual(['bad.yaml']);
  });

  it('prints a summary that says the bindings are placeholders', () => {
    const dir = tempDir();
    const out = execFileSync(process.execPath, [CLI, 'synth'], { cwd: dir, encoding: 'utf8' });
    expect(out).toContain(
      'Azure side       cdktf.out/stacks/workload-identity/cdk.tf.json: 10 resources, 1 data source, 8 outputs',
    );
    expect(out).toContain(
      'Kubernetes side  dist/workload-identity.k8s.yaml: 1 Namespace, 1 ServiceAccount, 1 Pod',
    );
    expect(out).toContain('PLACEHOLDERS: outputs.json not found');
    expect(existsSync(join(dir, 'dist/workload-identity.k8s.yaml'))).toBe(true);
  });
});

describe("the tools' own entries with a bad config", () => {
  // GIVEN a config with one wrong value and missing sections
  const bad = join(tempDir(), 'bad.yaml');
  writeFileSync(bad, 'location: West Europe\nresourceGroup: rg\n');
  const env = {
    PATH: process.env.PATH ?? '',
    HOME: tempDir(),
    WI_CONFIG: bad,
    CHECKPOINT_DISABLE: '1',
    // The cdk8s CLI asks the registry for a newer version on every run (offline: a 404 stack trace); .ci/run sets this.
    CDK8S_CHECK_UPGRADE: 'false',
  };
  const ours = spawnSync(process.execPath, [CLI, 'synth'], { env, encoding: 'utf8' });
  const lines = ours.stderr.trim().split('\n');

  it('npm run synth prints one line per problem, naming the file', () => {
    expect(ours.status).toBe(1);
    expect(lines[0]).toBe(`error: invalid config ${bad}:`);
    expect(lines).toContain(
      '  - location: "West Europe" must be an Azure region name such as "westeurope": lowercase letters and digits',
    );
  });

  it.each([
    ['cdktf', ['synth', '--output', join(tempDir(), 'cdktf.out')]],
    ['cdk8s', ['synth', '--output', join(tempDir(), 'dist')]],
  ])(
    'npx %s synth prints the same lines, without a stack trace of ours, and fails',
    (tool, args) => {
      const run = spawnSync(join('node_modules', '.bin', tool), args, { env, encoding: 'utf8' });
      expect(run.status).not.toBe(0);
      const output = run.stdout + run.stderr;
      for (const line of lines) expect(output).toContain(line.trim());
      expect(output).not.toMatch(/ConfigError|at (loadConfig|parseConfig|runEntry)\b|\.ts:\d+:\d+/);
      expect(output).not.toMatch(/A new version|404|registry/i);
    },
  );

  it(".ci/run turns the cdk8s CLI's update check off", () => {
    expect(readFileSync('.ci/run', 'utf8')).toMatch(/^export CDK8S_CHECK_UPGRADE=false$/m);
  });
});
