import { PLACEHOLDER_BINDINGS, PLACEHOLDER_IMAGE } from '../../config/outputs';
import type { CheckInput, Problem } from '../check';
import { refOf } from '../pair-model';

export const id = 'placeholders';
export const title = 'no placeholder binding is left in manifests meant for kubectl apply';
export const needs = 'forApply';
export const prevents = 'the workload signs in with a client id that does not exist';

// The image of a `build` workload that deploy has not built yet is a placeholder too.
const PLACEHOLDERS = [...Object.values(PLACEHOLDER_BINDINGS), PLACEHOLDER_IMAGE];

/** No object holds a placeholder value anywhere. */
export function run({ pair }: CheckInput): Problem[] {
  return pair.objects.flatMap((object) => {
    const text = JSON.stringify(object);
    if (!PLACEHOLDERS.some((p) => text.includes(JSON.stringify(p)))) return [];
    return [
      {
        subject: refOf(object),
        message: 'the manifest still carries placeholder bindings',
        fix: 'deploy the Azure stack with --outputs-file, then synthesize the manifests again',
      },
    ];
  });
}
