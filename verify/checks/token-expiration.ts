import { echo } from '../../config/echo';
import { TOKEN_EXPIRATION_SECONDS as RANGE, tokenExpirationSeconds } from '../../config/rules';
import { TOKEN_EXPIRATION_ANNOTATION as EXPIRATION } from '../../config/webhook';
import type { CheckInput, Problem } from '../check';

export const id = 'token-expiration';
export const title = `${EXPIRATION}, where set, is ${RANGE.min}..${RANGE.max} seconds`;
export const needs = 'nothing';
export const prevents = 'the webhook rejects the pod';

/** The annotation on the pod and on its service account, where set. */
export function run({ model }: CheckInput): Problem[] {
  const seen = new Set<string>();
  return model.workloadPods.flatMap((pod) => {
    const places: [string, Readonly<Record<string, string>>][] = [[pod.ref, pod.annotations]];
    if (pod.account && !seen.has(pod.accountRef)) {
      seen.add(pod.accountRef);
      places.push([pod.accountRef, pod.account.metadata.annotations ?? {}]);
    }
    return places.flatMap(([subject, annotations]) => {
      const value = annotations[EXPIRATION];
      if (value === undefined) return [];
      if (/^\d+$/.test(String(value)) && tokenExpirationSeconds.test(Number(value))) return [];
      return [
        {
          subject,
          message: `${EXPIRATION} is ${echo(value)}, outside ${RANGE.min}..${RANGE.max}`,
          fix: `use ${tokenExpirationSeconds.description}`,
        },
      ];
    });
  });
}
