import { existsSync } from 'node:fs';
import { readTextFile } from '../lib/read-file';
import { echo } from './echo';
import {
  aksClusterName,
  GUID_PATTERN,
  guid,
  keyVaultName,
  type NameRule,
  resourceGroupName,
} from './rules';
import type { Config, WorkloadConfig } from './schema';

/** Name of the cdktf stack that holds the Azure side. */
export const AZURE_STACK_NAME = 'workload-identity';

/** Name of the cdktf stack that applies the Kubernetes side through Terraform (the one-command path). */
export const KUBERNETES_STACK_NAME = 'workload-identity-k8s';
/**
 * Both stacks, named: cdktf 0.21 has no `--all`, and refuses a deploy of several stacks that names none ("Found more
 * than one stack"). It orders them by their dependency, the Azure stack first.
 */
export const BOTH_STACKS = [AZURE_STACK_NAME, KUBERNETES_STACK_NAME] as const;

/** The Azure stack's output that names the AKS cluster (for `az aks get-credentials`). */
export const CLUSTER_NAME_OUTPUT = 'cluster_name';
/** The Azure stack's output that names the container registry, when the config has one (for `az acr build`). */
export const REGISTRY_NAME_OUTPUT = 'registry_name';
/** The Azure stack's output with the registry's login server (`<name>.azurecr.io`), the prefix of its images. */
export const REGISTRY_LOGIN_SERVER_OUTPUT = 'registry_login_server';
/** The repository `deploy` builds the project's workload program (app/) into. */
export const APP_REPOSITORY = 'workload-id-app';
/** The image of a `build: app` workload until deploy has built it: visibly fake, refused by `verify --for-apply`. */
export const PLACEHOLDER_IMAGE = `placeholder.invalid/${APP_REPOSITORY}:not-built-yet`;
/** The Azure stack's output that names the resource group of the cluster. */
export const RESOURCE_GROUP_OUTPUT = 'resource_group_name';
/** The Azure stack's output with the subscription the cluster was deployed in (the default provider's). */
export const SUBSCRIPTION_OUTPUT = 'subscription_id';

/** Where `cdktf deploy --outputs-file` writes by default; `WI_OUTPUTS` selects another file. */
export const DEFAULT_OUTPUTS_FILE = 'outputs.json';

/** The DNS suffix of Key Vault in Azure's public cloud: a vault's URL is `https://<name><suffix>/`. */
export const KEY_VAULT_DNS_SUFFIX = '.vault.azure.net';

/** The URL of a vault by its name, as Azure writes it (`vault_uri`): lowercase, with its trailing `/`. */
export function keyVaultUrl(name: string): string {
  return `https://${name.toLowerCase()}${KEY_VAULT_DNS_SUFFIX}/`;
}

/** What the Kubernetes side needs from the Azure side, known only after deploy. */
export interface WorkloadBindings {
  /** Client id of the workload's managed identity. */
  readonly clientId: string;
  /** Tenant of the managed identity. */
  readonly tenantId: string;
  /** `https://<vault>.vault.azure.net/` */
  readonly vaultUrl: string;
  /** The vault's name, known only after deploy when Terraform generates it: `KEYVAULT_NAME` of the upstream samples. */
  readonly vaultName: string;
  /** The cluster's OIDC issuer URL, with its trailing `/`. */
  readonly oidcIssuerUrl: string;
}

/** The Terraform output that carries each binding, by workload. */
export function outputName(workload: string, binding: keyof WorkloadBindings): string {
  const suffix = {
    clientId: 'client_id',
    tenantId: 'tenant_id',
    vaultUrl: 'vault_url',
    vaultName: 'vault_name',
    oidcIssuerUrl: 'oidc_issuer_url',
  }[binding];
  return `${workload}_${suffix}`;
}

/** The Terraform variable that carries a secret's value; set it as `TF_VAR_<name>`. */
export function secretVariableName(secret: string): string {
  return `secret_${secret.replaceAll('-', '_')}`;
}

/**
 * The value of an environment variable that carries a secret value (`TF_VAR_secret_*`), or undefined when it is unset
 * or empty.
 *
 * The one place that says what an empty value means: not set. Deploy's preflight, verify and the demo ask here, so
 * they agree (an empty secret is never written, nor looked for in files).
 */
export function secretFromEnv(
  name: string,
  env: NodeJS.ProcessEnv = process.env,
): string | undefined {
  const value = env[name];
  return value === undefined || value === '' ? undefined : value;
}

