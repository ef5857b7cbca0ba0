// Compile the command line to build/main.mjs, with its packages (cdktf, cdk8s, the provider bindings it uses) bundled
// in: it then starts in plain Node.js, loads one file per command instead of hundreds of modules, and runs from a
// production install (`npm prune --omit=dev`) with no TypeScript loader and no bundler. The workload program that
// the local cloud's pods run is compiled beside it (build/app/main.cjs), so the demo needs no bundler either, and so
// is the local cloud's Terraform provider server (build/terraform-provider.mjs), which Terraform starts.
// npm runs it before `npm start`, `npm run synth` and `npm run cli`; it takes a fraction of a second.
//
// The workload program is bundled from its own install, app/node_modules (app/package-lock.json, which the root's
// postinstall installs), as its image bundles it, never from the root's node_modules: the same bytes as the image's
// build. The build stops when that install is missing or differs from app's lock, or when a bundled module comes from
// anywhere else; build/app/meta.json (esbuild's metafile) lists every module the bundle holds.
//
// Two builds, or a build and a running command, may overlap (two `npm start` at once): every file is written under
// a temporary name and renamed into place, chunks before the entries that load them, and chunk names carry their
// content's hash, so a running command never finds a chunk of its own build missing or changed.

import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { isBuiltin } from 'node:module';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { build } from 'esbuild';

const root = fileURLToPath(new URL('..', import.meta.url));

// `--outdir <dir>` builds elsewhere (the concurrency test uses it, not to disturb the suite's own build/).
const { values: args } = parseArgs({ options: { outdir: { type: 'string' } } });
const outdir = args.outdir ? resolve(args.outdir) : join(root, 'build');
// Unreferenced chunks of older builds go once no command can still be running from them.
const STALE_AFTER_MS = 24 * 60 * 60 * 1000;
// What repairs the program's install.
const INSTALL_APP = "run `npm ci --prefix app` (the root's `npm ci` runs it)";

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

checkAppInstall();

/**
 * Packages for the program come from app/node_modules only. esbuild looks for a package in every node_modules from
 * the importer's folder up, so a package that app/ does not install would be taken from the root's (debug's optional
 * supports-color is one): here it is missing, as in the image, whose build has nothing above app/. A dependency's
 * require() or import() of it is left to run time, as esbuild leaves it there when it is inside a try; a static import,
 * or any import of the program's own sources, stops the build, as it stops the image's. Where app/ has the
 * package, esbuild resolves it itself: a plugin's answer would lose what esbuild knows of it (its "type"), and the
 * bundle would differ from the image's.
 */
const appInstallOnly = {
  name: 'app-install-only',
  setup(esbuild) {
    const app = join(root, 'app');
    const inApp = (dir) => dir === app || dir.startsWith(app + sep);
    const found = new Map();
    /** Whether package `name` is in a node_modules between `dir` and app/, as Node and esbuild look for it. */
    const installed = (name, dir) => {
      const key = `${dir}\0${name}`;
      if (!found.has(key))
        found.set(
          key,
          existsSync(join(dir, 'node_modules', name)) ||
            (dir !== app && installed(name, dirname(dir))),
        );
      return found.get(key);
    };
    esbuild.onResolve({ filter: /^[^./#]/ }, ({ path, kind, resolveDir }) => {
      if (isBuiltin(path) || !inApp(resolveDir)) return undefined;
      const parts = path.split('/');
      if (installed(path.startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0], resolveDir))
        return undefined;
      if (kind === 'import-statement' || !resolveDir.includes(`${sep}node_modules${sep}`))
        return { errors: [{ text: `"${path}" is not installed in app/node_modules` }] };
      return { path, external: true };
    });
  },
};

