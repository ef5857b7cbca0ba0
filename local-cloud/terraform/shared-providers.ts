/**
 * The local cloud's own Terraform runs start its providers once per run, not once per provider and per walk.
 *
 * Terraform starts every provider afresh for each walk of a command: a plan starts each one three times (schema,
 * validate, plan), an apply four times. One start of the provider server costs about 0.3 s of CPU, most of what a
 * command costs. Terraform can also attach to a provider that already runs (`TF_REATTACH_PROVIDERS`, as provider
 * developers debug theirs; hashicorp/terraform v1.11.4 main.go:407-455 and
 * internal/command/meta_providers.go:446-503). So `runTerraform` hands each command one process that serves every
 * provider (server.ts `startSharedServers`), started for the first command of a work directory and environment and
 * kept for the next ones. In it, each connection gets a provider instance of its own, as a process of its own would.
 *
 * `terraform init` still installs the providers from the mirror and locks them (Terraform leaves unmanaged providers
 * out of both), so a plain Terraform or `cdktf deploy` finds the working directory as ever and starts the providers
 * itself, per walk.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import type { Socket } from 'node:net';
import { createInterface } from 'node:readline';
import { providerBundle } from './install';
import {
  dieWithParent,
  MAGIC_COOKIE_KEY,
  MAGIC_COOKIE_VALUE,
  SHARED_ARGUMENT,
} from './plugin-process';

/** The Terraform commands that start providers; the others (init, output, version, ...) run without. */
const STARTS_PROVIDERS = new Set([
  'apply',
  'console',
  'destroy',
  'import',
  'plan',
  'refresh',
  'show',
  'state',
  'test',
  'validate',
]);

/** Processes kept when no command uses them: the runs of a test worker move on from work directory to work directory. */
const MAX_IDLE = 4;

interface Shared {
  readonly child: ChildProcess;
  /** The value of `TF_REATTACH_PROVIDERS`. */
  readonly reattach: string;
  /** Commands using it now. */
  users: number;
  lastUsed: number;
  exited: boolean;
  /** Takes it out of the running ones: the next command of its environment starts another. */
  readonly gone: () => void;
}

const running = new Map<string, Promise<Shared>>();
/** Every shared process that started and has not exited. */
const started = new Set<Shared>();
let uses = 0;

/** Whether `terraform <args>` starts providers, and so gets the shared ones. */
export function startsProviders(args: readonly string[]): boolean {
  const command = args.find((a) => !a.startsWith('-'));
  return command !== undefined && STARTS_PROVIDERS.has(command);
}

/**
 * What of Terraform's environment the providers get: all but the values of Terraform's input variables
 * (`TF_VAR_*`), which only Terraform reads. Commands that differ in those alone (one stack per team, each with its
 * own secrets) share a process, and no secret value sits in a long-lived process's environment.
 */
function providerEnv(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(env).filter(([name]) => !name.startsWith('TF_VAR_')));
}

/** A stable key for an environment: one shared process per work directory and environment (the providers read it). */
function keyOf(env: NodeJS.ProcessEnv): string {
  return JSON.stringify(Object.entries(env).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/** Start a shared provider process; `gone` is called once no further command may use it. */
async function start(env: NodeJS.ProcessEnv, gone: () => void): Promise<Shared> {
  const [command = process.execPath, ...args] = [
    ...(await dieWithParent()),
    process.execPath,
    providerBundle(),
    SHARED_ARGUMENT,
  ];
  const child = spawn(command, args, {
    env: { ...env, [MAGIC_COOKIE_KEY]: MAGIC_COOKIE_VALUE },
    stdio: ['ignore', 'pipe', 'pipe'],
    // Not in the terminal's process group: a Ctrl-C or a hangup reaches Terraform (through the run, which forwards
    // it), and Terraform stops its calls to the providers; the run stops this process when it is done.
    detached: true,
  });
  let stderr = '';
  child.stderr?.setEncoding('utf8').on('data', (d: string) => {
    if (stderr.length < 64 * 1024) stderr += d;
  });
  return new Promise<Shared>((resolve, reject) => {
    let shared: Shared | undefined;
    const failed = (why: string) =>
      reject(new Error(`the local providers did not start: ${stderr.trim() || why}`));
    child.once('error', (err) => failed(err.message));
    // On close, not exit: a process that failed to start has written all of its stderr by then.
    child.once('close', (code, signal) => {
      gone();
      if (shared) {
        shared.exited = true;
        started.delete(shared);
      } else failed(`the provider server exited (${signal ?? `exit ${code}`})`);
    });
    const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
    lines.once('line', (line) => {
      // Started: from now on, the run that started it may end while it is idle, and it must not keep that run's
      // process alive (the commands that use it do).
      child.unref();
      (child.stdout as unknown as Socket).unref();
      (child.stderr as unknown as Socket).unref();
      shared = { child, reattach: line, users: 0, lastUsed: 0, exited: false, gone };
      started.add(shared);
      resolve(shared);
    });
  });
}

/** The shared process for `env`, started if need be. */
async function acquire(env: NodeJS.ProcessEnv): Promise<Shared> {
  const key = keyOf(env);
  for (;;) {
    let entry = running.get(key);
    if (!entry) {
      const starting: Promise<Shared> = start(env, () => {
        if (running.get(key) === starting) running.delete(key);
      });
      entry = starting;
      running.set(key, entry);
      starting.catch(() => {
        if (running.get(key) === starting) running.delete(key);
      });
    }
    const shared = await entry;
    // Stopped while this command waited for it: start another.
    if (shared.exited || shared.child.killed) continue;
    shared.users++;
    return shared;
  }
}

/** A command is done with `shared`: stop the least recently used idle processes beyond MAX_IDLE. */
function release(shared: Shared): void {
  shared.users--;
  shared.lastUsed = ++uses;
  const idle = [...started].filter((s) => s.users === 0 && !s.child.killed);
  idle.sort((a, b) => b.lastUsed - a.lastUsed);
  for (const old of idle.slice(MAX_IDLE)) {
    old.gone();
    old.child.kill();
  }
}

/**
 * Run `command` with the environment Terraform needs to reattach to the shared providers for `env` (the environment
 * Terraform itself runs with, which the providers read).
 */
export async function withSharedProviders<T>(
  env: NodeJS.ProcessEnv,
  command: (env: NodeJS.ProcessEnv) => Promise<T>,
): Promise<T> {
  const shared = await acquire(providerEnv(env));
  try {
    return await command({ ...env, TF_REATTACH_PROVIDERS: shared.reattach });
  } finally {
    release(shared);
  }
}

/**
 * Stop every shared provider process of this process and wait until they have exited: the end of a run that leaves
 * nothing running. A command that starts after this starts a new one.
 */
export async function stopSharedProviders(): Promise<void> {
  const starting = [...running.values()];
  running.clear();
  const all = new Set(started);
  for (const entry of starting) {
    const shared = await entry.catch(() => undefined);
    if (shared) all.add(shared);
  }
  await Promise.all(
    [...all].map((shared) => {
      if (shared.exited) return undefined;
      const exited = new Promise((resolve) => shared.child.once('exit', resolve));
      // Waited for: it keeps this process alive until it has exited.
      shared.child.ref();
      shared.child.kill();
      return exited;
    }),
  );
}
