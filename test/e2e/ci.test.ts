import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../support/helpers';

describe('.ci/run', () => {
  it('runs the tests with CI=true', () => {
    const script = readFileSync(join(ROOT, '.ci', 'run'), 'utf8');
    expect(script).toMatch(/^export CI=true$/m);
    expect(script.indexOf('export CI=true')).toBeLessThan(script.indexOf('npm test'));
  });

  it("runs the README's set-up commands on a fresh clone: npm ci, then npm run lint and npm test", () => {
    const lines = readFileSync(join(ROOT, '.ci', 'run'), 'utf8').split('\n');
    const at = (command: string) =>
      lines.findIndex((line) => line === command || line.startsWith(`${command} `));
    expect(at('npm ci')).toBeGreaterThanOrEqual(0);
    expect(at('npm ci')).toBeLessThan(at('npm run lint'));
    expect(at('npm run lint')).toBeLessThan(at('npm test'));
    // and the production install: npm ci, then the demo (what npm start runs) from the bin alone
    const production = readFileSync(join(ROOT, '.ci', 'production-install'), 'utf8');
    expect(production).toMatch(/^npm ci .*\n[\s\S]*^node cli\/bin\.mjs demo /m);
  });

  it('fails when a snapshot is missing, with CI=true, instead of writing it', () => {
    // GIVEN a test whose snapshot was never committed, in a folder of the project (so it finds vitest)
    const dir = mkdtempSync(join(ROOT, '.ci-snapshot-probe-'));
    try {
      writeFileSync(
        join(dir, 'probe.test.ts'),
        "import { expect, it } from 'vitest';\nit('probe', () => expect({ a: 1 }).toMatchSnapshot());\n",
      );
      writeFileSync(
        join(dir, 'vitest.config.mjs'),
        "export default { test: { include: ['probe.test.ts'] } };\n",
      );
      // WHEN vitest runs as .ci/run runs it
      const run = spawnSync(join(ROOT, 'node_modules', '.bin', 'vitest'), ['run', '--root', dir], {
        env: { ...process.env, CI: 'true' },
        encoding: 'utf8',
      });
      // THEN the run fails and no snapshot was written
      expect(run.status).toBe(1);
      expect(run.stdout + run.stderr).toMatch(/Snapshot `probe 1` mismatched/);
      expect(() => readFileSync(join(dir, '__snapshots__', 'probe.test.ts.snap'))).toThrow();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
