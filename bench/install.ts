// Install size: the project's node_modules, and the workload program's runtime closure alone.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, realpathSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { ROOT } from './child';
import type { Figure } from './table';

const SECTION = 'install';

/** The workload program's runtime closure must stay under this many MB. */
export const CLOSURE_BUDGET_MB = 60;
/** The app's runtime dependencies when `app/package.json` does not (yet) list them. */
export const DEFAULT_APP_DEPENDENCIES = [
  '@azure/identity',
  '@azure/keyvault-secrets',
  '@azure/msal-node',
] as const;

interface PackageJson {
  readonly name?: string;
  readonly dependencies?: Record<string, string>;
  readonly optionalDependencies?: Record<string, string>;
  readonly peerDependencies?: Record<string, string>;
  readonly peerDependenciesMeta?: Record<string, { optional?: boolean }>;
}

const readPackage = (dir: string): PackageJson =>
  JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as PackageJson;

/** Disk usage in MB as `du -sk` reports it; `--exclude=node_modules` leaves nested packages out (they are counted on their own). */
function duMb(dirs: readonly string[], excludeNested: boolean): number {
  if (dirs.length === 0) return 0;
  const out = execFileSync(
    'du',
    ['-sk', ...(excludeNested ? ['--exclude=node_modules'] : []), ...dirs],
    { encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 },
  );
  return out.split('\n').reduce((kb, line) => kb + (Number(line.split('\t')[0]) || 0), 0) / 1024;
}

/** Where Node would find package `name` when required from `fromDir`: the nearest `node_modules/<name>` up to the project root. */
export function resolvePackageDir(name: string, fromDir: string): string | undefined {
  for (let dir = fromDir; ; dir = dirname(dir)) {
    const candidate = join(dir, 'node_modules', name);
    if (existsSync(join(candidate, 'package.json'))) return realpathSync(candidate);
    if (dir === ROOT || dirname(dir) === dir) return undefined;
  }
}

/**
 * The production dependency closure of `roots`, resolved from `fromDir` as Node would: package folders, deduplicated.
 *
 * Follows `dependencies`, installed `optionalDependencies` and non-optional `peerDependencies`; never `devDependencies`.
 */
export function dependencyClosure(
  roots: readonly string[],
  fromDir: string,
): { dirs: string[]; missing: string[] } {
  const dirs = new Set<string>();
  const missing: string[] = [];
  const visit = (name: string, from: string, optional: boolean) => {
    const dir = resolvePackageDir(name, from);
    if (!dir) {
      if (!optional) missing.push(`${name} (from ${relative(ROOT, from) || '.'})`);
      return;
    }
    if (dirs.has(dir)) return;
    dirs.add(dir);
    const pkg = readPackage(dir);
    for (const dep of Object.keys(pkg.dependencies ?? {})) visit(dep, dir, false);
    for (const dep of Object.keys(pkg.optionalDependencies ?? {})) visit(dep, dir, true);
    for (const dep of Object.keys(pkg.peerDependencies ?? {}))
      visit(dep, dir, pkg.peerDependenciesMeta?.[dep]?.optional ?? false);
  };
  for (const root of roots) visit(root, fromDir, false);
  return { dirs: [...dirs].sort(), missing };
}

/** The app's runtime dependencies: from `app/package.json` when it exists, else the three the brief names. */
export function appDependencies(): { names: string[]; source: string } {
  const file = join(ROOT, 'app', 'package.json');
  if (!existsSync(file))
    return {
      names: [...DEFAULT_APP_DEPENDENCIES],
      source: 'app/package.json not found: the 3 Azure SDK packages',
    };
  return {
    names: Object.keys(readPackage(join(ROOT, 'app')).dependencies ?? {}),
    source: 'app/package.json dependencies',
  };
}

/** Size of node_modules and of the workload program's runtime closure. */
export function measureInstall(): Figure[] {
  const { names, source } = appDependencies();
  const closure = dependencyClosure(names, join(ROOT, 'app'));
  const missing =
    closure.missing.length > 0 ? `; NOT INSTALLED: ${closure.missing.join(', ')}` : '';
  return [
    {
      section: SECTION,
      name: 'node_modules (whole project)',
      value: duMb([join(ROOT, 'node_modules')], false),
      unit: 'MB',
      note: 'du -sk',
    },
    {
      section: SECTION,
      name: 'workload program runtime closure',
      value: duMb(closure.dirs, true),
      unit: 'MB',
      budget: { max: CLOSURE_BUDGET_MB },
      note: `${closure.dirs.length} packages from ${names.join(', ')} (${source}); du -sk of each package folder without nested node_modules${missing}`,
    },
  ];
}
