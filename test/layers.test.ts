import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

// Imports run one way: config <- constructs/azure, constructs/kubernetes <- constructs/stacks <- synth <- cli.
// Each layer lists the layers it may import at load time (a dynamic `import()` is not a load-time import).
const ALLOWED: Record<string, readonly string[]> = {
  config: ['config'],
  'constructs/azure': ['config', 'constructs/azure'],
  'constructs/kubernetes': ['config', 'constructs/kubernetes'],
  'constructs/stacks': ['config', 'constructs/azure', 'constructs/kubernetes', 'constructs/stacks'],
  manifests: ['config', 'constructs/kubernetes', 'manifests'],
  synth: [
    'config',
    'constructs/azure',
    'constructs/kubernetes',
    'constructs/stacks',
    'manifests',
    'synth',
  ],
  main: ['config', 'synth'],
  verify: ['config', 'verify'],
  cli: [
    'config',
    'constructs/azure',
    'constructs/kubernetes',
    'constructs/stacks',
    'manifests',
    'synth',
    'verify',
    'cli',
  ],
  app: ['app'],
};

const ROOT = join(import.meta.dirname, '..');
// Modules with no import of their own that another layer may share: the program's credential modes (the command line
// repeats them through config/), without the program depending on anything of the tools.
const SHARED = new Set(['app/credential-modes.ts']);
// The demo command is the harness's one door: cli/main.ts loads it with import() only when `demo` runs.
const HARNESS_DOORS = new Set(['cli/demo-command.ts']);

function layerOf(file: string): string | undefined {
  const path = relative(ROOT, file);
  if (!path.includes('/')) return path.replace(/\.ts$/, '');
  const [top, sub] = path.split('/');
  return top === 'constructs' ? `${top}/${sub}` : top;
}

function sourcesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (name === 'node_modules') return [];
    if (statSync(path).isDirectory()) return sourcesUnder(path);
    return /\.(ts|mjs)$/.test(name) ? [path] : [];
  });
}

/** Relative imports that run when the module loads: `import ... from` and `export ... from`, not `import()`. */
function loadTimeImports(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const found = [
    ...text.matchAll(/^\s*(?:import|export)\s(?!type\s)[^;]*?from\s+'(\.[^']+)'/gms),
  ].map((m) => m[1]);
  return found.map((spec) => normalize(join(dirname(file), spec)));
}

const files = [
  ...['config', 'constructs', 'manifests', 'verify', 'cli', 'app'].flatMap((d) =>
    sourcesUnder(join(ROOT, d)),
  ),
  join(ROOT, 'synth.ts'),
  join(ROOT, 'main.ts'),
];

describe('layers', () => {
  it('covers the product code', () => {
    expect(files.length).toBeGreaterThan(40);
  });

  it.each(files.map((f) => [relative(ROOT, f)]))('%s imports only the layers below it', (path) => {
    const file = join(ROOT, path);
    const layer = layerOf(file)!;
    const allowed = HARNESS_DOORS.has(path) ? [...ALLOWED[layer], 'local-cloud'] : ALLOWED[layer];
    const backwards = loadTimeImports(file)
      .map((target) => ({ target: relative(ROOT, target), layer: layerOf(target) }))
      .filter((i) => !allowed.includes(i.layer ?? '') && !SHARED.has(`${i.target}.ts`));
    expect(backwards).toEqual([]);
  });

  it.each([...SHARED])('%s imports nothing, so sharing it brings nothing else along', (path) => {
    expect(readFileSync(join(ROOT, path), 'utf8')).not.toMatch(/^\s*(import|export)\s[^;]*from\s/m);
  });

  it('loads the demo command only when it runs', () => {
    const main = readFileSync(join(ROOT, 'cli/main.ts'), 'utf8');
    expect(main).toContain("await import('./demo-command')");
    expect(loadTimeImports(join(ROOT, 'cli/main.ts')).map((t) => relative(ROOT, t))).not.toContain(
      'cli/demo-command',
    );
  });

  it('starts the command line without cdktf or cdk8s: only the commands that synthesize load them', () => {
    // GIVEN every module cli/main.ts loads before it parses the command line
    const seen = new Set<string>();
    const visit = (module: string) => {
      const file = `${module.replace(/\.ts$/, '')}.ts`;
      if (seen.has(file)) return;
      seen.add(file);
      for (const target of loadTimeImports(file)) visit(target);
    };
    visit(join(ROOT, 'cli', 'main.ts'));
    // THEN none imports a framework package (`--help` and `logs` would pay for it: 0.17 s and 80 MB, not 0.10 s, 56 MB)
    const frameworks = [...seen].filter((file) =>
      /from '(cdktf|cdk8s|cdk8s-plus-28|constructs|@cdktf\/[^']+)'/.test(
        readFileSync(file, 'utf8'),
      ),
    );
    expect(frameworks.map((f) => relative(ROOT, f))).toEqual([]);
  });

  it('fails when a building block imports a stack', () => {
    // GIVEN a construct that imports upwards, as kubernetes-stack.ts -> manifests -> constructs once did
    const layer = layerOf(join(ROOT, 'constructs/kubernetes/workload.ts'))!;
    // THEN the rule refuses it
    expect(ALLOWED[layer]).not.toContain(layerOf(join(ROOT, 'constructs/stacks/azure-stack.ts')));
    expect(ALLOWED.manifests).not.toContain('constructs/stacks');
  });
});
