import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli, standIns } from '../../support/cli-helpers';
import { defaultConfigData, tempDir } from '../../support/helpers';

/** A config with a second workload in its own namespace. */
function twoWorkloads(): string {
  const dir = tempDir();
  const data = defaultConfigData();
  data.workloads.push({
    ...data.workloads[0],
    name: 'second',
    namespace: 'second-ns',
    pod: 'second-pod',
  });
  writeFileSync(join(dir, 'two.yaml'), JSON.stringify(data));
  return join(dir, 'two.yaml');
}

describe('logs', () => {
  it('prints the command with --dry-run and runs nothing', () => {
    const run = runCli(['logs', '--dry-run']);
    expect(run.status).toBe(0);
    expect(run.stdout).toBe(
      'Reading logs from [demo-pod] pod...\n$ kubectl --context workload-id-aks logs -n workload-id-test demo-pod\n',
    );
    expect(run.calls).toEqual([]);
  });

  it('reads the logs of the first workload, as 03-list-secret.sh', () => {
    const run = runCli(['logs']);
    expect(run.status).toBe(0);
    expect(run.calls).toEqual([
      'kubectl --context workload-id-aks logs -n workload-id-test demo-pod',
    ]);
    expect(run.stdout).toContain('Reading logs from [demo-pod] pod...\n');
    expect(run.stdout).toContain('Your secret is admin');
  });

  it('follows the workload named with --workload', () => {
    const run = runCli(['logs', '--config', twoWorkloads(), '--workload', 'second', '--follow']);
    expect(run.status).toBe(0);
    expect(run.calls).toEqual([
      'kubectl --context workload-id-aks logs -n second-ns second-pod -f',
    ]);
  });

  it('fails when the workload is not in the config, naming those that are', () => {
    const run = runCli(['logs', '--config', twoWorkloads(), '--workload', 'nope']);
    expect(run.status).toBe(1);
    expect(run.stderr.trim()).toBe(
      'logs: no workload "nope" in the config (workloads: demo, second)',
    );
  });

  it('fails when kubectl fails, with its exit code', () => {
    const run = runCli(['logs'], { env: { STANDIN_FAIL: 'kubectl' } });
    expect(run.status).toBe(1);
    expect(run.stderr).toContain('logs: "kubectl logs" failed (exit 1)');
  });

  it('fails when kubectl is not installed, in one line', () => {
    const run = runCli(['logs'], { bin: standIns([]) });
    expect(run.status).toBe(1);
    expect(run.stderr.trim()).toBe(
      'logs: kubectl is not on PATH: install kubectl ("az aks install-cli", or https://kubernetes.io/docs/tasks/tools/)',
    );
  });
});
