/**
 * Install the local providers the way Terraform installs any provider: a filesystem mirror (unpacked layout) under
 * the work directory, whose executables start the compiled provider server, and a CLI configuration that makes
 * Terraform take hashicorp's providers from that mirror only. No dev_overrides, so no warning, and a lock file
 * with real hashes, as for any other provider.
 */
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CLI_CONFIG_HEADER } from '../core/work-dir';
import { PROVIDER_SCHEMAS } from './schema';

export interface LocalProviders {
  /** The unpacked filesystem mirror: `<mirror>/registry.terraform.io/hashicorp/<name>/<version>/<os>_<arch>/`. */
  mirrorDir: string;
  /** Point `TF_CLI_CONFIG_FILE` at it. */
  cliConfigFile: string;
  /**
   * Shared by every Terraform working directory that uses this install; point `TF_PLUGIN_CACHE_DIR` at it. Terraform
   * expands environment variables (`$HOME`, `${HOME}`) in the CLI config's `plugin_cache_dir`, with no escape for a
   * `$` (hashicorp/terraform v1.11.4 internal/command/cliconfig/cliconfig.go:191-193, os.ExpandEnv), and takes
   * `TF_PLUGIN_CACHE_DIR` as it is (cliconfig.go:239-245): a work directory named with a `$` stays itself.
   */
  pluginCacheDir: string;
  /** The providers served: registry address and version. */
  providers: { source: string; version: string }[];
}

/** The repository (or installed package) root: the nearest folder above this file with the project's package.json. */
function projectRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const pkg = join(dir, 'package.json');
    if (
      existsSync(pkg) &&
      (JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === 'entra-workload-id-aks'
    )
      return dir;
    const parent = dirname(dir);
    if (parent === dir)
      throw new Error(
        `cannot find the project's package.json above ${fileURLToPath(import.meta.url)}`,
      );
    dir = parent;
  }
}

/** The compiled provider server; `npm run build` (cli/build.mjs) writes it. */
export function providerBundle(): string {
  const bundle = join(projectRoot(), 'build', 'terraform-provider.mjs');
  if (!existsSync(bundle))
    throw new Error(
      `${bundle} not found: run \`npm run build\` first (it compiles the local provider server)`,
    );
  return bundle;
}

/** Terraform's name for this machine's platform, e.g. `linux_amd64`. */
export function terraformPlatform(): string {
  const arch: { [a: string]: string } = { x64: 'amd64', arm64: 'arm64', ia32: '386', arm: 'arm' };
  const os = process.platform === 'win32' ? 'windows' : process.platform;
  return `${os}_${arch[process.arch] ?? process.arch}`;
}

/** Write a file only when its content changes: Terraform hashes the executables into the lock file. */
function writeIfChanged(file: string, content: string, mode?: number): void {
  mkdirSync(dirname(file), { recursive: true });
  if (existsSync(file) && readFileSync(file, 'utf8') === content) return;
  // Whole or not at all: a Terraform of another run may be starting this very provider.
  const temporary = `${file}.${process.pid}.tmp`;
  writeFileSync(temporary, content);
  if (mode !== undefined) chmodSync(temporary, mode);
  renameSync(temporary, file);
}

/** HCL string literal. */
const hcl = (text: string) => JSON.stringify(text);
/** POSIX shell word, taken literally (no `$`, backquote or backslash expansion). */
const sh = (text: string) => `'${text.replaceAll("'", `'\\''`)}'`;

/** The CLI configuration Terraform runs with against the local cloud: `<workDir>/terraform/terraform.rc`. */
export function localCliConfigFile(workDir: string): string {
  return join(resolve(workDir), 'terraform', 'terraform.rc');
}

/** Lay out the mirror and the CLI configuration under `<workDir>/terraform/`; idempotent and fast. */
export function installLocalProviders(workDir: string): LocalProviders {
  const base = join(resolve(workDir), 'terraform');
  const mirrorDir = join(base, 'mirror');
  const pluginCacheDir = join(base, 'plugin-cache');
  const cliConfigFile = localCliConfigFile(workDir);
  const bundle = providerBundle();
  const providers: LocalProviders['providers'] = [];
  for (const schema of Object.values(PROVIDER_SCHEMAS)) {
    const [host, namespace, type] = schema.source.split('/') as [string, string, string];
    const executable = join(
      mirrorDir,
      host,
      namespace,
      type,
      schema.version,
      terraformPlatform(),
      `terraform-provider-${type}_v${schema.version}`,
    );
    // The same node that runs the local cloud runs its providers.
    const script = [
      '#!/bin/sh',
      `# The local cloud's ${schema.source} ${schema.version}: the compiled provider server (local-cloud/terraform/).`,
      `exec ${sh(process.execPath)} ${sh(bundle)} ${schema.name} "$@"`,
      '',
    ].join('\n');
    writeIfChanged(executable, script, 0o755);
    providers.push({ source: schema.source, version: schema.version });
  }
  mkdirSync(pluginCacheDir, { recursive: true });
  writeIfChanged(
    cliConfigFile,
    [
      CLI_CONFIG_HEADER,
      'provider_installation {',
      '  filesystem_mirror {',
      `    path    = ${hcl(mirrorDir)}`,
      '    include = ["registry.terraform.io/hashicorp/*"]',
      '  }',
      '  direct {',
      '    exclude = ["registry.terraform.io/hashicorp/*"]',
      '  }',
      '}',
      'disable_checkpoint = true',
      '',
    ].join('\n'),
  );
  return { mirrorDir, cliConfigFile, pluginCacheDir, providers };
}
