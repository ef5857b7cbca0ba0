import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseDocument } from 'yaml';
import type { z } from 'zod';
import { type Config, ConfigSchema } from './schema';

/** The config used when neither `--config` nor `WI_CONFIG` names another (found from here, or from build/). */
export const DEFAULT_CONFIG_PATH =
  [
    new URL('./workload-identity.yaml', import.meta.url),
    new URL('../config/workload-identity.yaml', import.meta.url),
  ]
    .map((url) => fileURLToPath(url))
    .find((path) => existsSync(path)) ??
  fileURLToPath(new URL('./workload-identity.yaml', import.meta.url));

/** A config that cannot be used: every problem, one per line, as `<path>: <rule>`. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(
    readonly source: string,
    readonly problems: readonly string[],
  ) {
    super(`invalid config ${source}:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
}

/** Which config file to read: the explicit path, else `WI_CONFIG`, else the default. */
export function configPath(path?: string): string {
  return path ?? process.env.WI_CONFIG ?? DEFAULT_CONFIG_PATH;
}

/** Read, validate and freeze a config file; throws `ConfigError` listing every problem. */
export function loadConfig(path?: string): Config {
  const file = configPath(path);
  if (!existsSync(file))
    throw new ConfigError(file, [`file not found (set WI_CONFIG or --config to a YAML file)`]);
  const document = parseDocument(readFileSync(file, 'utf8'), { prettyErrors: true });
  if (document.errors.length > 0)
    throw new ConfigError(
      file,
      document.errors.map((e) => `YAML: ${e.message.split('\n')[0]}`),
    );
  return parseConfig(document.toJS(), file);
}

/** Validate an already parsed config object; throws `ConfigError` listing every problem. */
export function parseConfig(data: unknown, source = '<inline>'): Config {
  const result = ConfigSchema.safeParse(data, { reportInput: true });
  if (!result.success) throw new ConfigError(source, result.error.issues.map(describeIssue));
  return deepFreeze(result.data);
}

function describeIssue(issue: z.core.$ZodIssue): string {
  const path = issue.path.reduce<string>(
    (acc, key) =>
      typeof key === 'number' ? `${acc}[${key}]` : acc ? `${acc}.${String(key)}` : String(key),
    '',
  );
  const showsValue = issue.code === 'custom' || issue.code === 'unrecognized_keys';
  const value =
    !showsValue && 'input' in issue && issue.input !== undefined
      ? ` (got ${JSON.stringify(issue.input)})`
      : '';
  return `${path || '<root>'}: ${issue.message}${value}`;
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    Object.values(value).forEach(deepFreeze);
    Object.freeze(value);
  }
  return value;
}
