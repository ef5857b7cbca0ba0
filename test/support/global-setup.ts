import { execFileSync } from 'node:child_process';

/** Compile the command line once (build/main.mjs): the CLI tests run it as `npm run cli` does. */
export default function setup(): void {
  execFileSync(process.execPath, ['cli/build.mjs'], { stdio: 'inherit' });
}
