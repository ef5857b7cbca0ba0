import { parseAllDocuments } from 'yaml';
import type { CheckInput, Problem } from '../check';

export const id = 'secret-value';
export const title =
  'no secret value (from TF_VAR_secret_*) is a value of any synthesized file, as such or base64-encoded';
export const needs = 'secretValues';
export const prevents = 'the secret leaks to whoever reads the synthesized files';

/**
 * Compare whole values: every string of every file (a JSON or YAML scalar) against each secret value and its base64
 * form (a Kubernetes Secret's `data`).
 *
 * Only whole values, never fragments: ordinary secret values such as `test` or `user` appear inside names all the
 * time (`workload-id-test`), and a secret is written to a file as a value of its own.
 */
export function run({ pair, secretValues }: CheckInput): Problem[] {
  const wanted = new Set(
    secretValues
      .filter((v) => v !== '')
      .flatMap((v) => [v, Buffer.from(v, 'utf8').toString('base64')]),
  );
  if (wanted.size === 0) return [];
  return [...pair.texts].flatMap(([file, text]) =>
    stringsOf(file, text).some((s) => wanted.has(s))
      ? [
          {
            subject: file,
            message: 'a secret value appears in the file',
            fix: 'pass secret values only through TF_VAR_secret_<name> at deploy time',
          },
        ]
      : [],
  );
}

/** The scalar values of a JSON or YAML file, as strings. */
function stringsOf(file: string, text: string): string[] {
  const found: string[] = [];
  const walk = (value: unknown): void => {
    if (typeof value === 'string') found.push(value);
    else if (typeof value === 'number' || typeof value === 'boolean') found.push(String(value));
    else if (Array.isArray(value)) value.forEach(walk);
    else if (value && typeof value === 'object') Object.values(value).forEach(walk);
  };
  if (file.endsWith('.json')) walk(JSON.parse(text));
  else for (const doc of parseAllDocuments(text)) walk(doc.toJS({ maxAliasCount: 0 }));
  return found;
}
