/**
 * What a Terraform run against the local cloud needs besides the stack, the same for the demo and `tflocal`: the
 * secret values (`TF_VAR_*`, the lab's demo values standing in for those not set), the home subscription, and a store
 * holding the world the config expects (its tenants, subscriptions and existing resources).
 *
 * It loads neither cdktf nor cdk8s, so `tflocal` starts without them.
 */

import { secretFromEnv, secretVariableName } from '../config/outputs';
import type { Config } from '../config/schema';
import { readTextFile } from '../lib/read-file';
import {
  CloudStore,
  type CloudStoreData,
  HOME_SUBSCRIPTION_ID,
  MAX_STACK_FILE_BYTES,
  storeFileIn,
} from '../local-cloud';
import { DEMO_SECRET_VALUES, variablesFromEnv } from './demo-values';
import { seedWorld } from './seed';

/** The secret values and the store of the lab's Terraform runs. */
export interface LabTerraform {
  /** The values the secrets are deployed with, by Terraform variable name. */
  readonly variables: Readonly<Record<string, string>>;
  /** `TF_VAR_*` that were not set, so the lab's demo values stood in. */
  readonly demoValuesFor: readonly string[];
  /** The local cloud's store in the work directory. */
  readonly storeFile: string;
}

/** How to prepare the lab's Terraform runs. */
export interface LabTerraformOptions {
  readonly config: Config;
  /** The lab's work directory: the store goes there. */
  readonly workDir: string;
  /** The stack's `cdk.tf.json`: its variables are the values to find. */
  readonly terraformFile: string;
  /** Where `TF_VAR_*` come from. */
  readonly env: NodeJS.ProcessEnv;
  /** Change the world before the deploy (e.g. an existing cluster whose issuer is off). */
  readonly seed?: (data: CloudStoreData) => void;
  /**
   * Leave a variable that has neither a `TF_VAR_` nor a demo value to Terraform, which asks for it only where it is
   * needed (`state list` needs none). @default false - refused with the variable named, before anything runs
   */
  readonly leaveMissingToTerraform?: boolean;
}

/** Find the stack's secret values and seed the store with the world the config expects (what is there is kept). */
export function prepareLabTerraform(options: LabTerraformOptions): LabTerraform {
  const terraform = JSON.parse(
    readTextFile(options.terraformFile, { maxBytes: MAX_STACK_FILE_BYTES }),
  ) as { variable?: Record<string, unknown> };
  const { config, env } = options;
  const { values, fromFallback } = variablesFromEnv(
    Object.keys(terraform.variable ?? {}).filter(
      (name) =>
        !options.leaveMissingToTerraform ||
        name in DEMO_SECRET_VALUES ||
        secretFromEnv(`TF_VAR_${name}`, env) !== undefined,
    ),
    env,
    DEMO_SECRET_VALUES,
  );
  // An existing vault already holds its secrets: the world gets them from the same variables a deploy would use.
  const existingNames = config.keyVault.existing ? config.keyVault.secrets.map((s) => s.name) : [];
  const existing = variablesFromEnv(existingNames.map(secretVariableName), env, DEMO_SECRET_VALUES);
  const store = new CloudStore(storeFileIn(options.workDir)).init();
  store.update((data) => {
    seedWorld(
      data,
      config,
      Object.fromEntries(existingNames.map((n) => [n, existing.values[secretVariableName(n)]])),
    );
    options.seed?.(data);
  });
  return {
    variables: values,
    demoValuesFor: [...new Set([...fromFallback, ...existing.fromFallback])],
    storeFile: store.file,
  };
}

/** The environment of the lab's Terraform runs: the secret values and the local cloud's subscription. */
export function labTerraformEnv(files: Pick<LabTerraform, 'variables'>): NodeJS.ProcessEnv {
  return {
    ...Object.fromEntries(
      Object.entries(files.variables).map(([name, value]) => [`TF_VAR_${name}`, value]),
    ),
    ARM_SUBSCRIPTION_ID: HOME_SUBSCRIPTION_ID,
  };
}

/** The line that says the lab's demo values stand in, e.g. `TF_VAR_secret_password not set: using ...`. */
export function demoValuesLine(demoValuesFor: readonly string[]): string | undefined {
  return demoValuesFor.length > 0
    ? `${demoValuesFor.join(', ')} not set: using the lab's demo values`
    : undefined;
}
