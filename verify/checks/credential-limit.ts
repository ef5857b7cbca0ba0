import { MAX_FEDERATED_CREDENTIALS_PER_IDENTITY as MAX } from '../../config/rules';
import type { CheckInput, Problem } from '../check';

export const id = 'credential-limit';
export const title = `at most ${MAX} federated credentials per identity`;
export const needs = 'nothing';
export const prevents = `the deploy fails: Entra allows ${MAX} federated credentials per identity`;

/** Count the credentials of each identity. */
export function run({ model }: CheckInput): Problem[] {
  return [...model.credentialsByIdentity].flatMap(([identity, list]) =>
    list.length > MAX
      ? [
          {
            subject: identity,
            message: `${list.length} federated credentials, more than ${MAX}`,
            fix: 'spread the service accounts over more identities',
          },
        ]
      : [],
  );
}
