// Compile the command line to build/main.mjs, with its packages (cdktf, cdk8s, the provider bindings it uses) bundled
// in: it then starts in plain Node.js, loads one file per command instead of hundreds of modules, and runs from a
// production install (`npm prune --omit=dev`) with no TypeScript loader and no bundler. The workload program that
// the local cloud's pods run is compiled beside it (build/app/main.cjs), so the demo needs no bundler either, and so
// is the local cloud's Terraform provider server (build/terraform-provider.mjs), which Terraform starts.
// npm runs it before `npm start`, `npm run synth` and `npm run cli`; it takes a fraction of a second.
//
// Two builds, or a build and a running command, may overlap (two `npm start` at once): every file is written under
// a temporary name and renamed into place, chunks before the entries that load them, and chunk names carry their
// content's hash, so a running command never finds a chunk of its own build missing or changed.

import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { build } from 'esbuild';

const root = fileURLToPath(new URL('..', import.meta.url));

// `--outdir <dir>` builds elsewhere (the concurrency test uses it, not to disturb the suite's own build/).
const { values: args } = parseArgs({ options: { outdir: { type: 'string' } } });
const outdir = args.outdir ? resolve(args.outdir) : join(root, 'build');
// Unreferenced chunks of older builds go once no command can still be running from them.
const STALE_AFTER_MS = 24 * 60 * 60 * 1000;

const common = {
  absWorkingDir: root,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  outExtension: { '.js': '.mjs' },
  logLevel: 'warning',
  metafile: true,
  // Some bundled packages are CommonJS and call require(): give the ES module bundle one.
  banner: {
    js: "import { createRequire as __wiCreateRequire } from 'node:module'; const require = __wiCreateRequire(import.meta.url);",
  },
};

const staging = join(outdir, `.staging-${process.pid}-${Date.now()}`);
mkdirSync(staging, { recursive: true });
try {
  const results = await Promise.all([
    build({
      ...common,
      entryPoints: { main: 'cli/main.ts' },
      outdir: staging,
      // Commands import their heavy parts (cdktf, cdk8s, the local cloud) when run: those stay in chunks loaded on demand.
      splitting: true,
      // Beside main.mjs, so that paths relative to a module (the default config, the project root) stay the same.
      chunkNames: '[name]-[hash]',
      entryNames: '[name]',
    }),
    // The workload program as its image builds it (app/build.mjs, with the same options): one minified CommonJS
    // file, which is what keeps it small.
    build({
      ...common,
      ...JSON.parse(readFileSync(join(root, 'app', 'bundle-options.json'), 'utf8')),
      entryPoints: { 'app/main': 'app/main.ts' },
      outdir: staging,
      outExtension: { '.js': '.cjs' },
      // A CommonJS bundle has its own require(): no ES module banner.
      banner: {},
    }),
    // The local cloud's Terraform provider server, which Terraform starts for every walk of a command (or the local
    // cloud's run once, for its commands to reattach to): one file, minified, so that a provider process is up well
    // within its start budget of 300 ms.
    build({
      ...common,
      entryPoints: { 'terraform-provider': 'local-cloud/terraform/provider-main.ts' },
      outdir: staging,
      minify: true,
    }),
  ]);
  const written = results
    .flatMap((r) => Object.keys(r.metafile.outputs))
    .map((f) => relative(staging, join(root, f)));
  // Chunks first, entries last: an entry is in place only once everything it imports is.
  const entries = new Set(['main.mjs', join('app', 'main.cjs'), 'terraform-provider.mjs']);
  for (const file of [...written.filter((f) => !entries.has(f)), ...entries]) {
    mkdirSync(dirname(join(outdir, file)), { recursive: true });
    renameSync(join(staging, file), join(outdir, file));
  }
  removeStaleChunks(new Set(written));
} finally {
  rmSync(staging, { recursive: true, force: true });
}

function removeStaleChunks(current) {
  for (const name of readdirSync(outdir)) {
    if (!name.endsWith('.mjs') || current.has(name)) continue;
    const file = join(outdir, name);
    if (Date.now() - statSync(file).mtimeMs > STALE_AFTER_MS) rmSync(file, { force: true });
  }
}
