// Bundles the workload program into one minified file, build/main.cjs: the image runs it without node_modules, and
// the local cloud's pods run the same bundle (cli/build.mjs builds it with these options). One file, minified,
// keeps the process small: Node holds every loaded module's source, and a bundle has no per-file overhead.
import { fileURLToPath } from 'node:url';

/** esbuild options of the workload program's bundle, shared with cli/build.mjs. */
export const APP_BUNDLE_OPTIONS = {
  bundle: true,
  minify: true,
  platform: 'node',
  // CommonJS, not ES modules: an ES module that imports a Node builtin (`node:http`) makes Node evaluate every
  // export of that builtin, and node:http's WebSocket export loads the whole fetch implementation (undici, web
  // streams): about 5 MB of resident memory that require() never touches.
  format: 'cjs',
  target: 'node20',
  // The SDK's pipeline asks `typeof FormData` on every request, and that first touch of the global loads the same
  // fetch implementation, for a program that never sends a form.
  define: { FormData: 'undefined' },
};

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { build } = await import('esbuild');
  await build({
    ...APP_BUNDLE_OPTIONS,
    absWorkingDir: fileURLToPath(new URL('.', import.meta.url)),
    entryPoints: ['main.ts'],
    outfile: 'build/main.cjs',
    logLevel: 'warning',
  });
}
