import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

// Three wings, arrows only downward: cli -> lab -> (the product, the local cloud), and lib/ under all of them.
//
// - The product: config/, constructs/, manifests/, synth.ts, main.ts, verify/, cli/, app/.
// - The lab (lab/): runs the product against the local cloud, for the demo, tflocal and the tests.
// - The local cloud (local-cloud/): stands in for Azure, Kubernetes and the Terraform providers. It imports nothing
//   of the product nor of the lab, and the lab and the command line reach it through its face, local-cloud/index.ts.
//
// Wing rules count every import: load-time, `import type` and `import()`. Inside the product, the layers below also
// order the load-time imports (config <- constructs <- stacks <- synth <- cli).

const ROOT = join(import.meta.dirname, '..', '..');

/** The product's layers, and the layers each may import at load time (a dynamic `import()` is not a load-time import). */
const PRODUCT: Record<string, readonly string[]> = {
  lib: ['lib'],
  config: ['config', 'lib'],
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
  verify: ['config', 'verify', 'lib'],
  cli: [
    'config',
    'constructs/azure',
    'constructs/kubernetes',
    'constructs/stacks',
    'manifests',
    'synth',
    'verify',
    'cli',
    'lib',
  ],
  app: ['app'],
};

/** The local cloud's rooms, and the rooms each may import (any kind of import): core at the bottom, the face on top. */
const LOCAL_CLOUD: Record<string, readonly string[]> = {
  'local-cloud/core': ['local-cloud/core', 'lib'],
  'local-cloud/azure': ['local-cloud/core', 'local-cloud/azure', 'lib'],
  'local-cloud/github': ['local-cloud/core', 'local-cloud/github', 'lib'],
  'local-cloud/kubernetes': [
    'local-cloud/core',
    'local-cloud/azure',
    'local-cloud/kubernetes',
    'lib',
  ],
  'local-cloud/terraform': [
    'local-cloud/core',
    'local-cloud/github',
    'local-cloud/azure',
    'local-cloud/kubernetes',
    'local-cloud/terraform',
    'lib',
  ],
  // local-cloud.ts (the services together) and example-model.ts
  'local-cloud/top': [
    'local-cloud/core',
    'local-cloud/github',
    'local-cloud/azure',
    'local-cloud/kubernetes',
    'local-cloud/terraform',
    'local-cloud/top',
    'lib',
  ],
  'local-cloud/face': [
    'local-cloud/core',
    'local-cloud/github',
    'local-cloud/azure',
    'local-cloud/kubernetes',
    'local-cloud/terraform',
    'local-cloud/top',
  ],
};

/** What the lab may import (any kind of import): the product below the command line, lib, and the local cloud's face. */
const LAB = [
  'lib',
  'config',
  'constructs/azure',
  'constructs/kubernetes',
  'constructs/stacks',
  'manifests',
  'synth',
  'verify',
  'lab',
  'local-cloud/face',
];

// Modules with no import of their own that another layer may share: the program's credential modes (the command line
// repeats them through config/), without the program depending on anything of the tools.
const SHARED = new Set(['app/credential-modes.ts']);
// The command line's doors to the lab: the demo and tflocal. cli/main.ts loads them with import() when they run.
const LAB_DOORS = new Set(['cli/demo-command.ts', 'cli/tflocal-command.ts']);

/** The layer or room of a file, from its path relative to the root. */
function layerOf(path: string): string | undefined {
  if (path === 'local-cloud') return 'local-cloud/face';
  if (!path.includes('/')) return path.replace(/\.(ts|mjs)$/, '');
  const [top, sub] = path.split('/');
  if (top === 'constructs') return `${top}/${sub}`;
  if (top === 'local-cloud') {
    // `../local-cloud` and `local-cloud/index.ts` are the face; other files at its top are the services together
    const parts = path.split('/');
    if (parts.length > 2) return `local-cloud/${sub}`;
    return /^index(\.ts)?$/.test(sub) ? 'local-cloud/face' : 'local-cloud/top';
  }
  return top;
}

