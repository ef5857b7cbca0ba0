// Compile the command line to build/main.mjs (project code bundled, packages left in node_modules): it then starts
// in plain Node.js, without a TypeScript loader, which is most of the start-up time (see README, Performance).
// npm runs it before `npm start`, `npm run synth` and `npm run cli`; it takes a fraction of a second.

import { rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = fileURLToPath(new URL('..', import.meta.url));
// Chunk names carry a content hash: clear the old ones so build/ holds one build.
rmSync(new URL('../build', import.meta.url), { recursive: true, force: true });

await build({
  absWorkingDir: root,
  entryPoints: ['cli/main.ts'],
  outdir: 'build',
  outExtension: { '.js': '.mjs' },
  bundle: true,
  // Commands import their heavy parts (cdktf, cdk8s, the local cloud) when run: keep those in chunks loaded on demand.
  splitting: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  packages: 'external',
  logLevel: 'warning',
  plugins: [
    {
      // Provider bindings are imported by deep path; Node's ES module loader needs the file, not the folder.
      name: 'provider-deep-imports',
      setup(b) {
        b.onResolve({ filter: /^@cdktf\/provider-[a-z]+\/lib\/[^/]+$/ }, (args) => ({
          path: `${args.path}/index.js`,
          external: true,
        }));
      },
    },
  ],
});