const staging = join(outdir, `.staging-${process.pid}-${Date.now()}`);
mkdirSync(staging, { recursive: true });
let outside = [];
try {
  // All settled before the staging folder goes: a build that fails must not leave the others writing into it.
  const settled = await Promise.allSettled([
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
    // file, which is what keeps it small. The same bytes as the image's build (test/e2e/app/bundle.test.ts).
    build({
      ...common,
      ...JSON.parse(readFileSync(join(root, 'app', 'bundle-options.json'), 'utf8')),
      entryPoints: { 'app/main': 'app/main.ts' },
      outdir: staging,
      outExtension: { '.js': '.cjs' },
      // A CommonJS bundle has its own require(): no ES module banner.
      banner: {},
      // The image builds app/ alone, with no tsconfig.json: the root's (strict, hence "use strict") must not apply.
      tsconfigRaw: '{}',
      plugins: [appInstallOnly],
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
  const failed = settled.find((r) => r.status === 'rejected');
  if (failed) throw failed.reason;
  const results = settled.map((r) => r.value);
  outside = outsideApp(results[1].metafile);
  if (outside.length === 0) putInPlace(results);
} finally {
  rmSync(staging, { recursive: true, force: true });
}
if (outside.length > 0)
  fail(
    `build/app/main.cjs would bundle ${outside.join(', ')}: the program has only app/ and app/node_modules, as in its image`,
  );

/** Moves the builds' files from the staging folder into place, with the program's metafile (build/app/meta.json). */
function putInPlace(results) {
  const appMeta = results[1].metafile;
  // Output paths as they are once in place, not in the staging folder.
  const inPlace = (file) => relative(root, join(outdir, relative(staging, join(root, file))));
  const outputs = Object.entries(appMeta.outputs).map(([file, output]) => [inPlace(file), output]);
  writeFileSync(
    join(staging, 'app', 'meta.json'),
    JSON.stringify({ inputs: appMeta.inputs, outputs: Object.fromEntries(outputs) }),
  );
  const written = results
    .flatMap((r) => Object.keys(r.metafile.outputs))
    .map((f) => relative(staging, join(root, f)));
  written.push(join('app', 'meta.json'));
  // Chunks first, entries last: an entry is in place only once everything it imports is.
  const entries = new Set(['main.mjs', join('app', 'main.cjs'), 'terraform-provider.mjs']);
  for (const file of [...written.filter((f) => !entries.has(f)), ...entries]) {
    mkdirSync(dirname(join(outdir, file)), { recursive: true });
    renameSync(join(staging, file), join(outdir, file));
  }
  removeStaleChunks(new Set(written));
}

function removeStaleChunks(current) {
  for (const name of readdirSync(outdir)) {
    if (!name.endsWith('.mjs') || current.has(name)) continue;
    const file = join(outdir, name);
    if (Date.now() - statSync(file).mtimeMs > STALE_AFTER_MS) rmSync(file, { force: true });
  }
}

/** Stops the build, in one line. */
function fail(why) {
  console.error(`cli/build.mjs: ${why}`);
  process.exit(1);
}

/** Stops the build when app/node_modules is missing or does not match app/package-lock.json. */
function checkAppInstall() {
  const app = join(root, 'app');
  if (!existsSync(join(app, 'node_modules'))) fail(`app/node_modules is missing: ${INSTALL_APP}`);
  const lock = JSON.parse(readFileSync(join(app, 'package-lock.json'), 'utf8'));
  for (const [path, entry] of Object.entries(lock.packages)) {
    // Platform packages (esbuild's) and, after an install without dev dependencies, the dev ones may be absent.
    if (path === '' || entry.optional || entry.dev || entry.link) continue;
    const manifest = join(app, path, 'package.json');
    if (!existsSync(manifest)) fail(`app/${path} is not installed: ${INSTALL_APP}`);
    const { version } = JSON.parse(readFileSync(manifest, 'utf8'));
    if (version !== entry.version)
      fail(
        `app/${path} is ${version}, app/package-lock.json locks ${entry.version}: ${INSTALL_APP}`,
      );
  }
}

/** The modules of the program's bundle from outside app/, or from a node_modules other than app/'s: none, or it stops. */
function outsideApp(metafile) {
  return Object.keys(metafile.inputs).filter(
    (input) =>
      !input.startsWith('app/') ||
      (input.includes('node_modules/') && !input.startsWith('app/node_modules/')),
  );
}
