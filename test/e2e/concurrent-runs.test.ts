import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..', '..');
const BUILD = join(ROOT, 'build');
// The rebuild test builds into a folder of its own: the suite's build/ serves other tests meanwhile.
const SCRATCH_BUILD = mkdtempSync(join(tmpdir(), 'wi-build-'));

/** Run `node <args>` in `cwd`; resolves with its exit code and stderr. */
function runNode(args: readonly string[], cwd: string) {
  return new Promise<{ code: number | null; stderr: string }>((resolve) => {
    const child = spawn(process.execPath, args, {
      cwd,
      env: { ...process.env, WI_OUTPUTS: join(cwd, 'no-outputs.json') },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    child.on('close', (code) => resolve({ code, stderr: stderr.trim() }));
  });
}

/** What a command started now would miss: main.mjs, or a chunk that main.mjs or a chunk it loads imports. */
function missingFromBuild(dir: string): string[] {
  const seen = new Set<string>();
  const missing: string[] = [];
  const visit = (name: string) => {
    if (seen.has(name)) return;
    seen.add(name);
    const file = join(dir, name);
    if (!existsSync(file)) return void missing.push(name);
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      return void missing.push(name);
    }
    for (const m of text.matchAll(/(?:from|import\()\s*"\.\/([^"]+\.mjs)"/g)) visit(m[1]);
  };
  visit('main.mjs');
  return missing;
}

describe('runs at the same time', () => {
  it('a rebuild never takes a file from under a command that is starting', async () => {
    // GIVEN a build, then two rebuilds of the command line at once, as two `npm start`
    expect(
      (await runNode([join(ROOT, 'cli', 'build.mjs'), '--outdir', SCRATCH_BUILD], ROOT)).code,
    ).toBe(0);
    const builds = Promise.all(
      [1, 2].map(() => runNode([join(ROOT, 'cli', 'build.mjs'), '--outdir', SCRATCH_BUILD], ROOT)),
    );
    let done = false;
    void builds.then(() => {
      done = true;
    });
    // WHEN a command starts at any moment meanwhile
    const gaps = new Set<string>();
    while (!done) {
      for (const name of missingFromBuild(SCRATCH_BUILD)) gaps.add(name);
      await sleep(2);
    }
    // THEN it finds every file of one whole build
    expect((await builds).map((b) => b.code)).toEqual([0, 0]);
    expect([...gaps]).toEqual([]);
  });

  it('six synths at once into one folder all succeed and leave whole files', async () => {
    // GIVEN one working folder shared by six runs of npm run synth
    const cwd = mkdtempSync(join(tmpdir(), 'wi-concurrent-'));
    // WHEN they write the same cdktf.out/ and dist/ at once, while a reader (kubectl, verify) reads them
    const terraform = join(cwd, 'cdktf.out', 'stacks', 'workload-identity', 'cdk.tf.json');
    const synths = Promise.all(
      [1, 2, 3, 4, 5, 6].map(() => runNode([join(BUILD, 'main.mjs'), 'synth'], cwd)),
    );
    let done = false;
    void synths.then(() => {
      done = true;
    });
    const torn: string[] = [];
    while (!done) {
      if (existsSync(terraform)) {
        try {
          JSON.parse(readFileSync(terraform, 'utf8'));
        } catch (err) {
          torn.push((err as Error).message);
        }
      }
      await sleep(1);
    }
    // THEN no run and no reader ever saw a half-written file
    expect((await synths).filter((r) => r.code !== 0 || r.stderr)).toEqual([]);
    expect(torn).toEqual([]);
  });
});