/** The `TF_VAR_*` environment variables a deploy needs: one per secret of a vault this stack creates (none for an existing vault). */
export function secretEnvironmentVariables(config: Config): string[] {
  return config.keyVault.existing
    ? []
    : config.keyVault.secrets.map((s) => `TF_VAR_${secretVariableName(s.name)}`);
}

/** Visibly fake bindings for previews and snapshots, before the first deploy. */
export const PLACEHOLDER_BINDINGS: WorkloadBindings = Object.freeze({
  clientId: 'placeholder-client-id',
  tenantId: 'placeholder-tenant-id',
  vaultUrl: 'https://placeholder-vault.invalid/',
  vaultName: 'placeholder-vault',
  oidcIssuerUrl: 'https://placeholder-issuer.invalid/',
});

/** True when a value is one of the placeholders: such manifests must not be applied. */
export function isPlaceholder(value: string): boolean {
  return Object.values(PLACEHOLDER_BINDINGS).includes(value);
}

/** An outputs file that is missing a value or holds a wrong one. */
export class OutputsError extends Error {
  override readonly name = 'OutputsError';
}

/** Bindings per workload name, and where they came from. */
export interface LoadedBindings {
  readonly source: 'outputs' | 'placeholders';
  /** The outputs file read, or the one that did not exist yet. */
  readonly file: string;
  readonly byWorkload: ReadonlyMap<string, WorkloadBindings>;
}

const checks: Record<
  keyof WorkloadBindings,
  [{ readonly test: (value: string) => boolean }, string]
> = {
  clientId: [GUID_PATTERN, 'a GUID'],
  tenantId: [GUID_PATTERN, 'a GUID'],
  vaultUrl: [/^https:\/\/[^/\s]+\/$/, 'an https URL ending with "/"'],
  vaultName: [keyVaultName, keyVaultName.description],
  oidcIssuerUrl: [
    /^https:\/\/[^\s]+\/$/,
    'an https URL ending with "/" (AKS issuer URLs keep their trailing slash)',
  ],
};

/**
 * Read `cdktf deploy --outputs-file` output into bindings for every workload of the config.
 *
 * Throws `OutputsError` naming the first missing or malformed output.
 */
export function readOutputs(file: string, config: Config): ReadonlyMap<string, WorkloadBindings> {
  const outputs = readStackOutputs(file);
  return new Map(config.workloads.map((w) => [w.name, bindingsOf(w, outputs, file, config)]));
}

/** Where the deployed cluster is: what `az aks get-credentials` needs. */
export interface ClusterOutputs {
  readonly clusterName: string;
  readonly resourceGroupName: string;
  /** The subscription the Azure stack was deployed in. */
  readonly subscriptionId: string;
}

/**
 * Read the cluster's name, resource group and subscription from the outputs file, each checked as an Azure name
 * before it can reach a command line; throws `OutputsError` naming the output that is missing or malformed.
 */
export function readClusterOutputs(file: string): ClusterOutputs {
  const outputs = readStackOutputs(file);
  const read = (name: string, rule: NameRule) => {
    const value = outputs[name];
    if (typeof value !== 'string' || value === '')
      throw new OutputsError(
        `outputs file ${file}: output "${name}" is ${value === undefined ? 'missing' : echo(value)} (was the stack deployed with this version?)`,
      );
    if (!rule.test(value))
      throw new OutputsError(
        `outputs file ${file}: output "${name}" is ${echo(value)}, which must be ${rule.description}`,
      );
    return value;
  };
  return {
    clusterName: read(CLUSTER_NAME_OUTPUT, aksClusterName),
    resourceGroupName: read(RESOURCE_GROUP_OUTPUT, resourceGroupName),
    subscriptionId: read(SUBSCRIPTION_OUTPUT, guid),
  };
}

// The outputs of hundreds of workloads stay well under this; a larger file is refused before it is parsed.
const MAX_OUTPUTS_BYTES = 4 * 1024 * 1024;

/** The Azure stack's outputs in an outputs file. */
function readStackOutputs(file: string): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readTextFile(file, { maxBytes: MAX_OUTPUTS_BYTES }));
  } catch (err) {
    const why = (err as Error).message.replace(`cannot read ${file}: `, '').slice(0, 200);
    throw new OutputsError(`cannot read outputs file ${file}: ${why}`);
  }
  const outputs = (parsed as Record<string, Record<string, unknown>> | null)?.[AZURE_STACK_NAME];
  if (!outputs || typeof outputs !== 'object') {
    throw new OutputsError(
      `outputs file ${file} has no stack "${AZURE_STACK_NAME}": run "cdktf deploy ${AZURE_STACK_NAME} --outputs-file ${file}"`,
    );
  }
  return outputs;
}

