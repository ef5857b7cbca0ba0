/**
 * The secret values a demo deploys with: `TF_VAR_<name>` when set, else the lab's demo values.
 */
import { secretFromEnv, secretVariableName } from '../config/outputs';

/** Terraform variable values from the environment (`TF_VAR_<name>`), with fallbacks for the ones not set. */
export function variablesFromEnv(
  names: readonly string[],
  env: NodeJS.ProcessEnv,
  fallback: Readonly<Record<string, string>> = {},
): { values: Record<string, string>; fromFallback: string[] } {
  const values: Record<string, string> = {};
  const fromFallback: string[] = [];
  for (const name of names) {
    // An empty value counts as not set, as for a real deploy's preflight (secretFromEnv decides for both).
    const given = secretFromEnv(`TF_VAR_${name}`, env);
    const value = given ?? fallback[name];
    if (value === undefined) throw new Error(`variable ${name} has no value: set TF_VAR_${name}`);
    if (given === undefined) fromFallback.push(`TF_VAR_${name}`);
    values[name] = value;
  }
  return { values, fromFallback };
}

/** The lab's demo values (`00-variables.sh`), used by the demo for any secret whose TF_VAR_ is not set. */
export const DEMO_SECRET_VALUES: Readonly<Record<string, string>> = {
  [secretVariableName('username')]: 'admin',
  [secretVariableName('password')]: 'trustno1',
};
