// Bundles the workload program into one minified file, build/main.cjs: the image runs it without node_modules, and
// the local cloud's pods run the same bundle (cli/build.mjs builds it with the same bundle-options.json). One file,
// minified, keeps the process small: Node holds every loaded module's source, and a bundle has no per-file overhead.
//
// bundle-options.json, and why (JSON has no comments):
// - format "cjs", not ES modules: an ES module that imports a Node builtin (node:http) makes Node evaluate every
//   export of that builtin, and node:http's WebSocket export loads the whole fetch implementation (undici, web
//   streams): about 5 MB of resident memory that require() never touches.
// - define FormData as undefined: the SDK's pipeline asks `typeof FormData` on every request, and that first touch
//   of the global loads the same fetch implementation, for a program that never sends a form.
import { readFileSync } from 'node:fs';
import { build } from 'esbuild';

const here = new URL('.', import.meta.url);
await build({
  ...JSON.parse(readFileSync(new URL('bundle-options.json', here), 'utf8')),
  absWorkingDir: here.pathname,
  entryPoints: ['main.ts'],
  outfile: 'build/main.cjs',
  logLevel: 'warning',
});
