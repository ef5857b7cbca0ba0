import type { CheckInput, Problem } from '../check';
import type { TerraformResource } from '../synthesized-pair';

export const id = 'credential-serialized';
export const title =
  'the credentials of one identity form one depends_on chain (Entra refuses concurrent writes)';
export const needs = 'nothing';
export const prevents =
  'ConcurrentFederatedIdentityCredentialsWritesForSingleManagedIdentity during deploy';

/**
 * Terraform writes two credentials at once unless one depends on the other, directly or through others: the
 * credentials of one identity must be totally ordered. That holds exactly when their topological order is unique, so
 * at every step of it one credential, and only one, is ready (a star that hangs every credential on the first is not).
 */
export function run({ model }: CheckInput): Problem[] {
  return [...model.credentialsByIdentity].flatMap(([identity, list]) => {
    const concurrent = firstConcurrentPair(list);
    if (!concurrent) return [];
    return [
      {
        subject: identity,
        message: `${list.length} federated credentials are not chained with depends_on: ${concurrent}`,
        fix: 'make each credential of one identity depend on the previous one',
      },
    ];
  });
}

/** Two credentials Terraform may write at the same time, or a cycle; undefined when they form one chain. */
function firstConcurrentPair(list: readonly TerraformResource[]): string | undefined {
  const addresses = new Set(list.map((c) => c.address));
  const pending = new Map(
    list.map((c) => [
      c.address,
      new Set(dependsOnOf(c).filter((d) => addresses.has(d) && d !== c.address)),
    ]),
  );
  while (pending.size > 0) {
    const ready = [...pending].filter(([, deps]) => deps.size === 0).map(([address]) => address);
    if (ready.length === 0)
      return `${[...pending.keys()].join(', ')} depend on each other (a cycle)`;
    if (ready.length > 1) return `${ready[0]} and ${ready[1]} can be written at the same time`;
    pending.delete(ready[0]);
    for (const deps of pending.values()) deps.delete(ready[0]);
  }
  return undefined;
}

function dependsOnOf(resource: TerraformResource): string[] {
  const list = resource.values.depends_on;
  return Array.isArray(list) ? list.filter((d): d is string => typeof d === 'string') : [];
}
