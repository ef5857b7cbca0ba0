import { echo, excerpt } from '../../config/echo';
import type { CheckInput, Problem } from '../check';
import { parseReference } from '../synthesized-pair';

export const id = 'credential-issuer';
export const title =
  'each credential\'s issuer is the cluster\'s oidc_issuer_url reference (a literal must keep its trailing "/")';
export const needs = 'nothing';
export const prevents =
  'AADSTS700211 (older Entra: AADSTS70021): the token\'s issuer matches no credential (AKS tokens carry the issuer URL with its trailing "/")';

// The cluster this stack creates, or an existing one it reads.
const CLUSTER = /^(data\.)?azurerm_kubernetes_cluster\./;
const FIX = "set issuer to the cluster's oidc_issuer_url attribute";

/** A reference to a cluster's `oidc_issuer_url`, or an https literal that keeps its trailing slash. */
export function run({ model }: CheckInput): Problem[] {
  return model.credentials.flatMap((credential) => {
    const issuer = credential.values.issuer;
    const problem = (message: string, fix = FIX): Problem[] => [
      { subject: credential.address, message, fix },
    ];
    const reference = parseReference(issuer);
    if (reference) {
      return CLUSTER.test(reference.address) && reference.attribute === 'oidc_issuer_url'
        ? []
        : problem(`issuer ${excerpt(String(issuer))} is not a cluster's oidc_issuer_url`);
    }
    if (typeof issuer !== 'string') return problem(`issuer is ${echo(issuer)}, not a string`);
    // An interpolation inside a literal builds the URL from something else than the issuer (the API server's FQDN, ...).
    if (issuer.includes('${'))
      return problem(
        `issuer ${excerpt(issuer)} is built from an expression, not the cluster's oidc_issuer_url`,
      );
    if (!issuer.startsWith('https://') || !issuer.endsWith('/'))
      return problem(
        `issuer ${echo(issuer)} is a literal${issuer.endsWith('/') ? ' that is not https' : ' without the trailing "/"'}`,
        "reference the cluster's oidc_issuer_url instead of copying it",
      );
    return [];
  });
}
