// Start of the local cloud's Terraform provider server: from spawning the compiled server (build/terraform-provider.mjs,
// `npm run build`) to its first line on stdout. As Terraform starts it (go-plugin's handshake line), one process per
// provider and per walk of a command: what a plain Terraform or `cdktf deploy` pays many times per deploy. And as the
// local cloud's runs start it (`--shared`, the reattach configuration of all four providers): once per run.
import { spawn, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { createServerCertificate } from '../local-cloud/terraform/certificate';
import {
  MAGIC_COOKIE_KEY,
  MAGIC_COOKIE_VALUE,
  SHARED_ARGUMENT,
} from '../local-cloud/terraform/plugin-process';
import { ROOT } from './child';
import type { Figure } from './table';

const SECTION = 'terraform provider';
/** The budget for one provider process to be ready. */
export const PROVIDER_START_BUDGET_MS = 300;

const median = (values: number[]) =>
  [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? NaN;

/** Milliseconds from spawn to the first line of one provider process: `args` after the bundle, the line it must print. */
function startOnce(args: readonly string[], first: RegExp, clientCertPem: string): Promise<number> {
  const started = process.hrtime.bigint();
  const child = spawn(process.execPath, [join(ROOT, 'build', 'terraform-provider.mjs'), ...args], {
    env: {
      ...process.env,
      [MAGIC_COOKIE_KEY]: MAGIC_COOKIE_VALUE,
      PLUGIN_PROTOCOL_VERSIONS: '5,6',
      PLUGIN_CLIENT_CERT: clientCertPem,
    },
  });
  return new Promise((resolve, reject) => {
    let stderr = '';
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    child.stdout.once('data', (line: Buffer) => {
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      child.kill();
      if (!first.test(line.toString())) reject(new Error(`unexpected first line: ${line}`));
      else resolve(ms);
    });
    child.on('exit', (code) => {
      if (code !== null && code !== 0) reject(new Error(`provider exited ${code}: ${stderr}`));
    });
  });
}

export async function measureProviderStart(options: { runs: number }): Promise<Figure[]> {
  const build = spawnSync(process.execPath, [join(ROOT, 'cli', 'build.mjs')], { encoding: 'utf8' });
  if (build.status !== 0) throw new Error(`cli/build.mjs failed: ${build.stderr}`);
  const { certPem } = createServerCertificate();
  const runs = Math.max(options.runs, 5);
  const figures: Figure[] = [];
  const starts = [
    { name: 'azurerm provider start to handshake', args: ['azurerm'], first: /^1\|6\|tcp\|/ },
    { name: 'time provider start to handshake', args: ['time'], first: /^1\|6\|tcp\|/ },
    {
      name: 'shared start (all four providers) to reattach line',
      args: [SHARED_ARGUMENT],
      first: /^\{"registry\.terraform\.io\/hashicorp\//,
    },
  ];
  for (const { name, args, first } of starts) {
    await startOnce(args, first, certPem); // warm the file cache
    const times: number[] = [];
    for (let i = 0; i < runs; i++) times.push(await startOnce(args, first, certPem));
    figures.push({
      section: SECTION,
      name: `${name}: median`,
      value: median(times),
      unit: 'ms',
      budget: { max: PROVIDER_START_BUDGET_MS },
      note: `${runs} runs, max ${Math.max(...times).toFixed(0)} ms`,
    });
  }
  // What Node itself costs of that, for reading the figure on a busy machine.
  const bare: number[] = [];
  for (let i = 0; i < runs; i++) {
    const started = process.hrtime.bigint();
    spawnSync(process.execPath, ['-e', '0']);
    bare.push(Number(process.hrtime.bigint() - started) / 1e6);
  }
  figures.push({
    section: SECTION,
    name: 'node -e 0 (for comparison): median',
    value: median(bare),
    unit: 'ms',
  });
  return figures;
}
