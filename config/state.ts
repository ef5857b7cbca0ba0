/**
 * Where Terraform keeps state (`state`) and who deploys from CI (`deployer`): the team settings of the config.
 *
 * Without `state`, each stack keeps a local state file in the project, as for one person on one machine.
 * @see https://developer.hashicorp.com/terraform/language/backend/azurerm
 */
import { z } from 'zod';
import { named } from './name-schema';
import * as rules from './rules';

/** The `azurerm` backend: one blob per stack, `<keyPrefix><stack>.tfstate`, locked by a blob lease. */
export const AzurermStateSchema = z.strictObject({
  /** The group of the storage account (created by `workload-id bootstrap`). */
  resourceGroup: named(rules.resourceGroupName),
  /** Globally unique: `<name>.blob.core.windows.net`. */
  storageAccount: named(rules.storageAccountName),
  container: named(rules.storageContainerName),
  /** Put before each stack's key: several configs (environments, teams) share one container. */
  keyPrefix: named(rules.blobKeyPrefix).default(''),
});

/** Remote state. */
export const StateSchema = z.strictObject({ azurerm: AzurermStateSchema });

/** A GitHub Actions workflow that deploys: the repository and the environment its job runs in. */
export const GithubDeployerSchema = z.strictObject({
  repository: named(rules.githubRepository),
  environment: named(rules.githubEnvironment),
});

/** The identity CI deploys as, trusted through a federated credential (no secret), created by `workload-id bootstrap`. */
export const DeployerSchema = z.strictObject({
  /** Name of the user-assigned identity. */
  name: named(rules.managedIdentityName).default('id-workload-id-deployer'),
  github: GithubDeployerSchema,
});

/** The validated `state` setting. */
export type StateConfig = z.output<typeof StateSchema>;
/** The validated `deployer` setting. */
export type DeployerConfig = z.output<typeof DeployerSchema>;

/** The blob that holds one stack's state: `<keyPrefix><stack>.tfstate`. */
export function stateKey(state: StateConfig, stack: string): string {
  return `${state.azurerm.keyPrefix}${stack}.tfstate`;
}

/** GitHub's OIDC issuer, the `iss` of every Actions token. @see https://docs.github.com/en/actions/concepts/security/openid-connect */
export const GITHUB_ISSUER = 'https://token.actions.githubusercontent.com';

/** The `sub` of a GitHub Actions token for a job that runs in an environment. */
export function githubSubject(github: z.output<typeof GithubDeployerSchema>): string {
  return `repo:${github.repository}:environment:${github.environment}`;
}

/** The cdktf stack `workload-identity bootstrap` deploys (with a local state of its own). */
export const BOOTSTRAP_STACK_NAME = 'workload-identity-bootstrap';
