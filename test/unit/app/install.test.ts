/**
 * The workload program has one install, its own: app/package.json and app/package-lock.json, installed into
 * app/node_modules by the root's `npm ci` (its postinstall), as the image's `npm ci` installs it. The lab, the tests
 * and the image all build and load the program from that install, so its dependencies have one lock.
 * test/e2e/app/bundle.test.ts checks the bundle built from it.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { createSecretClient } from '../../../app/secret-client';
import {
  createHttpHeaders,
  type HttpClient,
  SDK_ENTRIES,
  SecretClient,
} from '../../support/app-sdk';

const ROOT = new URL('../../..', import.meta.url).pathname;
const APP = join(ROOT, 'app');
const readJson = <T>(path: string): T => JSON.parse(readFileSync(join(ROOT, path), 'utf8')) as T;

interface PackageJson {
  readonly scripts?: Record<string, string>;
  readonly dependencies?: Record<string, string>;
  readonly devDependencies?: Record<string, string>;
  readonly exports?: Record<string, { import?: { default?: string } }>;
}
interface Lock {
  readonly packages: Record<string, { version?: string; dev?: boolean; optional?: boolean }>;
}

const rootPackage = readJson<PackageJson>('package.json');
const appPackage = readJson<PackageJson>('app/package.json');
const rootLock = readJson<Lock>('package-lock.json');
const appLock = readJson<Lock>('app/package-lock.json');

/** The program's SDK: what it imports by name, which no other lock may pin. */
const PROGRAM_SDK = ['@azure/identity', '@azure/keyvault-secrets', '@azure/msal-node'];

describe("the workload program's install", () => {
  test('is locked once, by app/package-lock.json: the root neither declares nor locks the SDK', () => {
    for (const name of PROGRAM_SDK) {
      expect(appLock.packages[`node_modules/${name}`]?.version, `app/ locks ${name}`).toBeDefined();
      // A top-level entry is what a bare import from outside app/ would load: a second copy, locked apart.
      expect(
        rootLock.packages[`node_modules/${name}`],
        `the root also locks ${name}`,
      ).toBeUndefined();
    }
    const rootDeclares = { ...rootPackage.dependencies, ...rootPackage.devDependencies };
    for (const name of Object.keys(appPackage.dependencies ?? {}))
      expect(rootDeclares[name], `the root declares ${name}, a dependency of app/`).toBeUndefined();
  });

  test("is installed by the root's npm ci, as the image installs it", () => {
    expect(rootPackage.scripts?.postinstall).toMatch(/^npm ci --prefix app --ignore-scripts\b/);
    expect(readFileSync(join(APP, 'Dockerfile'), 'utf8')).toMatch(
      /^RUN npm ci --ignore-scripts\b/m,
    );
  });

  test('app/node_modules holds what app/package-lock.json locks', () => {
    for (const [path, { version, dev, optional }] of Object.entries(appLock.packages)) {
      if (path === '' || dev || optional) continue;
      const installed = readJson<{ version: string }>(`app/${path}/package.json`).version;
      expect(`${path}@${installed}`).toBe(`${path}@${version}`);
    }
  });
});

describe("the program's in-process tests", () => {
  test("load the SDK that app/'s modules load: one copy, from app/node_modules", () => {
    // app/secret-client.ts imports SecretClient by name, from app/; the tests import it through test/support/app-sdk.ts.
    const httpClient: HttpClient = {
      sendRequest: async (request) => ({ request, status: 500, headers: createHttpHeaders() }),
    };
    const credential = { getToken: async () => ({ token: 't', expiresOnTimestamp: Date.now() }) };
    const client = createSecretClient('https://v.vault.azure.net/', credential, httpClient);
    expect(client).toBeInstanceOf(SecretClient);
  });

  test("import each package's ES module entry, where its exports send an import", () => {
    for (const [name, path] of Object.entries(SDK_ENTRIES)) {
      const manifest = readJson<PackageJson>(`app/node_modules/${name}/package.json`);
      const entry = manifest.exports?.['.']?.import?.default ?? 'none';
      expect(join('app', 'node_modules', name, entry)).toBe(path);
    }
  });
});