/** The relative imports of a module's text: `kind` is `load` (import/export ... from), `type` or `dynamic`. */
function importsOf(
  path: string,
  text: string,
): { target: string; kind: 'load' | 'type' | 'dynamic' }[] {
  const at = (spec: string) => normalize(join(dirname(path), spec));
  const statics = [
    ...text.matchAll(/^\s*(import|export)\s(type\s)?([^;]*?)from\s+'(\.[^']+)'/gms),
  ].map((m) => ({
    target: at(m[4]),
    // `import { type A, type B }` loads nothing either
    kind: (m[2] || /^\{\s*(type\s+\w+\s*,?\s*)+\}\s*$/.test(m[3].trim()) ? 'type' : 'load') as
      | 'load'
      | 'type',
  }));
  const bare = [...text.matchAll(/^\s*import\s+'(\.[^']+)'/gm)].map((m) => ({
    target: at(m[1]),
    kind: 'load' as const,
  }));
  const dynamic = [...text.matchAll(/\bimport\(\s*'(\.[^']+)'\s*\)/g)].map((m) => ({
    target: at(m[1]),
    kind: 'dynamic' as const,
  }));
  return [...statics, ...bare, ...dynamic];
}

/** Every import of `path` (relative to the root) that breaks a rule, as `<target> (<why>)`. */
function violations(path: string, text: string): string[] {
  const layer = layerOf(path);
  if (!layer) return [];
  const found: string[] = [];
  for (const { target, kind } of importsOf(path, text)) {
    if (SHARED.has(`${target}.ts`) || SHARED.has(target)) continue;
    const to = layerOf(target) ?? target;
    const wrong = (why: string) => found.push(`${target} (${why})`);
    if (layer.startsWith('local-cloud/')) {
      if (!LOCAL_CLOUD[layer].includes(to))
        wrong(
          to.startsWith('local-cloud/')
            ? `${layer} may not import ${to}`
            : 'the local cloud imports nothing of the product or the lab',
        );
    } else if (layer === 'lab') {
      if (!LAB.includes(to))
        wrong(
          to.startsWith('local-cloud/')
            ? 'the lab uses the local cloud through its face only (local-cloud/index.ts)'
            : `the lab may not import ${to}`,
        );
    } else if (to === 'lab' || to.startsWith('local-cloud/')) {
      const door = layer === 'cli' && LAB_DOORS.has(path);
      if (!door) wrong(`${layer} may not reach the lab or the local cloud`);
      else if (to !== 'lab' && to !== 'local-cloud/face')
        wrong('the command line uses the local cloud through its face only (local-cloud/index.ts)');
    } else if (kind === 'load' && !(PRODUCT[layer] ?? []).includes(to)) {
      wrong(`${layer} may not import ${to} at load time: imports run one way`);
    } else if (!PRODUCT[to] && !LAB.includes(to)) {
      wrong(`${to} is no layer of the product`);
    }
  }
  return found;
}

function sourcesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (name === 'node_modules' || name === 'build') return [];
    if (statSync(path).isDirectory()) return sourcesUnder(path);
    return /\.(ts|mjs)$/.test(name) ? [path] : [];
  });
}

const files = [
  ...['lib', 'config', 'constructs', 'manifests', 'verify', 'cli', 'app', 'lab', 'local-cloud']
    .flatMap((d) => sourcesUnder(join(ROOT, d)))
    .map((f) => relative(ROOT, f)),
  'synth.ts',
  'main.ts',
];

/** Load-time imports of a module, as paths relative to the root. */
function loadTimeImports(path: string): string[] {
  return importsOf(path, readFileSync(join(ROOT, path), 'utf8'))
    .filter((i) => i.kind === 'load')
    .map((i) => i.target);
}

