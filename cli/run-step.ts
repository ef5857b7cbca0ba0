import { spawn } from 'node:child_process';
import { accessSync, constants, statSync } from 'node:fs';
import { delimiter, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { captureCapped, MAX_CAPTURED_OUTPUT_BYTES, tooMuchOutput } from '../lib/capped-output';

/** The project folder: where `cdktf.json` and `main.ts` are, and so where `cdktf` must run. */
export const PROJECT_ROOT = dirname(dirname(fileURLToPath(import.meta.url)));

/** A failure already explained in one line: the command line prints the message as is and exits with `exitCode`. */
export class CommandError extends Error {
  override readonly name = 'CommandError';
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
  }
}

/** An external program to run, as it is printed before it runs. */
export interface ExternalCommand {
  /** The program's name, looked up on PATH (then in the project's `node_modules/.bin`) when it runs. */
  readonly program: string;
  readonly args: readonly string[];
  /** @default - the current folder */
  readonly cwd?: string;
  /** Variables set for this program only; they are printed in front of the command. */
  readonly env?: Readonly<Record<string, string>>;
}

/** Where a program is: the first executable `name` on PATH, else in the project's `node_modules/.bin`. */
export function findProgram(
  name: string,
  env: NodeJS.ProcessEnv = process.env,
): string | undefined {
  const dirs = [
    ...(env.PATH ?? '').split(delimiter).filter(Boolean),
    join(PROJECT_ROOT, 'node_modules', '.bin'),
  ];
  for (const dir of dirs) {
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      if (statSync(candidate).isFile()) return candidate;
    } catch {
      // not here: keep looking
    }
  }
  return undefined;
}

/** `$ WI_CONFIG=/x.yaml cdktf deploy ...`: a command as a person could paste it into a shell. */
export function formatCommand(command: ExternalCommand): string {
  const env = Object.entries(command.env ?? {}).map(([k, v]) => `${k}=${quote(v)}`);
  return ['$', ...env, command.program, ...command.args.map(quote)].join(' ');
}

function quote(arg: string): string {
  return /^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replaceAll("'", `'\\''`)}'`;
}

/** How a program ended: its exit code (127 when it could not start), and its output when it was captured. */
export interface CommandResult {
  readonly code: number;
  readonly stdout: string;
}

/**
 * Run a program and wait for it.
 *
 * Its output goes to this process' output, unless `capture` (then stdout is returned and stderr discarded). What is
 * captured has a cap (`maxBytes`): a program that prints more is killed, and the promise rejects with one line
 * naming it and the cap.
 */
export function runCommand(
  command: ExternalCommand,
  options: {
    readonly capture?: boolean;
    /** With `capture`: let the program's errors through to this process' stderr. @default false */
    readonly showErrors?: boolean;
    /** With `capture`: the most of its stdout that is kept. @default MAX_CAPTURED_OUTPUT_BYTES (64 MiB) */
    readonly maxBytes?: number;
  } = {},
): Promise<CommandResult> {
  const path = findProgram(command.program) ?? command.program;
  const maxBytes = options.maxBytes ?? MAX_CAPTURED_OUTPUT_BYTES;
  return new Promise((resolve, reject) => {
    const child = spawn(path, command.args, {
      cwd: command.cwd,
      env: { ...process.env, ...command.env },
      stdio: options.capture
        ? ['ignore', 'pipe', options.showErrors ? 'inherit' : 'ignore']
        : 'inherit',
    });
    // Only read-only queries are captured (az account show, kubectl get...): killing one loses nothing.
    const stdout =
      child.stdout && captureCapped(child.stdout, maxBytes, () => child.kill('SIGKILL'));
    child.on('error', () => resolve({ code: 127, stdout: stdout?.text() ?? '' }));
    child.on('close', (code, signal) => {
      if (stdout?.overflowed)
        reject(new Error(tooMuchOutput(formatCommand({ ...command, env: {} }).slice(2), maxBytes)));
      else resolve({ code: code ?? (signal ? 128 : 1), stdout: stdout?.text() ?? '' });
    });
  });
}

/** One step of a command: an external program, or work done in this process. */
export interface Step {
  /** Short name used in progress lines and in the failure message, e.g. `kubectl apply`. */
  readonly title: string;
  /** The program to run; a function when it depends on an earlier step (called when the step starts, or to print it). */
  readonly command?: ExternalCommand | (() => ExternalCommand);
  /** Work done in this process; throw to fail the step (the message says why). */
  readonly run?: () => void | Promise<void>;
  /** What `run` does, for `--dry-run`. */
  readonly describe?: string;
  /** Why the step is not needed this time (called when it would start), or undefined to run it. */
  readonly skip?: () => string | undefined;
}

/** Options of `runSteps`. */
export interface RunStepsOptions {
  /** The command's name, first word of every failure message. */
  readonly name: string;
  /** Print every step and its program without running anything. */
  readonly dryRun?: boolean;
  /** Where progress lines go. @default console.log */
  readonly print?: (line: string) => void;
  /** A line saying a long program still runs, every this many ms. @default 30000 */
  readonly heartbeatInMs?: number;
}

/**
 * Run steps in order, printing `[N/M] title`, each program before it runs, and the seconds each step took.
 *
 * The first failing step stops the others; what the earlier steps did stays in place, and the `CommandError`
 * thrown says which step failed and which are done.
 */
export async function runSteps(steps: readonly Step[], options: RunStepsOptions): Promise<void> {
  const print = options.print ?? ((line: string) => console.log(line));
  const total = steps.length;
  for (const [index, step] of steps.entries()) {
    const label = `[${index + 1}/${total}] ${step.title}`;
    const skipped = options.dryRun ? undefined : step.skip?.();
    if (skipped !== undefined) {
      print(`${label}: skipped: ${skipped}`);
      continue;
    }
    let command: ExternalCommand | undefined;
    try {
      command = typeof step.command === 'function' ? step.command() : step.command;
    } catch (err) {
      throw stepFailed(options.name, index, total, step, (err as Error).message);
    }
    print(command ? label : `${label}: ${step.describe ?? step.title}`);
    if (command) print(formatCommand(command));
    if (options.dryRun) continue;
    const started = Date.now();
    const seconds = () => Math.round((Date.now() - started) / 1000);
    let failure: string | undefined;
    if (command) {
      const heartbeat = setInterval(
        () => print(`${label}: still running, ${seconds()}s`),
        options.heartbeatInMs ?? 30_000,
      );
      const { code } = await runCommand(command).finally(() => clearInterval(heartbeat));
      if (code !== 0)
        failure = code === 127 ? `${command.program} could not be started` : `exit ${code}`;
    } else {
      try {
        await step.run?.();
      } catch (err) {
        failure = (err as Error).message;
      }
    }
    if (failure !== undefined) throw stepFailed(options.name, index, total, step, failure);
    print(`${label}: done in ${seconds()}s`);
  }
}

/** `deploy: step 3/5 "verify" failed (<reason>); steps 1-2 are done and left in place` */
function stepFailed(
  name: string,
  index: number,
  total: number,
  step: Step,
  reason: string,
): CommandError {
  const done =
    index === 0
      ? 'no step before it was done'
      : index === 1
        ? 'step 1 is done and left in place'
        : `steps 1-${index} are done and left in place`;
  return new CommandError(
    `${name}: step ${index + 1}/${total} "${step.title}" failed (${reason}); ${done}`,
  );
}
