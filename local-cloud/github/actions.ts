/**
 * GitHub Actions, as far as a job's OIDC token goes: the `sub` GitHub writes for a job that runs in an environment,
 * in the form the repository's settings give. A repository with immutable subject claims (the default for those
 * created or renamed since mid-2026, and those that opted in) appends each name's numeric id after an `@`; the others
 * keep the name-only form. The token itself is signed by the local cloud's GitHub issuer (local-cloud.ts).
 *
 * @see https://github.blog/changelog/2026-04-23-immutable-subject-claims-for-github-actions-oidc-tokens/
 * @see https://github.com/github/docs/pull/45221 ("Immutable subject claims", read 2026-12-07)
 */
import type { CloudStoreData, StoredGithubRepository } from '../core/cloud-store';

/** The `sub` of an Actions token of `repository` for a job in `environment`. */
export function actionsSubject(repository: StoredGithubRepository, environment: string): string {
  const { owner, ownerId, name, id } = repository;
  const path = repository.immutableSubjects
    ? `${owner}@${ownerId}/${name}@${id}`
    : `${owner}/${name}`;
  return `repo:${path}:environment:${environment}`;
}

/** The repository `owner/name` GitHub holds in the store, if any (names compare without case, as GitHub's do). */
export function githubRepository(
  data: Pick<CloudStoreData, 'githubRepositories'>,
  fullName: string,
): StoredGithubRepository | undefined {
  const [owner, name] = fullName.toLowerCase().split('/');
  return (data.githubRepositories ?? []).find(
    (r) => r.owner.toLowerCase() === owner && r.name.toLowerCase() === name,
  );
}
