import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { createSign, generateKeyPairSync } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stateAccessProblem } from '../../../cli/remote-state';
import { type LabFiles, labTerraformEnv, withStateBackend } from '../../../lab/lab';
import { CloudStore, type CloudStoreData, sameId } from '../../../local-cloud/core/cloud-store';
import type { LocalCloud } from '../../../local-cloud/local-cloud';
import { runTerraform, TerraformError, terraformEnv } from '../../../local-cloud/terraform/run';
import { CLI, sendThroughProxy } from '../../support/helpers';
import { labFor } from '../../support/lab-helpers';

// Terraform's real azurerm backend against the local cloud: Azurite behind the front door, the local Entra signing
// Terraform in as the deployer through its GitHub Actions federated credential.

const TEAM = {
  state: {
    azurerm: {
      resourceGroup: 'tfstate-rg',
      storageAccount: 'wistatelab01',
      container: 'tfstate',
      keyPrefix: 'prod/',
    },
  },
  deployer: { github: { repository: 'contoso/platform', environment: 'prod' } },
};

/** Every file under `dir`, recursively. */
function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });
}

/** Run Terraform in the lab's stack with the state backend's environment; a failure is returned, not thrown. */
async function terraform(files: LabFiles, args: string[], env: NodeJS.ProcessEnv) {
  try {
    const r = await runTerraform(files.stackDir, args, {
      workDir: files.workDir,
      env: { ...labTerraformEnv(files), ...env },
    });
    return { code: r.exitCode, output: r.stdout + r.stderr };
  } catch (err) {
    if (!(err instanceof TerraformError)) throw err;
    return { code: err.result.exitCode, output: `${err.result.stdout}\n${err.result.stderr}` };
  }
}

/** `terraform apply` waiting at its confirmation prompt: it holds the state's lock until it ends. */
function heldApply(
  files: LabFiles,
  env: NodeJS.ProcessEnv,
  replace: string,
): Promise<ChildProcess> {
  const child = spawn('terraform', ['apply', '-no-color', `-replace=${replace}`], {
    cwd: files.stackDir,
    env: {
      ...terraformEnv({ workDir: files.workDir, env: { ...labTerraformEnv(files), ...env } }),
      TF_INPUT: '1',
    },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let output = '';
  return new Promise((done, fail) => {
    child.stdout.on('data', (d: Buffer) => {
      output += d.toString();
      if (output.includes('Enter a value:')) done(child);
    });
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    child.on('exit', (code) =>
      fail(new Error(`terraform apply ended (${code}) before asking:\n${output}`)),
    );
  });
}

const send = (
  cloud: LocalCloud,
  url: string,
  init?: { method?: string; headers?: Record<string, string>; body?: string },
) => sendThroughProxy(cloud, url, init);

/** A token for the deployer (Storage's, unless `scope` names another resource), from the local Entra, with the CI
 * job's OIDC token as the assertion. */
async function storageToken(
  cloud: LocalCloud,
  env: NodeJS.ProcessEnv,
  scope = 'https://storage.azure.com/.default',
): Promise<string> {
  const answer = await send(
    cloud,
    `https://login.microsoftonline.com/${env.ARM_TENANT_ID}/oauth2/v2.0/token`,
    {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'client_credentials',
        client_id: String(env.ARM_CLIENT_ID),
        scope,
        client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
        client_assertion: readFileSync(String(env.ARM_OIDC_TOKEN_FILE_PATH), 'utf8'),
      }).toString(),
    },
  );
  expect(answer.status).toBe(200);
  return JSON.parse(answer.body).access_token;
}

/**
 * A new container of the state's account where the token's principal holds `role` (assigned long before): returns
 * the grant's id and a function that takes container and grant away again.
 */
