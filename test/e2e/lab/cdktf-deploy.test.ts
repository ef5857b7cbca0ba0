import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../config/load-config';
import { startLab } from '../../../lab/lab';
import {
  CloudStore,
  HOME_SUBSCRIPTION_ID,
  storeFileIn,
  WORK_DIR_ENV,
} from '../../../local-cloud/core/cloud-store';
import { installLocalProviders } from '../../../local-cloud/terraform/install';
import { ROOT, tempDir } from '../../support/helpers';

const run = promisify(execFile);

// The one-command path, offline: the real `cdktf deploy '*'` (every stack; cdktf 0.21 has no --all) applies both stacks, the Kubernetes side through
// kubernetes_manifest into the local cluster, and the pods run. Slow (the cdktf CLI, two stacks): the only one.
describe('cdktf deploy --all against the local cloud', () => {
  it('applies both stacks with the real cdktf and Terraform, and the pod the Kubernetes stack applied reads its secret', async () => {
    const workDir = tempDir('wi-cdktf-');
    const { cliConfigFile } = installLocalProviders(workDir);
    const env = {
      ...process.env,
      TF_CLI_CONFIG_FILE: cliConfigFile,
      [WORK_DIR_ENV]: workDir,
      ARM_SUBSCRIPTION_ID: HOME_SUBSCRIPTION_ID,
      CHECKPOINT_DISABLE: '1',
      CI: '1',
      TF_VAR_secret_username: 'admin',
      TF_VAR_secret_password: 'trustno1',
    };
    const output = join(workDir, 'cdktf.out');
    // The provider lock would ask the public registry for other platforms' hashes: offline, init's own lock is enough.
    const deployed = await run(
      join(ROOT, 'node_modules', '.bin', 'cdktf'),
      [
        'deploy',
        '*',
        '--auto-approve',
        '--skip-provider-lock',
        '--output',
        output,
        '--outputs-file',
        join(workDir, 'outputs.json'),
      ],
      { cwd: ROOT, env, maxBuffer: 16 * 1024 * 1024 },
    );
    // biome-ignore lint/suspicious/noControlCharactersInRegex: cdktf colours Terraform's lines
    const text = deployed.stdout.replace(/\u001b\[[0-9;]*m/g, '');
    // The Azure side, then the Kubernetes side: Namespace, ServiceAccount, the Pod and the terraform_data that replaces it on change.
    expect(text).toMatch(
      /Apply complete! Resources: \d+ added, 0 changed, 0 destroyed\.[\s\S]*Apply complete! Resources: 4 added/,
    );

    // The cluster holds what kubernetes_manifest applied: the pod as the webhook mutated it on CREATE.
    const world = new CloudStore(storeFileIn(workDir)).read();
    const pod = world.kubernetesObjects.find((o) => o.object.kind === 'Pod')?.object as any;
    expect(pod.metadata.name).toBe('demo-pod');
    expect(pod.spec.containers[0].env.map((e: { name: string }) => e.name)).toContain(
      'AZURE_FEDERATED_TOKEN_FILE',
    );

    const lab = await startLab({ storeFile: storeFileIn(workDir), config: loadConfig() });
    try {
      const running = await lab.runPod({ pod: 'demo-pod', env: { RUN_ONCE: 'true' } });
      expect(await running.exited).toBe(0);
      expect(running.stdout.at(-1)).toBe('Your secret is admin');
    } finally {
      await lab.close();
    }
  });
});
