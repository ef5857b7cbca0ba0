/**
 * The local cloud's work directory: made safely, marked as the local cloud's own, held by one demo at a time, and
 * never one that holds a real deploy's files.
 */
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readlinkSync,
  realpathSync,
  rmSync,
  statSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { readTextFile } from '../../lib/read-file';
import { takeLockFile } from './lock-file';

/** The first line of the Terraform CLI configuration the local cloud writes: it tells a work directory of the local cloud. */
export const CLI_CONFIG_HEADER =
  '# Written by the local cloud: hashicorp providers come from the local mirror, never from the network.';
/** The file that marks a directory as a local cloud's work directory (so its state and store are the local cloud's). */
export const WORK_DIR_MARK = '.local-cloud-work-dir';
/** The lock a demo holds on its work directory. */
const RUN_LOCK = 'run.lock';

/** Files that a real deploy also leaves (state, outputs) or that hold a world (the store): never taken unmarked. */
const GUARDED = /^(.*\.tfstate(\.backup)?|outputs\.json|cloud-store\.json)$/;

/**
 * What the demo, tflocal and the local cloud write at the top of a work directory, and all that `--reset` deletes:
 * the synthesized stacks and manifests, Terraform's providers, state files and their lock info, the outputs, the
 * store (with its lock and the temp file of an atomic write) and the blob storage's folder.
 */
const WRITTEN_BY_THE_DEMO =
  /^(cdktf\.out|dist|terraform|blob-storage|outputs\.json|cloud-store\.json(\.lock|\.\d+\.tmp)?|terraform\.[\w.-]+\.tfstate(\.backup)?|\.terraform\.[\w.-]+\.tfstate\.lock\.info)$/;

/** Up to three names, and how many more. */
function someOf(names: readonly string[]): string {
  const shown = names.slice(0, 3).join(', ');
  return names.length > 3 ? `${shown} and ${names.length - 3} more` : shown;
}

/** Options of `lockWorkDir`. */
export interface WorkDirOptions {
  /** Told why a lock left behind by a stopped run was taken over. */
  readonly report?: (line: string) => void;
}

/**
 * Make `workDir` (each missing folder on its own: Node's recursive mkdir never returns on a path that cannot be
 * made, such as one under /proc) and return its absolute path; throws one line naming the directory otherwise.
 */
export function makeWorkDir(workDir: string): string {
  if (workDir.trim() === '')
    throw new Error(
      'the work directory is an empty name: give --work-dir a folder (it is created when missing)',
    );
  const target = resolve(workDir);
  const missing: string[] = [];
  let dir = target;
  while (!existsSync(dir) && dirname(dir) !== dir) {
    missing.unshift(dir);
    dir = dirname(dir);
  }
  if (!statSync(dir).isDirectory())
    throw new Error(
      dir === target
        ? `work directory ${workDir} is not a directory: give --work-dir a folder (it is created when missing)`
        : `cannot create work directory ${workDir}: ${dir} is not a directory`,
    );
  for (const folder of missing) {
    try {
      mkdirSync(folder);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      throw new Error(
        `cannot create work directory ${workDir}: ${
          code === 'ENOENT' || code === 'EEXIST'
            ? `${dirname(folder)} does not take new folders`
            : code === 'EACCES' || code === 'EPERM'
              ? `permission denied in ${dirname(folder)}`
              : (code ?? (err as Error).message)
        }`,
      );
    }
  }
  return target;
}

/**
 * Make and mark `workDir` as the local cloud's. It takes only an empty folder, or one it marked (or an earlier version
 * made): otherwise it throws one line naming what the folder holds, and writes and deletes nothing, so neither a real
 * deploy's state nor a user's files (a clone given as `--work-dir .`) can be lost to a later `--reset`.
 */