describe('layers', () => {
  it('covers the three wings', () => {
    const count = (wing: string) => files.filter((f) => f.startsWith(wing)).length;
    expect(files.length).toBeGreaterThan(100);
    expect(count('lab/')).toBeGreaterThanOrEqual(5);
    expect(count('local-cloud/')).toBeGreaterThan(40);
  });

  it.each(files.map((f) => [f]))('%s imports only what its wing and layer allow', (path) => {
    expect(violations(path, readFileSync(join(ROOT, path), 'utf8'))).toEqual([]);
  });

  it.each([...SHARED])('%s imports nothing, so sharing it brings nothing else along', (path) => {
    expect(readFileSync(join(ROOT, path), 'utf8')).not.toMatch(/^\s*(import|export)\s[^;]*from\s/m);
  });

  it('fails when the local cloud imports anything of the product or the lab, even a type', () => {
    expect(
      violations(
        'local-cloud/azure/entra.ts',
        "import type { Config } from '../../config/schema';",
      ),
    ).toEqual(['config/schema (the local cloud imports nothing of the product or the lab)']);
    expect(
      violations('local-cloud/core/cloud-store.ts', "const s = await import('../../synth');"),
    ).toHaveLength(1);
    expect(
      violations('local-cloud/terraform/run.ts', "import { x } from '../../lab/lab';"),
    ).toHaveLength(1);
    // its own rooms, downwards, are fine; upwards are not
    expect(
      violations('local-cloud/azure/key-vault.ts', "import { x } from '../core/http';"),
    ).toEqual([]);
    expect(
      violations('local-cloud/core/http.ts', "import { x } from '../azure/key-vault';"),
    ).toHaveLength(1);
  });

  it('fails when the command line imports anything of the local cloud but its face', () => {
    const door = 'cli/tflocal-command.ts';
    expect(violations(door, "const m = await import('../local-cloud/terraform/run');")).toEqual([
      'local-cloud/terraform/run (the command line uses the local cloud through its face only (local-cloud/index.ts))',
    ]);
    expect(
      violations(door, "import type { X } from '../local-cloud/core/cloud-store';"),
    ).toHaveLength(1);
    expect(violations(door, "const m = await import('../local-cloud');")).toEqual([]);
    expect(violations(door, "import { startLab } from '../lab/lab';")).toEqual([]);
    // only the doors reach the lab at all
    expect(
      violations('cli/deploy-command.ts', "import { startLab } from '../lab/lab';"),
    ).toHaveLength(1);
  });

  it('fails when the product below the command line reaches the lab, or the lab the command line', () => {
    expect(violations('synth.ts', "import { x } from './lab/seed';")).toHaveLength(1);
    expect(violations('config/schema.ts', "import { x } from '../local-cloud';")).toHaveLength(1);
    expect(violations('lab/lab.ts', "import { x } from '../cli/run-step';")).toHaveLength(1);
    expect(
      violations('lab/lab.ts', "import { x } from '../local-cloud/core/cloud-store';"),
    ).toHaveLength(1);
  });

  it('fails when a building block imports a stack', () => {
    // GIVEN a construct that imports upwards, as kubernetes-stack.ts -> manifests -> constructs once did
    expect(
      violations(
        'constructs/kubernetes/workload.ts',
        "import { AzureStack } from '../stacks/azure-stack';",
      ),
    ).toHaveLength(1);
    expect(PRODUCT.manifests).not.toContain('constructs/stacks');
  });

  it('loads the demo command only when it runs', () => {
    const main = readFileSync(join(ROOT, 'cli/main.ts'), 'utf8');
    expect(main).toContain("await import('./demo-command')");
    expect(loadTimeImports('cli/main.ts')).not.toContain('cli/demo-command');
  });

  it('starts the command line without cdktf or cdk8s: only the commands that synthesize load them', () => {
    // GIVEN every module cli/main.ts loads before it parses the command line
    const seen = new Set<string>();
    const visit = (module: string) => {
      const file = existsSync(join(ROOT, `${module}.ts`)) ? `${module}.ts` : module;
      if (seen.has(file)) return;
      seen.add(file);
      for (const target of loadTimeImports(file)) visit(target);
    };
    visit('cli/main');
    // THEN none imports a framework package (`--help` and `logs` would pay for it: 0.17 s and 80 MB, not 0.10 s, 56 MB)
    const frameworks = [...seen].filter((file) =>
      /from '(cdktf|cdk8s|cdk8s-plus-28|constructs|@cdktf\/[^']+)'/.test(
        readFileSync(join(ROOT, file), 'utf8'),
      ),
    );
    expect(frameworks).toEqual([]);
  });

  it.each(['azure', 'github', 'kubernetes', 'terraform', 'core'])(
    'local-cloud/%s/ opens with a README that says what it stands in for and what it does not model',
    (room) => {
      const readme = readFileSync(join(ROOT, 'local-cloud', room, 'README.md'), 'utf8');
      expect(readme).toMatch(/^Stands in for:/m);
      expect(readme).toMatch(/^Does not model:/m);
    },
  );
});
