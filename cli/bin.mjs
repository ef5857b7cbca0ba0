#!/usr/bin/env node
// `npx workload-id <command>` once the package is installed: load TypeScript through tsx, then run the command line.
import { register } from 'tsx/esm/api';

register();
await import('./main.ts');
