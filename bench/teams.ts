// Many deploys at once: N configs (environments, teams) applied at the same time into the local cloud, each with its
// own state key in one storage account, through the real Terraform's azurerm backend (Azurite behind the front door).
// Then every config's outputs and secret are read back: no state may be lost or mixed.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { DEFAULT_CONFIG_PATH, loadConfig } from '../config/load-config';
import { AZURE_STACK_NAME } from '../config/outputs';
import { bootstrapLab, removeToken, stateBackendEnv } from '../lab/remote-state';
import { CloudStore, HOME_SUBSCRIPTION_ID, storeFileIn } from '../local-cloud/core/cloud-store';
import { liveModel } from '../local-cloud/core/store-model';
import { startLocalCloud } from '../local-cloud/local-cloud';
import { runTerraform, terraformOutputsAsCdktf } from '../local-cloud/terraform/run';
import { synthAzure } from '../synth';
import type { Figure } from './table';

const SECTION = 'many deploys at once (remote state)';
/** How many configs are applied at once. */
export const TEAMS_SIZES = [1, 5, 20] as const;
/** 20 at once may take at most this many times as long as 1. */
export const TEAMS_BUDGET = 3;

/** Config `name`: the default config in resource group `rg-<name>`, its state under `<name>/` of one storage account. */
function teamConfig(name: string): Record<string, any> {
  const base = parse(readFileSync(DEFAULT_CONFIG_PATH, 'utf8')) as Record<string, any>;
  return {
    ...base,
    resourceGroup: `rg-${name}`,
    cluster: { ...base.cluster, name: `aks-${name}` },
    keyVault: { ...base.keyVault, name: `kv-${name}` },
    state: {
      azurerm: {
        resourceGroup: 'tfstate-rg',
        storageAccount: 'wibenchstate01',
        container: 'tfstate',
        keyPrefix: `${name}/`,
      },
    },
    deployer: { github: { repository: 'contoso/platform', environment: 'prod' } },
  };
}

/** Clock ticks per second of /proc's CPU times (USER_HZ), and its page size: `getconf CLK_TCK`, `getconf PAGESIZE`. */
const TICKS_PER_SECOND = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());
const PAGE_BYTES = Number(execFileSync('getconf', ['PAGESIZE'], { encoding: 'utf8' }).trim());

/**
 * This process and its descendants (Terraform, providers, Azurite), each with its resident pages and its CPU ticks:
 * its own and its waited-for children's (a finished Terraform, with the providers it waited for). From
 * /proc/<pid>/stat: ppid is field 4, utime, stime, cutime and cstime fields 14-17, rss field 24.
 */
function processTree(): { rssPages: number; ticks: number }[] {
  const all = new Map<number, { ppid: number; rssPages: number; ticks: number }>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    let text: string;
    try {
      text = readFileSync(`/proc/${name}/stat`, 'utf8');
    } catch {
      continue; // ended meanwhile
    }
    // After the command name (in parentheses, which may hold spaces), fields[0] is field 3.
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
    all.set(Number(name), {
      ppid: Number(fields[1]),
      ticks: fields.slice(11, 15).reduce((sum, f) => sum + Number(f), 0),
      rssPages: Number(fields[21]),
    });
  }
  const children = new Map<number, number[]>();
  for (const [pid, { ppid }] of all) children.set(ppid, [...(children.get(ppid) ?? []), pid]);
  const tree = [];
  const stack = [process.pid];
  while (stack.length > 0) {
    const pid = stack.pop() as number;
    const found = all.get(pid);
    if (found) tree.push(found);
    stack.push(...(children.get(pid) ?? []));
  }
  return tree;
}

/** Resident memory (MB) of this process and all its descendants. */
function treeRssMb(): number {
  return (processTree().reduce((sum, p) => sum + p.rssPages, 0) * PAGE_BYTES) / 1024 / 1024;
}

/** CPU seconds used so far by this process and its descendants, running or waited for. */
function treeCpuSeconds(): number {
  return processTree().reduce((sum, p) => sum + p.ticks, 0) / TICKS_PER_SECOND;
}