function containerWithRole(
  files: LabFiles,
  token: string,
  container: string,
  role: string,
): { grantId: string; remove: () => void } {
  const principal = JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString()).oid;
  const store = new CloudStore(files.storeFile);
  const account = (store.read().storageAccounts ?? []).find((a) => a.name === 'wistatelab01');
  const template = store.read().roleAssignments.find((a) => a.principalId === principal);
  if (!account || !template) throw new Error('the lab has no state account or deployer role');
  const scope = `${account.id}/blobServices/default/containers/${container}`;
  const grantId = `${scope}/providers/Microsoft.Authorization/roleAssignments/${container}-test`;
  const grant = {
    ...template,
    id: grantId,
    name: `${container}-test`,
    scope,
    roleDefinitionName: role,
  };
  const stateAccount = (data: CloudStoreData) =>
    (data.storageAccounts ?? []).find((x) => x.name === 'wistatelab01');
  store.update((data) => {
    stateAccount(data)?.containers.push({ id: scope, name: container, accessType: 'private' });
    data.roleAssignments.push(grant);
  });
  return {
    grantId,
    remove: () =>
      store.update((data) => {
        data.roleAssignments = data.roleAssignments.filter((a) => a.id !== grantId);
        const a = stateAccount(data);
        if (a) a.containers = a.containers.filter((c) => c.name !== container);
      }),
  };
}

