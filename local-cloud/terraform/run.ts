/**
 * Run the real `terraform` against the local providers: the demo, the tests and `workload-id tflocal` go through here.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { devNull, constants as osConstants } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { captureCapped, MAX_CAPTURED_OUTPUT_BYTES, tooMuchOutput } from '../../lib/capped-output';
import { readTextFile } from '../../lib/read-file';
import { installLocalProviders, localCliConfigFile } from './install';
import { dieWithParent } from './plugin-process';
import { startsProviders, withSharedProviders } from './shared-providers';

/** Terraform 1.11 is the first with write-only attributes, which the product's Key Vault secrets use. */
export const MINIMUM_TERRAFORM = '1.11.0';

export interface TerraformRunOptions {
  /** The local cloud's work directory: the provider mirror and CLI config go under `<workDir>/terraform/`. */
  workDir: string;
  /** Extra environment for Terraform and so for the providers it starts (e.g. `TF_VAR_secret_*`). */
  env?: NodeJS.ProcessEnv;
  /**
   * Stops Terraform as Ctrl-C does (SIGINT: it finishes the call in flight and stops its providers); the run then
   * rejects with the signal's reason.
   */
  signal?: AbortSignal;
  /**
   * `shared` (the default): the commands of a work directory reattach to one provider process that serves them all
   * (shared-providers.ts). `per-command`: Terraform starts them itself from the mirror, as for any provider.
   */
  providers?: 'shared' | 'per-command';
}

/** How long Terraform has to stop after an interrupt before it is killed. */
const TERRAFORM_STOP_GRACE_MS = 10_000;

export interface TerraformResult {
  exitCode: number;
  stdout: string;
  stderr: string;
  /** Terraform's result lines, e.g. `Apply complete! Resources: 10 added, 0 changed, 0 destroyed.` */
  summary: string[];
}

/** Terraform failed: the message holds the command and Terraform's error diagnostics in full. */
export class TerraformError extends Error {
  constructor(
    message: string,
    readonly result: TerraformResult,
  ) {
    super(message);
    this.name = 'TerraformError';
  }
}

const run = promisify(execFile);
let checked: Promise<string> | undefined;

function compareVersions(a: string, b: string): number {
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  for (let i = 0; i < 3; i++) if ((pa[i] ?? 0) !== (pb[i] ?? 0)) return (pa[i] ?? 0) - (pb[i] ?? 0);
  return 0;
}

/** The version of `terraform` on PATH; throws one line naming the prerequisite when it is missing or too old. */
export function checkTerraform(env: NodeJS.ProcessEnv = process.env): Promise<string> {
  // Asked once per process for the process's own PATH.
  if (env !== process.env) return findTerraform(env);
  checked ??= findTerraform(env);
  checked.catch(() => {
    checked = undefined;
  });
  return checked;
}

async function findTerraform(env: NodeJS.ProcessEnv): Promise<string> {
  let stdout: string;
  try {
    // Not the user's CLI config: the version needs none, and one that is a device (/dev/zero) or huge would be read
    // whole. Terraform's own runs get the local cloud's (terraformEnv).
    ({ stdout } = await run('terraform', ['version', '-json'], {
      env: { ...env, CHECKPOINT_DISABLE: '1', TF_CLI_CONFIG_FILE: devNull },
    }));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new Error(
        `terraform not found on PATH: the local cloud deploys with the real Terraform, ${MINIMUM_TERRAFORM} or later; install it`,
      );
    }
    const why = (err as { stderr?: string }).stderr?.trim() || (err as Error).message;
    throw new Error(`terraform version failed: ${why.split('\n')[0]?.slice(0, 300)}`);
  }
  const version = (JSON.parse(stdout) as { terraform_version?: string }).terraform_version ?? '';
  if (!/^\d+\.\d+\.\d+/.test(version) || compareVersions(version, MINIMUM_TERRAFORM) < 0) {
    throw new Error(
      `terraform ${version || '(unknown version)'} on PATH is too old: the local cloud needs ${MINIMUM_TERRAFORM} or later (write-only attributes)`,
    );
  }
  return version;
}

