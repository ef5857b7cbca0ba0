/**
 * One Azurite per blob folder, shared by every process of the local cloud that uses it, as Azure Storage is one
 * service: a blob lease taken by one command holds against another command's Terraform (`Error acquiring the state
 * lock`), which two Azurite processes on one folder could not do (each keeps leases in its own memory, and both would
 * write one metadata database).
 *
 * The first user starts Azurite (detached: it outlives the process that started it while others use it) and records
 * it in `<dir>/azurite.json`; later users find it there. Each user registers in `<dir>/users/`; the last one to leave
 * stops it. A user that died without leaving is told by its process id, as the shared provider process and the
 * work directory's lock do.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { LocalCertificates } from '../core/certificates';
import { processAlive, takeLockFile } from '../core/lock-file';

/** A running Azurite that this user may call, until it leaves. */
export interface SharedAzurite {
  readonly port: number;
  /** The storage accounts it serves, `;`-separated and sorted. */
  readonly accounts: string;
  /** The CA of its TLS certificate (made by the local cloud that started it). */
  readonly caCertPem: string;
  /** Leave: the last user stops Azurite and waits until it has exited. */
  release(): Promise<void>;
}

/** What `<dir>/azurite.json` records. */
interface Recorded {
  readonly pid: number;
  readonly port: number;
  readonly accounts: string;
  readonly caCertPem: string;
}

/** The turn of each folder in this process: the file lock below is per process, so its users take turns here first. */
const turns = new Map<string, Promise<void>>();

/** Run `work` holding `dir`'s lock, against this process's other users and other processes alike. */
async function holding<T>(dir: string, work: () => Promise<T>): Promise<T> {
  const before = turns.get(dir) ?? Promise.resolve();
  let done: () => void = () => {};
  const mine = new Promise<void>((resolve) => {
    done = resolve;
  });
  turns.set(dir, mine);
  await before;
  try {
    mkdirSync(dir, { recursive: true });
    const unlock = takeLockFile(join(dir, 'azurite.lock'), {
      waitMs: 60_000,
      busy: (owner) =>
        new Error(`the blob storage in ${dir} is held by process ${owner} for over 60 s`),
    });
    try {
      return await work();
    } finally {
      unlock();
    }
  } finally {
    done();
    if (turns.get(dir) === mine) turns.delete(dir);
  }
}

function recorded(dir: string): Recorded | undefined {
  try {
    const record = JSON.parse(readFileSync(join(dir, 'azurite.json'), 'utf8')) as Recorded;
    // A process id can be reused: the recorded one must still be an Azurite.
    const command = readFileSync(`/proc/${record.pid}/cmdline`, 'utf8');
    return processAlive(record.pid) && command.includes('azurite') ? record : undefined;
  } catch {
    return undefined;
  }
}

/** The users of `dir` whose process lives; the files of those that died are removed. */
function liveUsers(dir: string): string[] {
  const users = join(dir, 'users');
  if (!existsSync(users)) return [];
  return readdirSync(users).filter((name) => {
    if (processAlive(Number(name.split('-')[0]))) return true;
    rmSync(join(users, name), { force: true });
    return false;
  });
}

async function stop(pid: number): Promise<void> {
  try {
    process.kill(pid, 'SIGTERM');
  } catch {
    return;
  }
  for (let waited = 0; processAlive(pid); waited += 20) {
    if (waited > 10_000) process.kill(pid, 'SIGKILL');
    await sleep(20);
  }
}

let users = 0;

/**
 * Join the Azurite of `dir` that serves `accounts`, starting it when none runs (or when it lacks one of them: it is
 * started again with both sets, as AZURITE_ACCOUNTS is read at start).
 */
export function joinAzurite(
  dir: string,
  accounts: string,
  certificates: LocalCertificates,
): Promise<SharedAzurite> {
  return holding(dir, async () => {
    let record = recorded(dir);
    const wanted = accounts.split(';').filter(Boolean);
    if (!record || !wanted.every((a) => record?.accounts.split(';').includes(a))) {
      const all = [...new Set([...(record?.accounts.split(';') ?? []), ...wanted])]
        .filter(Boolean)
        .sort()
        .join(';');
      if (record) await stop(record.pid);
      record = await startAzurite(dir, all, certificates);
      writeFileSync(join(dir, 'azurite.json'), JSON.stringify(record));
    }
    mkdirSync(join(dir, 'users'), { recursive: true });
    users += 1;
    const me = `${process.pid}-${users}`;
    writeFileSync(join(dir, 'users', me), '');
    const { pid, port, caCertPem } = record;
    let left = false;
    return {
      port,
      accounts: record.accounts,
      caCertPem,
      release: () =>
        holding(dir, async () => {
          if (left) return;
          left = true;
          rmSync(join(dir, 'users', me), { force: true });
          if (liveUsers(dir).length > 0) return;
          if (recorded(dir)?.pid === pid) await stop(pid);
          rmSync(join(dir, 'azurite.json'), { force: true });
        }),
    };
  });
}

/** Run Azurite's blob service on a free port of 127.0.0.1, detached, and wait for its "listens on" line in its log. */
async function startAzurite(
  dir: string,
  accounts: string,
  certificates: LocalCertificates,
): Promise<Recorded> {
  const main = join(
    dirname(createRequire(import.meta.url).resolve('azurite/package.json')),
    'dist',
    'src',
    'blob',
    'main.js',
  );
  const log = join(dir, 'azurite.log');
  const fd = openSync(log, 'w');
  // Keys for AZURITE_ACCOUNTS: no request uses them (shared keys are refused in front), but Azurite needs one per account.
  const env = {
    PATH: process.env.PATH ?? '',
    AZURITE_ACCOUNTS: accounts
      .split(';')
      .filter(Boolean)
      .map((name) => `${name}:${randomBytes(32).toString('base64')}`)
      .join(';'),
  };
  let child: ChildProcess;
  try {
    child = spawn(
      process.execPath,
      [
        main,
        '--blobHost',
        '127.0.0.1',
        '--blobPort',
        '0',
        '--location',
        dir,
        '--cert',
        certificates.certPath,
        '--key',
        certificates.keyPath,
        '--oauth',
        'basic',
        '--silent',
        '--disableTelemetry',
        '--skipApiVersionCheck',
      ],
      { env, stdio: ['ignore', fd, fd], detached: true },
    );
  } finally {
    closeSync(fd);
  }
  child.unref();
  let exited: number | null | undefined;
  child.once('exit', (code) => {
    exited = code;
  });
  for (;;) {
    const output = readFileSync(log, 'utf8');
    const match = /successfully listens on https?:\/\/[^:]+:(\d+)/.exec(output);
    if (match)
      return {
        pid: child.pid as number,
        port: Number(match[1]),
        accounts,
        caCertPem: certificates.caCertPem,
      };
    if (exited !== undefined)
      throw new Error(`Azurite exited (${exited}) before listening: ${output.trim()}`);
    await sleep(20);
  }
}