describe('remote state on the local cloud (Terraform azurerm backend, Azurite)', () => {
  let files: LabFiles;
  beforeAll(async () => {
    files = await labFor((d) => Object.assign(d, TEAM), { env: {} });
  }, 600_000);

  it("keeps the Azure stack's state in the local cloud's blob storage, and no state file on disk", async () => {
    expect(files.stateLocation).toBe(
      'https://wistatelab01.blob.core.windows.net/tfstate/prod/workload-identity.tfstate',
    );
    expect(files.terraformLines.at(-1)).toMatch(/^Apply complete! Resources: \d+ added/);
    const outputs = JSON.parse(readFileSync(files.outputsFile, 'utf8'))['workload-identity'];
    expect(outputs.demo_client_id).toMatch(/^[0-9a-f-]{36}$/);
    // Only the bootstrap keeps a local state (its own, small); .terraform/terraform.tfstate holds the backend's settings.
    const states = filesUnder(files.workDir).filter((f) => /\.tfstate$/.test(f));
    expect(states.map((f) => f.slice(files.workDir.length + 1)).sort()).toEqual([
      'cdktf.out/stacks/workload-identity-bootstrap/.terraform/terraform.tfstate',
      'cdktf.out/stacks/workload-identity/.terraform/terraform.tfstate',
      'terraform.workload-identity-bootstrap.tfstate',
    ]);
    const backend = JSON.parse(
      readFileSync(join(files.stackDir, '.terraform', 'terraform.tfstate'), 'utf8'),
    );
    expect(backend.backend.type).toBe('azurerm');
    expect(backend.resources).toBeUndefined();
    // The state reads back through the backend: Terraform lists what it deployed.
    await withStateBackend(files, async (env) => {
      const list = await terraform(files, ['state', 'list'], env);
      expect(list.code).toBe(0);
      expect(list.output).toMatch(/^azurerm_kubernetes_cluster\.Cluster_\w+$/m);
    });
  }, 300_000);

  it("meets Terraform's own lock error while another apply holds the lease, and force-unlock frees a killed apply's lease", async () => {
    await withStateBackend(files, async (env) => {
      // GIVEN an apply that holds the lock (waiting at its prompt)
      const list = await terraform(files, ['state', 'list'], env);
      const sleep = /^time_sleep\.\S+$/m.exec(list.output)?.[0] as string;
      const holder = await heldApply(files, env, sleep);
      // WHEN a second apply runs at the same time
      const second = await terraform(files, ['apply', '-auto-approve', '-input=false'], env);
      // THEN it meets the lock, held as a blob lease
      expect(second.code).toBe(1);
      expect(second.output).toContain('Error acquiring the state lock');
      expect(second.output).toMatch(
        /state blob is already locked|There is currently a lease on the blob/,
      );
      // WHEN the holder is killed (no chance to release its lease)
      const gone = new Promise((done) => holder.once('exit', done));
      holder.kill('SIGKILL');
      await gone;
      const stuck = await terraform(files, ['plan', '-input=false'], env);
      expect(stuck.output).toContain('Error acquiring the state lock');
      const id = /ID:\s+([0-9a-f-]{36})/.exec(stuck.output)?.[1];
      expect(id).toBeDefined();
      // THEN force-unlock breaks the lease, and the next apply runs
      const unlock = await terraform(files, ['force-unlock', '-force', id as string], env);
      expect(unlock.output).toContain('Terraform state has been successfully unlocked!');
      const again = await terraform(files, ['apply', '-auto-approve', '-input=false'], env);
      expect(again.code).toBe(0);
    });
  }, 300_000);

  it('keeps earlier versions of the state blob (the account keeps blob versions)', async () => {
    await withStateBackend(files, async (env, cloud) => {
      const token = await storageToken(cloud as LocalCloud, env);
      const list = await send(
        cloud as LocalCloud,
        'https://wistatelab01.blob.core.windows.net/tfstate?restype=container&comp=list&include=snapshots&prefix=prod/',
        { headers: { authorization: `Bearer ${token}`, 'x-ms-version': '2023-11-03' } },
      );
      expect(list.status).toBe(200);
      const entries = [
        ...list.body.matchAll(/<Blob><Name>([^<]+)<\/Name>(?:<Snapshot>([^<]+)<\/Snapshot>)?/g),
      ];
      const state = entries.filter((m) => m[1] === 'prod/workload-identity.tfstate');
      expect(state.filter((m) => m[2]).length, list.body).toBeGreaterThanOrEqual(1);
      expect(state.filter((m) => !m[2])).toHaveLength(1);
    });
  }, 300_000);

  it('keeps the earlier content of a blob rewritten with Put Block List, as Terraform writes a large state', async () => {
    await withStateBackend(files, async (env, cloud) => {
      const local = cloud as LocalCloud;
      const token = await storageToken(local, env);
      const headers = { authorization: `Bearer ${token}`, 'x-ms-version': '2023-11-03' };
      const blob = 'https://wistatelab01.blob.core.windows.net/tfstate/blocks/state.json';
      // GIVEN a blob written whole
      const first = await send(local, blob, {
        method: 'PUT',
        headers: { ...headers, 'x-ms-blob-type': 'BlockBlob', 'content-length': '5' },
        body: 'first',
      });
      expect(first.status).toBe(201);
      // WHEN it is written again as a block and a block list
      const id = Buffer.from('block-0001').toString('base64');
      const block = await send(local, `${blob}?comp=block&blockid=${encodeURIComponent(id)}`, {
        method: 'PUT',
        headers: { ...headers, 'content-length': '6' },
        body: 'second',
      });
      expect(block.status).toBe(201);
      const list = `<?xml version="1.0" encoding="utf-8"?><BlockList><Latest>${id}</Latest></BlockList>`;
      const commit = await send(local, `${blob}?comp=blocklist`, {
        method: 'PUT',
        headers: { ...headers, 'content-length': String(Buffer.byteLength(list)) },
        body: list,
      });
      expect(commit.status).toBe(201);
      expect((await send(local, blob, { headers })).body).toBe('second');
      // THEN the content before the block list is kept beside it
      const listing = await send(
        local,
        'https://wistatelab01.blob.core.windows.net/tfstate?restype=container&comp=list&include=snapshots&prefix=blocks/',
        { headers },
      );
      const snapshots = [...listing.body.matchAll(/<Snapshot>([^<]+)<\/Snapshot>/g)].map(
        (m) => m[1],
      );
      expect(snapshots, listing.body).toHaveLength(1);
      const earlier = await send(local, `${blob}?snapshot=${encodeURIComponent(snapshots[0])}`, {
        headers,
      });
      expect(earlier.body).toBe('first');
    });
  }, 300_000);

  it('refuses a Copy Blob whose source the caller may not read, as a direct read is refused', async () => {
    await withStateBackend(files, async (env, cloud) => {
      const local = cloud as LocalCloud;
      const token = await storageToken(local, env);
      // GIVEN a second container of the state's account, where the deployer (the token's principal) may write a blob
      const { grantId, remove } = containerWithRole(
        files,
        token,
        'private',
        'Storage Blob Data Contributor',
      );
      const store = new CloudStore(files.storeFile);
      try {
        const headers = { authorization: `Bearer ${token}`, 'x-ms-version': '2023-11-03' };
        const blob = 'https://wistatelab01.blob.core.windows.net/private/secret.txt';
        const put = await send(local, blob, {
          method: 'PUT',
          headers: { ...headers, 'x-ms-blob-type': 'BlockBlob', 'content-length': '6' },
          body: 'hidden',
        });
        expect(put.status, put.body).toBe(201);
        // WHEN its role there is gone, and it copies the blob into the state container, where it may write and read
        store.update((data) => {
          data.roleAssignments = data.roleAssignments.filter((a) => a.id !== grantId);
        });
        expect((await send(local, blob, { headers })).status).toBe(403);
        const target = 'https://wistatelab01.blob.core.windows.net/tfstate/copied.txt';
        const copy = await send(local, target, {
          method: 'PUT',
          headers: { ...headers, 'x-ms-copy-source': blob, 'content-length': '0' },
        });
        // THEN the copy is refused as the read is, and nothing of the source reaches the container it may read
        expect(copy.status).toBe(403);
        expect(copy.headers['x-ms-error-code']).toBe('AuthorizationPermissionMismatch');
        const copied = await send(local, target, { headers });
        expect(copied.status).toBe(404);
        expect(copied.body).not.toContain('hidden');
      } finally {
        remove();
      }
    });
  }, 300_000);

  it("refuses a token whose signature is not Entra's, and a token for another audience, as Storage does (401 InvalidAuthenticationInfo)", async () => {
    await withStateBackend(files, async (env, cloud) => {
      const local = cloud as LocalCloud;
      const list = 'https://wistatelab01.blob.core.windows.net/tfstate?restype=container&comp=list';
      const listWith = (token: string) =>
        send(local, list, {
          headers: { authorization: `Bearer ${token}`, 'x-ms-version': '2023-11-03' },
        });
      // GIVEN the deployer's storage token, which lists the container
      const token = await storageToken(local, env);
      expect((await listWith(token)).status).toBe(200);
      // WHEN its header and claims are signed again with a key Entra never had (same kid, same algorithm)
      const [header, payload] = token.split('.');
      const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
      const forged = `${header}.${payload}.${createSign('RSA-SHA256').update(`${header}.${payload}`).sign(privateKey, 'base64url')}`;
      // THEN the front door refuses it (Azurite alone, with --oauth basic, checks no signature and would list)
      const unsigned = await listWith(forged);
      expect(unsigned.status, unsigned.body).toBe(401);
      expect(unsigned.headers['x-ms-error-code']).toBe('InvalidAuthenticationInfo');
      // WHEN the deployer presents a token Entra signed for Key Vault
      const vaultToken = await storageToken(local, env, 'https://vault.azure.net/.default');
      const other = await listWith(vaultToken);
      // THEN Storage's own answer: 401 InvalidAuthenticationInfo naming the audience (Azurite would say 403
      // AuthenticationFailed)
      expect(other.status, other.body).toBe(401);
      expect(other.headers['x-ms-error-code']).toBe('InvalidAuthenticationInfo');
      expect(other.body).toMatch(/AuthenticationErrorDetail:.*"aud"/);
    });
  }, 300_000);

  it('refuses a shared key (KeyBasedAuthenticationNotPermitted): bootstrap turned shared keys off, and the store keeps it', async () => {
    // GIVEN the state account as the bootstrap stack made it, through the storage account handler
    const account = (new CloudStore(files.storeFile).read().storageAccounts ?? []).find(
      (a) => a.name === 'wistatelab01',
    );
    expect(account?.sharedAccessKeyEnabled).toBe(false);
    await withStateBackend(files, async (_env, cloud) => {
      // WHEN a client signs a request with the account's key, as `az storage blob list --auth-mode key` does
      const answer = await send(
        cloud as LocalCloud,
        'https://wistatelab01.blob.core.windows.net/tfstate?restype=container&comp=list',
        {
          headers: {
            authorization: `SharedKey wistatelab01:${Buffer.from('a signature').toString('base64')}`,
            'x-ms-date': new Date().toUTCString(),
            'x-ms-version': '2023-11-03',
          },
        },
      );
      // THEN Storage refuses the scheme itself, before checking any signature
      expect(answer.status, answer.body).toBe(403);
      expect(answer.headers['x-ms-error-code']).toBe('KeyBasedAuthenticationNotPermitted');
    });
  }, 300_000);

  it('refuses a write from a principal holding only Storage Blob Data Reader, and lets it read', async () => {
    await withStateBackend(files, async (env, cloud) => {
      const local = cloud as LocalCloud;
      const token = await storageToken(local, env);
      // GIVEN a container where the deployer (the token's principal) holds only Storage Blob Data Reader
      const { remove } = containerWithRole(files, token, 'readonly', 'Storage Blob Data Reader');
      try {
        const headers = { authorization: `Bearer ${token}`, 'x-ms-version': '2023-11-03' };
        const container = 'https://wistatelab01.blob.core.windows.net/readonly';
        // WHEN it lists the container, then writes a blob there
        const list = await send(local, `${container}?restype=container&comp=list`, { headers });
        const put = await send(local, `${container}/written.txt`, {
          method: 'PUT',
          headers: { ...headers, 'x-ms-blob-type': 'BlockBlob', 'content-length': '7' },
          body: 'written',
        });
        // THEN the read is allowed, the write refused with Storage's code, and nothing was written
        expect(list.status, list.body).toBe(200);
        expect(put.status, put.body).toBe(403);
        expect(put.headers['x-ms-error-code']).toBe('AuthorizationPermissionMismatch');
        const read = await send(local, `${container}/written.txt`, { headers });
        expect(read.status).toBe(404);
      } finally {
        remove();
      }
    });
  }, 300_000);

  it('fails with AADSTS700213 when the repository signs its tokens with immutable subjects and the trust names it only', async () => {
    // GIVEN the repository GitHub holds turned to immutable subject claims, while the deployer trusts the name-only form
    const store = new CloudStore(files.storeFile);
    const immutable = (on: boolean) =>
      store.update((data) => {
        data.githubRepositories = (data.githubRepositories ?? []).map((r) => ({
          ...r,
          immutableSubjects: on,
        }));
      });
    expect(store.read().githubRepositories).toHaveLength(1);
    immutable(true);
    try {
      // WHEN Terraform's backend signs in with the job's token, as azure/login and the backend do in CI
      await withStateBackend(files, async (env) => {
        const subject = JSON.parse(
          Buffer.from(
            readFileSync(String(env.ARM_OIDC_TOKEN_FILE_PATH), 'utf8').split('.')[1],
            'base64url',
          ).toString(),
        ).sub;
        expect(subject).toMatch(/^repo:contoso@\d+\/platform@\d+:environment:prod$/);
        const plan = await terraform(files, ['plan', '-input=false', '-no-color'], env);
        // THEN Entra refuses the assertion's subject, as on Azure
        expect(plan.code).toBe(1);
        expect(plan.output).toContain('AADSTS700213');
      });
    } finally {
      immutable(false);
    }
  }, 300_000);

  it('fails when the deployer has no Storage Blob Data Contributor, and the message names the role', async () => {
    const store = new CloudStore(files.storeFile);
    const saved = store.read().roleAssignments;
    store.update((data) => {
      data.roleAssignments = data.roleAssignments.filter(
        (a) => a.roleDefinitionName !== 'Storage Blob Data Contributor',
      );
    });
    try {
      await withStateBackend(files, async (env) => {
        const plan = await terraform(files, ['plan', '-input=false', '-no-color'], env);
        expect(plan.code).toBe(1);
        expect(plan.output).toContain('AuthorizationPermissionMismatch');
        expect(
          stateAccessProblem(plan.output, files.config.state!, files.bootstrap!.subscriptionId),
        ).toMatch(
          /needs "Storage Blob Data Contributor" on the container: az role assignment create/,
        );
      });
    } finally {
      store.update((data) => {
        data.roleAssignments = saved;
      });
    }
  }, 300_000);

  it('fails when the container does not exist, and the message names bootstrap', async () => {
    const store = new CloudStore(files.storeFile);
    const account = (data: CloudStoreData) =>
      data.storageAccounts?.find((a) => a.name === 'wistatelab01');
    const saved = account(store.read())?.containers ?? [];
    store.update((data) => {
      const found = account(data);
      if (found) found.containers = [];
    });
    try {
      await withStateBackend(files, async (env) => {
        const init = await terraform(
          files,
          ['init', '-input=false', '-reconfigure', '-no-color'],
          env,
        );
        expect(init.code).toBe(1);
        expect(init.output).toContain('ContainerNotFound');
        expect(
          stateAccessProblem(init.output, files.config.state!, files.bootstrap!.subscriptionId),
        ).toBe(
          `the state's container tfstate does not exist in storage account wistatelab01: create it with "workload-id bootstrap"`,
        );
      });
    } finally {
      store.update((data) => {
        const found = account(data);
        if (found) found.containers = saved;
      });
    }
  }, 300_000);

  /** The command line of `tflocal -- <args>` on the lab's work directory and config, as a user runs it. */
  const tflocalArgs = (args: string[]) => [
    CLI,
    'tflocal',
    '--work-dir',
    files.workDir,
    '--config',
    join(files.workDir, 'config.yaml'),
    '--',
    ...args,
  ];

  it('runs tflocal on the same remote state as the demo: the plan has no changes', () => {
    const run = spawnSync(
      process.execPath,
      tflocalArgs(['plan', '-input=false', '-no-color', '-detailed-exitcode']),
      { encoding: 'utf8', env: { PATH: process.env.PATH, HOME: process.env.HOME } },
    );
    expect(run.status, run.stdout + run.stderr).toBe(0);
    expect(run.stdout).toContain('No changes.');
  }, 300_000);

  it("holds the state's lock across processes: a second tflocal meets Terraform's lock error while the first applies", async () => {
    const tflocal = (args: string[], env: NodeJS.ProcessEnv = {}) =>
      spawn(process.execPath, tflocalArgs(args), {
        env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
    const ended = (child: ChildProcess) =>
      new Promise<{ code: number | null; output: string }>((resolve) => {
        let output = '';
        child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
        child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
        child.on('close', (code) => resolve({ code, output }));
      });
    // GIVEN one process replacing a time_sleep on Azure's own clock (it holds the state's lease for its 120 s), with
    // the roles assigned long before, as on Azure's clock they would have had time to reach the data plane
    new CloudStore(files.storeFile).update((data) => {
      data.roleAssignments = data.roleAssignments.map((a) => ({ ...a, createdAt: 0 }));
    });
    const stack = JSON.parse(readFileSync(files.terraformFile, 'utf8'));
    const sleep = `time_sleep.${Object.keys(stack.resource.time_sleep)[0]}`;
    const first = tflocal(
      ['apply', '-auto-approve', '-input=false', '-no-color', `-replace=${sleep}`],
      {
        WI_LOCAL_CLOUD_TIME_SCALE: '1',
      },
    );
    const firstEnded = ended(first);
    await new Promise<void>((resolve, reject) => {
      let seen = '';
      first.stdout?.on('data', (d: Buffer) => {
        seen += d.toString();
        if (/time_sleep\.\S+: (Destroying|Creating)/.test(seen)) resolve();
      });
      first.stderr?.on('data', (d: Buffer) => (seen += d.toString()));
      first.on('close', () =>
        reject(new Error(`the first apply ended before it held the lock:\n${seen}`)),
      );
    });
    // WHEN a second process plans on the same state meanwhile
    const second = await ended(tflocal(['plan', '-input=false', '-no-color']));
    // THEN it meets Terraform's own lock error, naming the lease's holder, and changes nothing
    expect(second.code, second.output).toBe(1);
    expect(second.output).toContain('Error acquiring the state lock');
    // AND the first, interrupted, ends and lets the lease go: a plan then takes the lock
    first.kill('SIGINT');
    await firstEnded;
    const third = await ended(tflocal(['plan', '-input=false', '-no-color']));
    expect(third.output).not.toContain('Error acquiring the state lock');
    // AND the blob service they shared stopped with its last user
    expect(existsSync(join(files.workDir, 'blob-storage', 'azurite.json'))).toBe(false);
  }, 300_000);

  it('destroys through the backend: the state blob stays, listing nothing, and Azure holds none of the stack', async () => {
    await withStateBackend(files, async (env, cloud) => {
      const destroyed = await terraform(files, ['destroy', '-auto-approve', '-input=false'], env);
      expect(destroyed.code, destroyed.output).toBe(0);
      expect(destroyed.output).toMatch(/Destroy complete! Resources: \d+ destroyed\./);
      const list = await terraform(files, ['state', 'list'], env);
      expect(list.code, list.output).toBe(0);
      expect(list.output.trim()).toBe('');
      // The blob itself stays (Terraform writes an empty state; only the workspace's deletion removes it)
      const token = await storageToken(cloud as LocalCloud, env);
      const blobs = await send(
        cloud as LocalCloud,
        'https://wistatelab01.blob.core.windows.net/tfstate?restype=container&comp=list&prefix=prod/',
        { headers: { authorization: `Bearer ${token}`, 'x-ms-version': '2023-11-03' } },
      );
      expect(blobs.body).toContain('<Name>prod/workload-identity.tfstate</Name>');
    });
    const world = new CloudStore(files.storeFile).read();
    expect(world.resourceGroups.map((g) => g.name)).toEqual(['tfstate-rg']);
    expect(world.clusters).toEqual([]);
  }, 300_000);

  afterAll(() => {
    // Nothing of the run is left: the token file went with each backend session.
    if (files)
      expect(existsSync(join(files.workDir, 'terraform', 'github-actions-token'))).toBe(false);
    void sameId;
  });
});
