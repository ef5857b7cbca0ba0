import { echo } from '../../config/echo';
import { TOKEN_AUDIENCE } from '../../config/webhook';
import type { CheckInput, Problem } from '../check';

export const id = 'credential-audience';
export const title = `each federated credential's audience is exactly ["${TOKEN_AUDIENCE}"]`;
export const needs = 'nothing';
export const prevents =
  "AADSTS700212 (older Entra: AADSTS70021): the token's audience matches no credential";

/** One audience, the token exchange's. */
export function run({ model }: CheckInput): Problem[] {
  return model.credentials.flatMap((credential) => {
    const audience = credential.values.audience;
    if (Array.isArray(audience) && audience.length === 1 && audience[0] === TOKEN_AUDIENCE)
      return [];
    return [
      {
        subject: credential.address,
        message: `audience is ${echo(audience)}, not ["${TOKEN_AUDIENCE}"]`,
        fix: `set audience = ["${TOKEN_AUDIENCE}"]`,
      },
    ];
  });
}