export function claimWorkDir(workDir: string): string {
  const dir = makeWorkDir(workDir);
  if (existsSync(join(dir, WORK_DIR_MARK))) return dir;
  const entries = readdirSync(dir).sort();
  const guarded = entries.filter((name) => GUARDED.test(name));
  if (entries.length > 0 && !madeByLocalCloud(dir))
    throw new Error(
      guarded.length > 0
        ? `work directory ${workDir} holds ${guarded.join(', ')}, which the local cloud did not make (no ${WORK_DIR_MARK} in it): a real deploy's files are never touched; give the demo a folder of its own with --work-dir`
        : `work directory ${workDir} holds ${someOf(entries)}, which the demo did not make (no ${WORK_DIR_MARK} in it): the demo works only in an empty folder or one it made, and deletes nothing of yours; give it a folder of its own with --work-dir`,
    );
  writeFileSync(
    join(dir, WORK_DIR_MARK),
    "This folder is a local cloud's work directory (workload-id demo / tflocal): its state and store stand for no real Azure.\n",
  );
  return dir;
}

/** A work directory of an earlier version, which wrote no mark: its Terraform CLI config is the local cloud's. */
function madeByLocalCloud(dir: string): boolean {
  const config = join(dir, 'terraform', 'terraform.rc');
  try {
    return readTextFile(config, { maxBytes: 64 * 1024 }).startsWith(CLI_CONFIG_HEADER);
  } catch {
    return false;
  }
}

/**
 * Hold `workDir` for one run: a second demo on the same directory fails with a clear message instead of
 * overwriting this one's state and outputs. A lock left by a process that died is taken over, and so is Terraform's
 * state lock of that run, with the reason reported.
 */
export function lockWorkDir(workDir: string, options: WorkDirOptions = {}): () => void {
  const dir = claimWorkDir(workDir);
  const release = takeLockFile(join(dir, RUN_LOCK), {
    busy: (owner) =>
      new Error(
        `${workDir} is in use by another demo (process ${owner}): wait for it to end, or give this one another directory with --work-dir`,
      ),
    onTakeOver: options.report,
  });
  // Terraform's local state lock is the operating system's (fcntl on the state file), so it went with the process
  // that held it and only its lock info file stays behind; a Terraform that still holds it (tflocal) keeps it open.
  for (const name of readdirSync(dir).filter((n) => /^\..+\.tfstate\.lock\.info$/.test(n))) {
    const state = join(realpathSync(dir), name.slice(1, -'.lock.info'.length));
    if (openedByAProcess(state) !== false) continue;
    unlinkSync(join(dir, name));
    options.report?.(
      `took over Terraform's state lock ${join(workDir, name)}: no process holds ${name.slice(1, -'.lock.info'.length)} (the run that locked it was stopped)`,
    );
  }
  return release;
}

/** Whether a process has `file` open (Linux's /proc); undefined where that cannot be told. */
function openedByAProcess(file: string): boolean | undefined {
  let pids: string[];
  try {
    pids = readdirSync('/proc').filter((name) => /^\d+$/.test(name));
  } catch {
    return undefined;
  }
  return pids.some((pid) => {
    try {
      return readdirSync(`/proc/${pid}/fd`).some((fd) => {
        try {
          return readlinkSync(`/proc/${pid}/fd/${fd}`) === file;
        } catch {
          return false;
        }
      });
    } catch {
      // Gone meanwhile, or another user's.
      return false;
    }
  });
}

/**
 * Start a held work directory over (`--reset`): what the demo wrote there goes, and nothing else. Returns the names it
 * left, which the demo did not write (a file a user put there since).
 */
export function resetWorkDir(workDir: string): string[] {
  const dir = resolve(workDir);
  if (!existsSync(join(dir, WORK_DIR_MARK)))
    throw new Error(`${workDir} is not a local cloud's work directory: it is not reset`);
  const left: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    if (name === WORK_DIR_MARK || name === RUN_LOCK || name.startsWith(`${RUN_LOCK}.`)) continue;
    if (WRITTEN_BY_THE_DEMO.test(name)) rmSync(join(dir, name), { recursive: true, force: true });
    else left.push(name);
  }
  return left;
}
