/**
 * The workload program as the lab and the tests run it, build/app/main.cjs (cli/build.mjs, which the suite's global
 * setup runs): bundled from app/ and its own install only (test/unit/app/install.test.ts), byte for byte the image's
 * build. Builds the image's way in a child process.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';

const ROOT = new URL('../../..', import.meta.url).pathname;
const APP = join(ROOT, 'app');
const readJson = <T>(path: string): T => JSON.parse(readFileSync(join(ROOT, path), 'utf8')) as T;

/** The program's SDK, which the bundle must hold from app/node_modules. */
const PROGRAM_SDK = ['@azure/identity', '@azure/keyvault-secrets', '@azure/msal-node'];

describe('the program as the lab and the tests build it (build/app/main.cjs)', () => {
  test('is bundled from app/ and app/node_modules only', () => {
    // cli/build.mjs writes esbuild's metafile beside the bundle; the suite's global setup has just built both.
    const meta = readJson<{ inputs: Record<string, unknown>; outputs: Record<string, unknown> }>(
      'build/app/meta.json',
    );
    expect(Object.keys(meta.outputs)).toEqual(['build/app/main.cjs']);
    const inputs = Object.keys(meta.inputs);
    expect(inputs).toContain('app/main.ts');
    for (const name of PROGRAM_SDK)
      expect(inputs.some((input) => input.startsWith(`app/node_modules/${name}/`))).toBe(true);
    const outside = inputs.filter(
      (input) =>
        !input.startsWith('app/') ||
        (input.includes('node_modules/') && !input.startsWith('app/node_modules/')),
    );
    expect(outside).toEqual([]);
  });

  test("has the same bytes as the image's build (app/build.mjs in a folder with nothing above it)", () => {
    // The Dockerfile's build stage: the files it copies, the install, `npm run build`. The install is copied from
    // app/node_modules (what `npm ci` made from the same lock), not linked: esbuild follows a link to its real folder,
    // and from there would find the root's node_modules above. Only the packages the bundle holds and esbuild are
    // copied (the whole install is 70 MB): a package the bundle does not hold changes nothing in it.
    const meta = readJson<{ inputs: Record<string, unknown> }>('build/app/meta.json');
    const packages = new Set(['esbuild', '@esbuild']);
    for (const input of Object.keys(meta.inputs)) {
      const [scope, name] = input.replace(/^app\/node_modules\//, '').split('/');
      if (input.startsWith('app/node_modules/') && scope && name)
        packages.add(scope.startsWith('@') ? `${scope}/${name}` : scope);
    }
    const dir = mkdtempSync(join(tmpdir(), 'wi-app-image-build-'));
    try {
      const copied = readdirSync(APP).filter(
        (name) =>
          name.endsWith('.ts') ||
          ['package.json', 'package-lock.json', 'build.mjs', 'bundle-options.json'].includes(name),
      );
      for (const name of copied) cpSync(join(APP, name), join(dir, name));
      for (const name of packages)
        cpSync(join(APP, 'node_modules', name), join(dir, 'node_modules', name), {
          recursive: true,
        });
      execFileSync(process.execPath, ['build.mjs'], { cwd: dir, stdio: 'pipe' });
      const image = readFileSync(join(dir, 'build', 'main.cjs'));
      const lab = readFileSync(join(ROOT, 'build', 'app', 'main.cjs'));
      expect(lab.length).toBe(image.length);
      expect(lab.equals(image)).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
