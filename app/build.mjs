// Bundles the workload program into one minified file, build/main.mjs: the image runs it without node_modules, and
// the local cloud's pods run the same bundle (cli/build.mjs builds it with the same options). One file, minified,
// keeps the process small: Node holds every loaded module's source, and a bundle has no per-file overhead.
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

await build({
  absWorkingDir: fileURLToPath(new URL('.', import.meta.url)),
  entryPoints: ['main.ts'],
  outfile: 'build/main.mjs',
  bundle: true,
  minify: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  logLevel: 'warning',
  // Some bundled packages are CommonJS and call require(): give the ES module bundle one.
  banner: {
    js: "import { createRequire as __wiCreateRequire } from 'node:module'; const require = __wiCreateRequire(import.meta.url);",
  },
});