function bindingsOf(
  workload: WorkloadConfig,
  outputs: Record<string, unknown>,
  file: string,
  config: Config,
): WorkloadBindings {
  const read = (key: keyof WorkloadBindings) => {
    const name = outputName(workload.name, key);
    const value = outputs[name];
    const [pattern, rule] = checks[key];
    if (value === undefined)
      throw new OutputsError(
        `outputs file ${file}: output "${name}" is missing (was the stack deployed with this config?)`,
      );
    if (typeof value !== 'string' || !pattern.test(value)) {
      throw new OutputsError(
        `outputs file ${file}: output "${name}" is ${echo(value)}, must be ${rule}`,
      );
    }
    return value;
  };
  const vaultUrl = read('vaultUrl');
  const vaultName = read('vaultName');
  const wrongVault = vaultUrlProblem(vaultUrl, config, vaultName);
  if (wrongVault)
    throw new OutputsError(
      `outputs file ${file}: output "${outputName(workload.name, 'vaultUrl')}" is ${echo(vaultUrl)}, ${wrongVault}`,
    );
  return {
    clientId: read('clientId'),
    tenantId: read('tenantId'),
    vaultUrl,
    vaultName,
    oidcIssuerUrl: read('oidcIssuerUrl'),
  };
}

/**
 * Why a deployed vault URL is not the config's vault, or undefined when it is: `https://<keyVault.name>.vault.azure.net/`
 * exactly; when the name is generated at deploy time, the URL of the deployed vault name, or without it that form with
 * a valid vault name. Anything else (another host or vault, credentials, a port, a path, a query, http) would send the
 * workload's token elsewhere.
 */
export function vaultUrlProblem(
  url: string,
  config: Config,
  deployedName?: string,
): string | undefined {
  const configured: string | undefined = config.keyVault.name;
  const name = configured ?? deployedName;
  if (name !== undefined) {
    const expected = keyVaultUrl(name);
    const whose =
      configured !== undefined
        ? `keyVault.name ${JSON.stringify(name)}`
        : `the deployed vault ${JSON.stringify(name)}`;
    return url === expected ? undefined : `must be ${expected}, the URL of ${whose}`;
  }
  const label = url.startsWith('https://') ? url.slice(8).split(KEY_VAULT_DNS_SUFFIX)[0] : '';
  return url === keyVaultUrl(label) && label === label.toLowerCase() && keyVaultName.test(label)
    ? undefined
    : `must be https://<vault name>${KEY_VAULT_DNS_SUFFIX}/ with ${keyVaultName.description}`;
}

/** Bindings from the outputs file (`file`, else `WI_OUTPUTS`, else `outputs.json`) or, when it does not exist, placeholders. */
export function loadBindings(
  config: Config,
  file = process.env.WI_OUTPUTS ?? DEFAULT_OUTPUTS_FILE,
): LoadedBindings {
  if (!existsSync(file)) return placeholderBindings(config, file);
  return { source: 'outputs', file, byWorkload: readOutputs(file, config) };
}

/** Placeholders for every workload, whatever `file` holds: for a pair checked before the deploy that writes it. */
export function placeholderBindings(
  config: Config,
  file = process.env.WI_OUTPUTS ?? DEFAULT_OUTPUTS_FILE,
): LoadedBindings {
  return {
    source: 'placeholders',
    file,
    byWorkload: new Map(config.workloads.map((w) => [w.name, PLACEHOLDER_BINDINGS])),
  };
}

/** Where the deployed registry is: what `az acr build` needs. */
export interface RegistryOutputs {
  readonly registryName: string;
  /** `<name>.azurecr.io`, lower case. */
  readonly loginServer: string;
}

/** Read the registry's name and host from the outputs file; throws `OutputsError` when one is missing. */
export function readRegistryOutputs(file: string): RegistryOutputs {
  const outputs = readStackOutputs(file);
  const read = (name: string) => {
    const value = outputs[name];
    if (typeof value !== 'string' || value === '')
      throw new OutputsError(
        `outputs file ${file}: output "${name}" is ${value === undefined ? 'missing' : JSON.stringify(value)} (does the config have a registry, and was it deployed?)`,
      );
    return value;
  };
  return {
    registryName: read(REGISTRY_NAME_OUTPUT),
    loginServer: read(REGISTRY_LOGIN_SERVER_OUTPUT).toLowerCase(),
  };
}
