// The real `terraform` binary against the local provider server: init from the filesystem mirror (offline, no
// dev-overrides warning), validate, plan, apply, a second plan with no changes, replacement, destroy. hashicorp/time's
// `time_sleep` is the resource: it really waits, on the local cloud's scaled clock.
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CALL_LOG_VARIABLE } from '../../../../local-cloud/terraform/provider';
import {
  checkTerraform,
  runTerraform,
  TerraformError,
  terraformEnv,
  terraformOutputsAsCdktf,
} from '../../../../local-cloud/terraform/run';
import { withSharedProviders } from '../../../../local-cloud/terraform/shared-providers';

const root = mkdtempSync(join(tmpdir(), 'wi-tf-apply-'));
/** Each test's own work directory: Terraform's plugin cache is not safe for inits running at the same time. */
const workDirOf = (dir: string) => join(dir, '.local-cloud');
// 15 Azure seconds at a tenth of real time: 1.5 s of real waiting.
const env = { WI_LOCAL_CLOUD_TIME_SCALE: '0.1' };
/** The environment that logs every call the providers answer, in `<dir>/calls.log`: what Terraform asks, of which process. */
const loggingCalls = (dir: string) => ({ ...env, [CALL_LOG_VARIABLE]: join(dir, 'calls.log') });
/** The log's lines as [provider, call, pid]. */
const callsOf = (dir: string) =>
  readFileSync(join(dir, 'calls.log'), 'utf8')
    .trim()
    .split('\n')
    .map((line) => line.split(' ') as [string, string, string]);

function stack(name: string, config: object): string {
  const dir = join(root, name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'main.tf.json'), JSON.stringify(config, null, 2));
  return dir;
}

const timeProvider = {
  required_providers: { time: { source: 'hashicorp/time', version: '0.13.1' } },
};

function sleepStack(triggers: Record<string, string>) {
  return {
    terraform: timeProvider,
    resource: {
      time_sleep: { rbac: { create_duration: '15s', destroy_duration: '1s', triggers } },
    },
    output: {
      sleep_id: { value: '${time_sleep.rbac.id}' },
      sleep_for: { value: '${time_sleep.rbac.create_duration}' },
    },
  };
}

