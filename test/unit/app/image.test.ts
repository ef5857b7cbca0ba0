import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';

const read = (path: string): string =>
  readFileSync(new URL(`../../../${path}`, import.meta.url), 'utf8');
const appPackage = JSON.parse(read('app/package.json')) as {
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
};
const finalStage = read('app/Dockerfile')
  .split(/^FROM /m)
  .at(-1)!;

describe('the workload image', () => {
  test('depends on the Azure SDK only, pinned', () => {
    expect(Object.keys(appPackage.dependencies).sort()).toEqual([
      '@azure/core-auth',
      '@azure/core-rest-pipeline',
      '@azure/identity',
      '@azure/keyvault-secrets',
      '@azure/logger',
      '@azure/msal-node',
    ]);
    for (const version of Object.values(appPackage.dependencies))
      expect(version).toMatch(/^\d+\.\d+\.\d+$/);
  });

  test('runs as UID/GID 10001 on a pinned Node 24 slim base, with the bundled program only', () => {
    const froms = read('app/Dockerfile').match(/^FROM \S+/gm) ?? [];
    expect(froms.length).toBeGreaterThanOrEqual(2);
    for (const from of froms) expect(from).toMatch(/^FROM node:24\.\d+\.\d+-\w+-slim$/);
    expect(finalStage).toMatch(/^USER 10001:10001$/m);
    expect(finalStage).toMatch(
      /^ENTRYPOINT \["node", "--max-semi-space-size=1", "--max-old-space-size=24", "--no-opt", "--no-maglev", "--no-sparkplug", "main.cjs"\]$/m,
    );
    expect(finalStage).toContain('COPY --from=build /src/build/main.cjs ./main.cjs');
    expect(finalStage).not.toMatch(/\bnpm\b|\btsx\b|\btsc\b|node_modules/);
  });

  test('the image and the local cloud bundle the program with the same options, as CommonJS', () => {
    const options = JSON.parse(read('app/bundle-options.json')) as Record<string, unknown>;
    expect(options).toMatchObject({
      format: 'cjs',
      minify: true,
      define: { FormData: 'undefined' },
    });
    expect(read('app/build.mjs')).toContain("new URL('bundle-options.json', here)");
    expect(read('app/Dockerfile')).toMatch(/^COPY build\.mjs bundle-options\.json \.\/$/m);
    expect(read('cli/build.mjs')).toContain("join(root, 'app', 'bundle-options.json')");
  });

  test('declares Node 24, the Node the image runs', () => {
    const engines = (appPackage as unknown as { engines: { node: string } }).engines;
    expect(engines.node).toBe('>=24');
    const [, base] = /^FROM node:(\d+)\./m.exec(read('app/Dockerfile')) ?? [];
    expect(base).toBe('24');
  });
});