/**
 * The line to say when the caller set `TF_CLI_CONFIG_FILE`, which Terraform's runs against the local cloud never
 * read (its own CLI config replaces it, in `terraformEnv`); undefined when none is set.
 */
export function ignoredCliConfigLine(
  workDir: string,
  env: NodeJS.ProcessEnv = process.env,
): string | undefined {
  const theirs = env.TF_CLI_CONFIG_FILE;
  return theirs
    ? `TF_CLI_CONFIG_FILE=${JSON.stringify(theirs).slice(1, -1)} is not used: Terraform runs with the local cloud's own CLI config, ${localCliConfigFile(workDir)}`
    : undefined;
}

/**
 * The environment Terraform runs with: the local CLI config (always: one the caller set in `TF_CLI_CONFIG_FILE` is
 * not read, see `ignoredCliConfigLine`), no prompts, no network checks.
 */
export function terraformEnv(options: TerraformRunOptions): NodeJS.ProcessEnv {
  const { cliConfigFile, pluginCacheDir } = installLocalProviders(options.workDir);
  return {
    ...process.env,
    ...options.env,
    TF_CLI_CONFIG_FILE: cliConfigFile,
    TF_PLUGIN_CACHE_DIR: pluginCacheDir,
    TF_IN_AUTOMATION: '1',
    TF_INPUT: '0',
    CHECKPOINT_DISABLE: '1',
    // The providers' handlers find the local cloud's store here.
    WI_LOCAL_CLOUD_WORK_DIR: options.workDir,
  };
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: ANSI colour codes
const ANSI = /\u001b\[[0-9;]*m/g;

/** The lines that say what a command did, not how. */
const RESULT_LINE =
  /^(Apply complete!|Destroy complete!|Plan: \d|No changes\.|Terraform has been successfully initialized!|Success! The configuration is valid|Terraform initialized in an empty directory|Import successful!|Warning: )/;

/** Terraform's result lines, without colours; error diagnostics are kept whole. */
export function condenseOutput(stdout: string, stderr = ''): string[] {
  const lines = stdout
    .replace(ANSI, '')
    .split('\n')
    .map((l) => l.replace(/^[\s│╷╵]+/, '').trimEnd());
  // Every install from a mirror records this platform's hash only, and Terraform says so each init: not news here.
  const summary = lines.filter(
    (l) => RESULT_LINE.test(l) && !l.startsWith('Warning: Incomplete lock file information'),
  );
  const errors = errorDiagnostics(`${stdout}\n${stderr}`);
  return errors ? [...summary, errors] : summary;
}

/** Every `Error:` diagnostic box of Terraform's output, whole, without its frame and colours. */
export function errorDiagnostics(output: string): string {
  const text = output.replace(ANSI, '');
  const blocks: string[] = [];
  let current: string[] | undefined;
  for (const raw of text.split('\n')) {
    const line = raw.replace(/^[│╷╵]\s?/, '').trimEnd();
    if (line.startsWith('Error: ')) {
      if (current) blocks.push(current.join('\n').trim());
      current = [line];
    } else if (current && (raw.startsWith('╵') || line.startsWith('Warning: '))) {
      blocks.push(current.join('\n').trim());
      current = undefined;
    } else if (current) {
      current.push(line);
    }
  }
  if (current) blocks.push(current.join('\n').trim());
  return blocks.join('\n\n');
}

/**
 * The command line that starts `terraform <args>`: in this process's group, so that a terminal's Ctrl-C reaches it,
 * and bound to this process's life, so that a `kill -9` of the demo takes its Terraform along instead of leaving an
 * orphan that goes on applying (and holding the state lock) after the demo is gone. Its providers end when Terraform
 * does (provider-main.ts).
 */
async function terraformCommand(args: readonly string[]): Promise<[string, string[]]> {
  const [command = 'terraform', ...rest] = [...(await dieWithParent()), 'terraform', ...args];
  return [command, rest];
}

/** Interrupt Terraform (as Ctrl-C does, then kill it after a grace period) when `signal` aborts; returns the undo. */
function interruptOnAbort(child: ChildProcess, signal: AbortSignal | undefined): () => void {
  const interrupt = () => {
    child.kill('SIGINT');
    setTimeout(() => child.kill('SIGKILL'), TERRAFORM_STOP_GRACE_MS).unref();
  };
  signal?.addEventListener('abort', interrupt, { once: true });
  return () => signal?.removeEventListener('abort', interrupt);
}

/**
 * Run `terraform <args>` in the stack directory `dir` against the local providers, and collect its output.
 * Throws a TerraformError (command, exit code, error diagnostics) when it fails.
 */
export async function runTerraform(
  dir: string,
  args: readonly string[],
  options: TerraformRunOptions,
): Promise<TerraformResult> {
  return withTerraform(args, options, (env) => spawnTerraform(dir, args, env, options));
}

/**
 * Check Terraform, then run `spawnWith` with the environment of `terraform <args>`: reattached to the run's shared
 * provider process when the command starts providers (shared-providers.ts), unless `options.providers` says
 * `per-command`.
 */
async function withTerraform<T>(
  args: readonly string[],
  options: TerraformRunOptions,
  spawnWith: (env: NodeJS.ProcessEnv) => Promise<T>,
): Promise<T> {
  await checkTerraform();
  options.signal?.throwIfAborted();
  const env = terraformEnv(options);
  return options.providers !== 'per-command' && startsProviders(args)
    ? withSharedProviders(env, spawnWith)
    : spawnWith(env);
}

async function spawnTerraform(
  dir: string,
  args: readonly string[],
  env: NodeJS.ProcessEnv,
  options: TerraformRunOptions,
): Promise<TerraformResult> {
  const started = Date.now();
  const [command, commandArgs] = await terraformCommand(args);
  const child = spawn(command, commandArgs, { cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe'] });
  const stopListening = interruptOnAbort(child, options.signal);
  // Each stream is kept up to a cap: past it, Terraform is stopped as an abort stops it (SIGINT, then SIGKILL).
  let stopped = false;
  const stop = () => {
    if (stopped) return;
    stopped = true;
    child.kill('SIGINT');
    setTimeout(() => child.kill('SIGKILL'), TERRAFORM_STOP_GRACE_MS).unref();
  };
  const max = MAX_CAPTURED_OUTPUT_BYTES;
  const out = captureCapped(child.stdout, max, stop);
  const err = captureCapped(child.stderr, max, stop);
  const exitCode = await new Promise<number>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => resolve(code ?? 1));
  });
  stopListening();
  options.signal?.throwIfAborted();
  // Captured output is for reading and matching: without Terraform's colours.
  const stdout = out.text().replace(ANSI, '');
  const stderr = err.text().replace(ANSI, '');
  if (out.overflowed || err.overflowed)
    throw new TerraformError(`${tooMuchOutput(`terraform ${args.join(' ')}`, max)} (in ${dir})`, {
      exitCode,
      stdout,
      stderr,
      summary: [],
    });
  const result: TerraformResult = {
    exitCode,
    stdout,
    stderr,
    summary: condenseOutput(stdout, stderr),
  };
  if (exitCode !== 0) {
    const diagnostics =
      errorDiagnostics(`${stderr}\n${stdout}`) ||
      stderr.trim() ||
      stdout.trim().split('\n').slice(-5).join('\n');
    throw new TerraformError(
      `terraform ${args.join(' ')} failed in ${dir} (exit ${exitCode}):\n${diagnostics}${providerErrors(options.workDir, started)}`,
      result,
    );
  }
  return result;
}

/** What provider processes of this run logged when they failed to start (see provider-main.ts), to add to the error. */
function providerErrors(workDir: string, since: number): string {
  const log = join(resolve(workDir), 'terraform', 'provider-errors.log');
  if (!existsSync(log)) return '';
  let text: string;
  try {
    text = readTextFile(log, { maxBytes: 1024 * 1024 });
  } catch (err) {
    return `\nLocal provider failures: ${(err as Error).message}`;
  }
  const recent = text
    .split(/\n(?=\d{4}-\d\d-\d\dT)/)
    .filter((entry) => Date.parse(entry.slice(0, 24)) >= since - 1000);
  return recent.length > 0
    ? `\nLocal provider failures (${log}):\n${recent.join('\n').trim()}`
    : '';
}

/** `terraform output -json` in cdktf's outputs-file shape: `{ <stack>: { <output>: value } }` (sensitive ones left out, as cdktf does by default). */
export async function terraformOutputsAsCdktf(
  dir: string,
  stackName: string,
  options: TerraformRunOptions & { includeSensitive?: boolean },
): Promise<{ [stack: string]: { [output: string]: unknown } }> {
  const { stdout } = await runTerraform(dir, ['output', '-json'], options);
  let outputs: { [name: string]: { value: unknown; sensitive?: boolean } };
  try {
    outputs = JSON.parse(stdout || '{}');
  } catch (err) {
    throw new Error(`terraform output -json in ${dir} printed no JSON: ${(err as Error).message}`);
  }
  const isObject = (v: unknown) => typeof v === 'object' && v !== null && !Array.isArray(v);
  if (!isObject(outputs) || !Object.values(outputs).every(isObject))
    throw new Error(`terraform output -json in ${dir} printed no object of outputs`);
  const values: { [output: string]: unknown } = {};
  for (const [name, output] of Object.entries(outputs))
    if (!output.sensitive || options.includeSensitive) values[name] = output.value;
  return { [stackName]: values };
}

/** Signals forwarded to Terraform, and the one each is forwarded as. */
const FORWARDED: Readonly<Record<string, NodeJS.Signals>> = {
  SIGINT: 'SIGINT',
  SIGTERM: 'SIGTERM',
  // A closed terminal: Terraform runs in a process group of its own, so it would not get the hangup itself.
  SIGHUP: 'SIGTERM',
};

/**
 * Run `terraform <args>` in `dir` against the local providers, its output on the terminal; resolves with its exit
 * code, or 128 + the signal's number once a signal stopped it; rejects with `options.signal`'s reason when it aborts.
 *
 * Terraform runs in a process group of its own, so a Ctrl-C reaches it once, through this process: SIGINT and
 * SIGTERM are forwarded (the first one; Terraform ends the call in flight and stops its providers, a second interrupt
 * would make it exit at once and lose state), and this process waits for Terraform to exit. Its input is not the
 * terminal: the local cloud's runs never prompt (TF_INPUT=0).
 */
export async function execTerraform(
  dir: string,
  args: readonly string[],
  options: TerraformRunOptions,
): Promise<number> {
  return withTerraform(args, options, (env) => spawnAndWait(dir, args, env, options));
}

async function spawnAndWait(
  dir: string,
  args: readonly string[],
  env: NodeJS.ProcessEnv,
  options: TerraformRunOptions,
): Promise<number> {
  const [command, commandArgs] = await terraformCommand(args);
  const child = spawn(command, commandArgs, {
    cwd: dir,
    env,
    stdio: ['ignore', 'inherit', 'inherit'],
    detached: true,
  });
  const stopListening = interruptOnAbort(child, options.signal);
  let stoppedBy: NodeJS.Signals | undefined;
  const forward = (signal: NodeJS.Signals) => {
    if (stoppedBy) {
      console.error(
        `${signal}: still waiting for Terraform to stop (kill -KILL -${child.pid} ends it and its providers at once)`,
      );
      return;
    }
    stoppedBy = signal;
    console.error(`\n${signal}: stopping Terraform; waiting for it to exit`);
    child.kill(FORWARDED[signal]);
  };
  for (const signal of Object.keys(FORWARDED)) process.on(signal, forward);
  try {
    const code = await new Promise<number>((resolveExit, reject) => {
      child.on('error', reject);
      child.on('close', (exitCode, signal) =>
        resolveExit(exitCode ?? (signal ? 128 + osConstants.signals[signal] : 1)),
      );
    });
    options.signal?.throwIfAborted();
    return stoppedBy ? 128 + osConstants.signals[stoppedBy] : code;
  } finally {
    stopListening();
    for (const signal of Object.keys(FORWARDED)) process.off(signal, forward);
  }
}
