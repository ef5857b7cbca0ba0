#!/usr/bin/env node
// `npx workload-id <command>` once the package is installed: the compiled command line (`npm run build`), which needs
// neither a TypeScript loader nor a bundler, so it runs from a production install (`npm prune --omit=dev`).
import { existsSync } from 'node:fs';

const main = new URL('../build/main.mjs', import.meta.url);
if (!existsSync(main)) {
  console.error('error: build/main.mjs not found: run npm run build first');
  process.exit(1);
}
await import(main.href);
