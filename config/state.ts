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

/** A GitHub id: a positive whole number (`gh api repos/OWNER/REPO --jq '.owner.id, .id'`). */
const githubId = z.number().int().positive();

/**
 * A GitHub Actions workflow that deploys: the repository and the environment its job runs in, and, for a repository
 * with immutable subject claims, the numeric ids of its owner and of itself.
 */
export const GithubDeployerSchema = z
  .strictObject({
    repository: named(rules.githubRepository),
    environment: named(rules.githubEnvironment),
    /** The owner's numeric id: with `repositoryId`, the trust takes GitHub's immutable subject form. */
    ownerId: githubId.optional(),
    /** The repository's numeric id. */
    repositoryId: githubId.optional(),
  })
  .superRefine((github, ctx) => {
    if ((github.ownerId === undefined) !== (github.repositoryId === undefined))
      ctx.addIssue({
        code: 'custom',
        path: [github.ownerId === undefined ? 'ownerId' : 'repositoryId'],
        message: `is missing: ownerId and repositoryId go together (gh api repos/${github.repository} --jq '.owner.id, .id' prints both)`,
      });
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

/**
 * The `sub` of a GitHub Actions token for a job that runs in an environment. A repository with immutable subject
 * claims (the default for those created, renamed or transferred since mid-2026, and those that opted in) appends
 * each name's numeric id after an `@`: `repo:OWNER@OWNER_ID/REPO@REPO_ID:environment:ENV`; the ids never change nor
 * are reused, so a trust cannot pass to a repository that later takes the name. Without ids, the earlier form, which
 * only repositories without immutable subjects get.
 * @see https://github.blog/changelog/2026-04-23-immutable-subject-claims-for-github-actions-oidc-tokens/
 * @see https://github.com/github/docs/pull/45221 ("Immutable subject claims", read 2026-12-07: default for
 *   repositories created or renamed on or after 2026-07-15; issue 24 read 2026-06-18 in GitHub's docs)
 */
export function githubSubject(github: z.output<typeof GithubDeployerSchema>): string {
  const [owner, name] = github.repository.split('/');
  const repository =
    github.ownerId !== undefined && github.repositoryId !== undefined
      ? `${owner}@${github.ownerId}/${name}@${github.repositoryId}`
      : github.repository;
  return `repo:${repository}:environment:${github.environment}`;
}

/** The cdktf stack `workload-identity bootstrap` deploys (with a local state of its own). */
export const BOOTSTRAP_STACK_NAME = 'workload-identity-bootstrap';