beforeAll(async () => {
  await checkTerraform();
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

// Independent stacks: their Terraform runs overlap, which keeps the suite's time down.
describe.concurrent('real terraform against the local providers', () => {
  it('initializes from the filesystem mirror, and Terraform starts the providers from it for each walk', async () => {
    const dir = stack('per-command', sleepStack({ role: 'Key Vault Secrets User' }));
    // As Terraform runs any provider: it starts the mirror's executable for each walk and shuts it down after.
    const options = {
      workDir: workDirOf(dir),
      env: loggingCalls(dir),
      providers: 'per-command' as const,
    };
    const init = await runTerraform(dir, ['init', '-input=false'], options);
    expect(init.summary).toContain('Terraform has been successfully initialized!');
    expect(`${init.stdout}${init.stderr}`).not.toMatch(/development overrides|dev_overrides/i);
    expect(init.stdout).toContain('Installing hashicorp/time v0.13.1');
    expect(readFileSync(join(dir, '.terraform.lock.hcl'), 'utf8')).toMatch(
      /provider "registry.terraform.io\/hashicorp\/time"[\s\S]*version\s*=\s*"0.13.1"[\s\S]*"h1:/,
    );
    const apply = await runTerraform(dir, ['apply', '-auto-approve', '-input=false'], options);
    expect(apply.summary).toContain('Apply complete! Resources: 1 added, 0 changed, 0 destroyed.');
    const again = await runTerraform(dir, ['plan', '-input=false'], options);
    expect(again.summary).toContain('No changes. Your infrastructure matches the configuration.');

    const calls = callsOf(dir);
    const names = new Set(calls.map(([provider, call]) => `${provider} ${call}`));
    for (const call of [
      'GetProviderSchema',
      'ValidateProviderConfig',
      'ValidateResourceConfig',
      'ConfigureProvider',
      'PlanResourceChange',
      'ApplyResourceChange',
      'ReadResource',
      'UpgradeResourceState',
      'Shutdown',
    ]) {
      expect(names, call).toContain(`time ${call}`);
    }
    // A process per walk: at least the validate, plan and apply walks of the apply, and the plan's.
    expect(new Set(calls.map(([, , pid]) => pid)).size).toBeGreaterThanOrEqual(5);
  });

  it('applies, converges, replaces and destroys a time_sleep, every command reattaching to one provider process', async () => {
    const dir = stack('shared', sleepStack({ role: 'Key Vault Secrets User' }));
    // An input variable's value is Terraform's alone (the lab's secrets come this way).
    const variable = 'TF_VAR_not_for_providers=only-terraform-reads-this';
    const [name, value] = variable.split('=') as [string, string];
    const options = { workDir: workDirOf(dir), env: { ...loggingCalls(dir), [name]: value } };
    await runTerraform(dir, ['init', '-input=false'], options);
    // What a plain Terraform needs is there: init installs and locks from the mirror as ever.
    expect(readFileSync(join(dir, '.terraform.lock.hcl'), 'utf8')).toContain('hashicorp/time');

    const validate = await runTerraform(dir, ['validate'], options);
    expect(validate.summary).toContain('Success! The configuration is valid.');

    const plan = await runTerraform(dir, ['plan', '-input=false'], options);
    expect(plan.summary).toContain('Plan: 1 to add, 0 to change, 0 to destroy.');
    expect(plan.stdout).toMatch(/id\s+= \(known after apply\)/);

    const apply = await runTerraform(dir, ['apply', '-auto-approve', '-input=false'], options);
    expect(apply.summary).toContain('Apply complete! Resources: 1 added, 0 changed, 0 destroyed.');
    // The process that served it is still there for the next command (read at once: nothing ran in between), with
    // the work directory in its environment and without the variable's value.
    const [, , pid] = callsOf(dir).at(-1) ?? [];
    const environment = readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0');
    expect(environment).toContain(`WI_LOCAL_CLOUD_WORK_DIR=${options.workDir}`);
    expect(environment).not.toContain(variable);
    // Terraform reports whole seconds: at least the 1.5 s the sleep lasts (more on a busy machine).
    const created =
      /time_sleep\.rbac: Creation complete after (\d+)s \[id=\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\]/.exec(
        apply.stdout,
      );
    expect(Number(created?.[1])).toBeGreaterThanOrEqual(1);

    const outputs = await terraformOutputsAsCdktf(dir, 'sleepy', options);
    expect(outputs).toEqual({
      sleepy: { sleep_id: expect.stringMatching(/^\d{4}-\d\d-\d\dT/), sleep_for: '15s' },
    });

    // Nothing changed: Terraform's own consistency checks hold for what the server planned and applied.
    const again = await runTerraform(dir, ['plan', '-input=false', '-detailed-exitcode'], options);
    expect(again.summary).toContain('No changes. Your infrastructure matches the configuration.');

    writeFileSync(
      join(dir, 'main.tf.json'),
      JSON.stringify(sleepStack({ role: 'Key Vault Secrets Officer' })),
    );
    const replace = await runTerraform(dir, ['plan', '-input=false'], options);
    expect(replace.stdout).toMatch(/# time_sleep\.rbac must be replaced/);
    expect(replace.summary).toContain('Plan: 1 to add, 0 to change, 1 to destroy.');

    const destroy = await runTerraform(dir, ['destroy', '-auto-approve', '-input=false'], options);
    expect(destroy.summary).toContain('Destroy complete! Resources: 1 destroyed.');
    const list = await runTerraform(dir, ['state', 'list'], options);
    expect(list.stdout.trim()).toBe('');

    const calls = callsOf(dir);
    expect(calls.map(([, call]) => call)).toEqual(
      expect.arrayContaining(['GetProviderSchema', 'ConfigureProvider', 'ApplyResourceChange']),
    );
    // One process answered every command, and nobody shut it down: the next command of this run reattaches.
    expect(new Set(calls.map(([, , pid]) => pid)).size).toBe(1);
    expect(calls.map(([, call]) => call)).not.toContain('Shutdown');
  });

  it('serves the shared providers on unix sockets in a directory only its user can open, and on no TCP port', async () => {
    // GIVEN the shared provider process of a work directory, as a Terraform command reattaches to it
    const workDir = join(root, 'sockets');
    mkdirSync(workDir, { recursive: true });
    const reattach = await withSharedProviders(terraformEnv({ workDir, env: {} }), async (env) =>
      JSON.parse(String(env.TF_REATTACH_PROVIDERS)),
    );
    const providers = Object.values(reattach) as {
      Pid: number;
      Addr: { Network: string; String: string };
    }[];
    expect(providers).toHaveLength(4);
    // THEN every provider is a unix socket, all in one directory of mode 0700
    expect(new Set(providers.map((p) => p.Addr.Network))).toEqual(new Set(['unix']));
    const dir = dirname(providers[0].Addr.String);
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    expect(statSync(dir).uid).toBe(process.getuid?.());
    for (const p of providers) expect(statSync(p.Addr.String).isSocket()).toBe(true);
    // AND the process listens on no TCP port: none of its sockets is a listening TCP one
    const pid = providers[0].Pid;
    const inodes = new Set(
      readdirSync(`/proc/${pid}/fd`)
        .map((fd) => {
          try {
            return /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`))?.[1];
          } catch {
            return undefined;
          }
        })
        .filter(Boolean),
    );
    const listening = ['/proc/net/tcp', '/proc/net/tcp6']
      .filter((table) => existsSync(table))
      .flatMap((table) => readFileSync(table, 'utf8').trim().split('\n').slice(1))
      .map((row) => row.trim().split(/\s+/))
      .filter((cols) => cols[3] === '0A' && inodes.has(cols[9]));
    expect(listening).toEqual([]);
    // AND when the run stops it (SIGTERM, as stopSharedProviders does; only this process: the file's other tests run
    // at the same time on processes of their own), the directory goes with it
    process.kill(pid, 'SIGTERM');
    const running = () => {
      try {
        // a zombie (state Z) has exited, and waits only for its parent to reap it
        return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
      } catch {
        return false;
      }
    };
    while (running()) await sleep(20);
    expect(existsSync(dir)).toBe(false);
  });

  it('stops the waits of an interrupted command only: another command on the same provider process completes', async () => {
    // GIVEN two stacks on one work directory and environment, so their commands share one provider process
    const workDir = join(root, 'stop-one');
    const options = { workDir, env: loggingCalls(workDir) };
    const sleeping = (name: string, duration: string) =>
      stack(name, {
        terraform: timeProvider,
        resource: { time_sleep: { wait: { create_duration: duration } } },
      });
    const interrupted = sleeping('stop-interrupted', '3600s');
    const other = sleeping('stop-other', '30s');
    for (const dir of [interrupted, other])
      await runTerraform(dir, ['init', '-input=false'], options);
    const stop = new AbortController();
    const apply = ['apply', '-auto-approve', '-input=false'];
    const stopped = runTerraform(interrupted, apply, { ...options, signal: stop.signal }).then(
      () => 'applied',
      (err: unknown) => err,
    );
    const completed = runTerraform(other, apply, options);
    // WHEN both are in their waits (each ApplyResourceChange is logged as it starts) and the first is interrupted
    const applying = () =>
      existsSync(join(workDir, 'calls.log'))
        ? callsOf(workDir).filter(([, call]) => call === 'ApplyResourceChange').length
        : 0;
    while (applying() < 2) await sleep(20);
    stop.abort('interrupted');
    // THEN the interrupted one ends, and the other one's wait goes on to the end
    expect(await stopped).toBe('interrupted');
    const done = await completed;
    expect(done.summary).toContain('Apply complete! Resources: 1 added, 0 changed, 0 destroyed.');
    expect(new Set(callsOf(workDir).map(([, , pid]) => pid)).size).toBe(1);
    expect(callsOf(workDir).map(([, call]) => call)).toContain('StopProvider');
  });

  it('fails when time_sleep has an invalid duration, with the diagnostic on the attribute', async () => {
    const dir = stack('bad-duration', {
      terraform: timeProvider,
      resource: { time_sleep: { bad: { create_duration: 'thirty seconds' } } },
    });
    const workDir = workDirOf(dir);
    await runTerraform(dir, ['init', '-input=false'], { workDir, env });
    const failure = await runTerraform(dir, ['plan', '-input=false'], { workDir, env }).catch(
      (err: unknown) => err,
    );
    expect(failure).toBeInstanceOf(TerraformError);
    expect((failure as Error).message).toContain('terraform plan -input=false failed');
    // hashicorp/time's own validator and the framework's message (facts/time.json cites both).
    expect((failure as Error).message).toContain('Error: Invalid Attribute Value Match');
    expect((failure as Error).message.replace(/\s+/g, ' ')).toContain(
      'Attribute create_duration must be a number immediately followed by ms (milliseconds), s (seconds), m (minutes), or h (hours). For example, "30s" for 30 seconds., got: thirty seconds',
    );
    expect((failure as Error).message).toContain('with time_sleep.bad');
  });

  it('applies a map whose keys are __proto__ and constructor, and converges: every key is data', async () => {
    const dir = stack('proto-keys', {
      terraform: timeProvider,
      resource: {
        time_sleep: {
          rbac: {
            create_duration: '1s',
            triggers: JSON.parse('{"__proto__":"polluted","constructor":"c"}'),
          },
        },
      },
      output: { triggers: { value: '${time_sleep.rbac.triggers}' } },
    });
    const workDir = workDirOf(dir);
    await runTerraform(dir, ['init', '-input=false'], { workDir, env });
    const apply = await runTerraform(dir, ['apply', '-auto-approve', '-input=false'], {
      workDir,
      env,
    });
    expect(apply.summary).toContain('Apply complete! Resources: 1 added, 0 changed, 0 destroyed.');
    const { stdout } = await runTerraform(dir, ['output', '-json', 'triggers'], { workDir, env });
    expect(Object.entries(JSON.parse(stdout)).sort()).toEqual([
      ['__proto__', 'polluted'],
      ['constructor', 'c'],
    ]);
    const plan = await runTerraform(dir, ['plan', '-input=false'], { workDir, env });
    expect(plan.summary).toContain('No changes. Your infrastructure matches the configuration.');
  });

  it('imports a time_sleep by its durations, and the imported state matches the configuration', async () => {
    const dir = stack('import', {
      terraform: timeProvider,
      resource: { time_sleep: { imported: { create_duration: '5s' } } },
    });
    const options = { workDir: workDirOf(dir), env: loggingCalls(dir) };
    await runTerraform(dir, ['init', '-input=false'], options);
    const imported = await runTerraform(dir, ['import', 'time_sleep.imported', '5s,'], options);
    expect(imported.summary).toContain('Import successful!');
    const plan = await runTerraform(dir, ['plan', '-input=false'], options);
    expect(plan.summary).toContain('No changes. Your infrastructure matches the configuration.');
    expect(callsOf(dir).map(([provider, call]) => `${provider} ${call}`)).toContain(
      'time ImportResourceState',
    );
  });

  it('validates an ephemeral variable in a write-only argument (value_wo)', async () => {
    const dir = stack(
      'write-only',
      azurermStack({ value_wo: '${var.secret}', value_wo_version: 1 }),
    );
    const workDir = workDirOf(dir);
    await runTerraform(dir, ['init', '-input=false'], { workDir, env });
    const validate = await runTerraform(dir, ['validate'], { workDir, env });
    expect(validate.summary).toContain('Success! The configuration is valid.');
  });

  it("fails validate with Terraform's own message for an ephemeral variable in an argument that is not write-only", async () => {
    const dir = stack('ephemeral-value', azurermStack({ value: '${var.secret}' }));
    const workDir = workDirOf(dir);
    await runTerraform(dir, ['init', '-input=false'], { workDir, env });
    const failure = await runTerraform(dir, ['validate'], { workDir, env }).catch(
      (err: unknown) => err,
    );
    expect(failure).toBeInstanceOf(TerraformError);
    expect((failure as Error).message).toContain('Error: Invalid use of ephemeral value');
    expect((failure as Error).message).toContain('with azurerm_key_vault_secret.s');
    expect((failure as Error).message.replace(/\s+/g, ' ')).toContain(
      'Ephemeral values are not valid for "value", because it is not a write-only attribute and must be persisted to state.',
    );
  });

  it("fails validate with Terraform's own message for a reference to an attribute the resource does not have", async () => {
    const dir = stack('no-such-attribute', {
      ...azurermStack({ value: 'not secret' }),
      output: { url: { value: '${azurerm_key_vault_secret.s.vault_url}' } },
    });
    const workDir = workDirOf(dir);
    await runTerraform(dir, ['init', '-input=false'], { workDir, env });
    const failure = await runTerraform(dir, ['validate'], { workDir, env }).catch(
      (err: unknown) => err,
    );
    expect(failure).toBeInstanceOf(TerraformError);
    expect((failure as Error).message).toContain('Error: Unsupported attribute');
    expect((failure as Error).message.replace(/\s+/g, ' ')).toContain(
      'This object has no argument, nested block, or exported attribute named "vault_url".',
    );
  });
});

describe('terraform prerequisite', () => {
  it('fails when terraform is not on PATH, in one line naming it and the version needed', async () => {
    await expect(checkTerraform({ PATH: join(root, 'no-such-dir') })).rejects.toThrow(
      /^terraform not found on PATH: the local cloud deploys with the real Terraform, 1\.11\.0 or later; install it$/,
    );
  });

  it('accepts the terraform on PATH when it is 1.11 or later', async () => {
    expect(await checkTerraform()).toMatch(/^1\.(1[1-9]|[2-9]\d)\.\d+/);
  });
});

/** One Key Vault secret with `secret` arguments, and an ephemeral variable to put in them. */
function azurermStack(secret: Record<string, unknown>) {
  return {
    terraform: {
      required_providers: { azurerm: { source: 'hashicorp/azurerm', version: '4.55.0' } },
    },
    provider: { azurerm: [{ features: [{}] }] },
    variable: { secret: { type: 'string', ephemeral: true, sensitive: true } },
    resource: {
      azurerm_key_vault_secret: { s: { name: 's', key_vault_id: '/subscriptions/x', ...secret } },
    },
  };
}