/** Measure N = 1, 5 and 20 configs applied at once; returns the figures. */
export async function measureTeams(options: { workdir: string }): Promise<Figure[]> {
  const workDir = join(options.workdir, 'teams');
  mkdirSync(workDir, { recursive: true });
  const configFile = (name: string) => {
    const dir = join(workDir, 'configs', name);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'config.yaml'), JSON.stringify(teamConfig(name)));
    return join(dir, 'config.yaml');
  };
  const store = new CloudStore(storeFileIn(workDir)).init();
  const first = loadConfig(configFile('bootstrap'));
  const base = { ARM_SUBSCRIPTION_ID: HOME_SUBSCRIPTION_ID };
  const bootstrap = await bootstrapLab(workDir, first, store, base);
  const cloud = await startLocalCloud(liveModel(store), { blobDir: join(workDir, 'blob-storage') });
  const tokenFile = join(workDir, 'terraform', 'github-actions-token');
  const figures: Figure[] = [];
  const seconds: Record<number, number> = {};
  const cpu: Record<number, number> = {};
  const cores = availableParallelism();
  let lostOrMixed = 0;
  try {
    const backend = await stateBackendEnv(cloud, first, bootstrap, tokenFile, storeFileIn(workDir));
    for (const n of TEAMS_SIZES) {
      const names = Array.from({ length: n }, (_, i) => `n${n}-team-${i}`);
      const stacks = names.map((name) => {
        const config = loadConfig(configFile(name));
        synthAzure(config, join(workDir, 'configs', name, 'cdktf.out'));
        return {
          name,
          dir: join(workDir, 'configs', name, 'cdktf.out', 'stacks', AZURE_STACK_NAME),
        };
      });
      const env = (name: string) => ({
        ...base,
        ...backend,
        TF_VAR_secret_username: `user-of-${name}`,
        TF_VAR_secret_password: `password-of-${name}`,
      });
      // terraform init one after the other: inits at once race on Terraform's shared plugin cache.
      for (const { name, dir } of stacks)
        await runTerraform(dir, ['init', '-input=false'], { workDir, env: env(name) });
      let peak = treeRssMb();
      const sampler = setInterval(() => {
        peak = Math.max(peak, treeRssMb());
      }, 250);
      const started = performance.now();
      const cpuBefore = treeCpuSeconds();
      try {
        await Promise.all(
          stacks.map(async ({ name, dir }) => {
            await runTerraform(dir, ['apply', '-auto-approve', '-input=false'], {
              workDir,
              env: env(name),
            });
          }),
        );
      } finally {
        clearInterval(sampler);
      }
      seconds[n] = (performance.now() - started) / 1000;
      cpu[n] = treeCpuSeconds() - cpuBefore;
      console.error(
        `[bench teams] ${n} at once: ${seconds[n].toFixed(1)} s, ${cpu[n].toFixed(1)} CPU s, peak ${Math.round(peak)} MB`,
      );
      // Read back: each state's outputs name its own group and identity, and its vault holds its own secret.
      const data = store.read();
      for (const { name, dir } of stacks) {
        const outputs = (
          await terraformOutputsAsCdktf(dir, AZURE_STACK_NAME, { workDir, env: env(name) })
        )[AZURE_STACK_NAME] as Record<string, string>;
        const identity = data.identities.find((i) => i.clientId === outputs.demo_client_id);
        const vault = data.keyVaults.find((v) => v.name === outputs.demo_vault_name);
        const right =
          outputs.resource_group_name === `rg-${name}` &&
          identity?.resourceGroupName === `rg-${name}` &&
          vault?.name === `kv-${name}` &&
          vault.secrets.find((s) => s.name === 'username')?.value === `user-of-${name}`;
        if (!right) lostOrMixed += 1;
      }
      figures.push(
        {
          section: SECTION,
          name: `${n} at once: time`,
          value: Math.round(seconds[n] * 10) / 10,
          unit: 's',
          note: 'terraform apply of each config (inited before), all started together, state in the local blob storage',
        },
        {
          section: SECTION,
          name: `${n} at once: CPU`,
          value: Math.round(cpu[n] * 10) / 10,
          unit: 's',
          note: `user + system time of the bench and every process under it; ${(cpu[n] / n).toFixed(1)} s per apply`,
        },
        {
          section: SECTION,
          name: `${n} at once: cores busy`,
          value: Math.round((cpu[n] / seconds[n]) * 100) / 100,
          unit: `of ${cores}`,
          note:
            cpu[n] / seconds[n] >= 0.9 * cores
              ? "CPU / time: at the machine's core count, the round waited on nothing but the processor"
              : `CPU / time: ${Math.round((1 - cpu[n] / seconds[n] / cores) * 100)}% of the cores' time went unused, waiting on something else (a lock, one busy process, a modelled delay)`,
        },
        {
          section: SECTION,
          name: `${n} at once: peak memory`,
          value: Math.round(peak),
          unit: 'MB',
          note: 'resident memory of the bench and every process under it (Terraform, providers, Azurite), sampled',
        },
      );
    }
  } finally {
    removeToken(tokenFile);
    await cloud.close();
  }
  figures.push(
    {
      section: SECTION,
      name: '20 at once / 1',
      value: Math.round((seconds[20] / seconds[1]) * 100) / 100,
      unit: 'x',
      budget: { max: TEAMS_BUDGET },
      note: `floor on ${cores} cores: 20 applies' CPU / ${cores} cores / time of 1 = ${((cpu[20] ?? 0) / cores / (seconds[1] ?? 1)).toFixed(1)} x`,
    },
    {
      section: SECTION,
      name: 'configs whose outputs or secret read back wrong',
      value: lostOrMixed,
      unit: '',
      budget: { max: 0 },
      note: `of ${TEAMS_SIZES.reduce((a, b) => a + b, 0)}: terraform output -json from each state, against the store`,
    },
  );
  return figures;
}
