import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseDocument } from 'yaml';
import type { z } from 'zod';
import { readTextFile } from '../lib/read-file';
import { echo } from './echo';
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

/** A config of hundreds of workloads stays well under this; a larger file is refused before it is parsed. */
export const MAX_CONFIG_BYTES = 1024 * 1024;

// YAML anchors may share settings, but each alias copies a subtree: a few nested ones are how a small file expands
// into gigabytes (an alias bomb).
const MAX_ALIASES = 100;

/** Read, validate and freeze a config file; throws `ConfigError` listing every problem, each naming the file. */
export function loadConfig(path?: string): Config {
  const file = configPath(path);
  let text: string;
  try {
    text = readTextFile(file, { maxBytes: MAX_CONFIG_BYTES });
  } catch (err) {
    const why = (err as Error).message.replace(`cannot read ${file}: `, '');
    throw new ConfigError(file, [
      why === 'not found'
        ? 'file not found (set WI_CONFIG or --config to a YAML file)'
        : `cannot read the file: ${why}`,
    ]);
  }
  const document = parseDocument(text, { prettyErrors: true });
  if (document.errors.length > 0)
    throw new ConfigError(
      file,
      document.errors.slice(0, 5).map((e) => `YAML: ${cap(e.message.split('\n')[0])}`),
    );
  let data: unknown;
  try {
    data = document.toJS({ maxAliasCount: MAX_ALIASES });
  } catch (err) {
    throw new ConfigError(file, [
      `YAML: ${cap((err as Error).message.split('\n')[0])} (at most ${MAX_ALIASES} aliases)`,
    ]);
  }
  return parseConfig(data, file);
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
      ? ` (got ${echo(issue.input)})`
      : '';
  return cap(`${cap(path) || '<root>'}: ${cap(issue.message, 300)}${value}`, 500);
}

/** A piece of a message cut to `max` characters: keys and messages can carry what the file holds. */
function cap(text: string, max = 200): string {
  return text.length > max ? `${text.slice(0, max)}... (${text.length} characters)` : text;
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    Object.values(value).forEach(deepFreeze);
    Object.freeze(value);
  }
  return value;
}
