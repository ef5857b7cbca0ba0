/**
 * An AKS cluster's OIDC issuer: the key that signs projected service account tokens, and its public discovery documents.
 *
 * @see https://learn.microsoft.com/azure/aks/use-oidc-issuer
 */
import {
  createHash,
  createPrivateKey,
  createPublicKey,
  type KeyObject,
  randomUUID,
} from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { CryptoKey, JSONWebKeySet, JWK } from 'jose';
import { calculateJwkThumbprint, exportJWK, generateKeyPair, SignJWT } from 'jose';
import { sendJson } from '../core/http';

/** What kubelet asks the API server for when it projects a service account token. */
export interface ServiceAccountTokenOptions {
  readonly namespace: string;
  readonly serviceAccount: string;
  readonly audience: string;
  readonly expirationSeconds: number;
  readonly podName: string;
  /** @default a random uid, as each pod has */
  readonly podUid?: string;
  /** @default now - set it in the past to make an already expired token for fault tests */
  readonly issuedAt?: Date;
}

/** One cluster's OIDC issuer (AKS signs with RS256). */
export class OidcIssuer {
  /** Make an issuer for `url` with a fresh RS256 key. */
  static async create(url: string): Promise<OidcIssuer> {
    const { privateKey, publicKey } = await generateKeyPair('RS256', { modulusLength: 2048 });
    const jwk = await exportJWK(publicKey);
    const kid = await calculateJwkThumbprint(jwk);
    return new OidcIssuer(url, privateKey, { keys: [{ ...jwk, use: 'sig', alg: 'RS256', kid }] });
  }

  /** The issuer of a cluster that already has its signing key (private JWK), as the local cloud's store keeps it. */
  static fromJwk(url: string, privateJwk: JWK): OidcIssuer {
    const privateKey = createPrivateKey({ key: privateJwk as never, format: 'jwk' });
    const { kty, n, e } = createPublicKey(privateKey).export({ format: 'jwk' }) as {
      kty: string;
      n: string;
      e: string;
    };
    // RFC 7638 thumbprint: the required members in lexicographic order, no spaces.
    const kid = createHash('sha256').update(JSON.stringify({ e, kty, n })).digest('base64url');
    return new OidcIssuer(url, privateKey, {
      keys: [{ kty, n, e, use: 'sig', alg: 'RS256', kid }],
    });
  }

  /** Host name the issuer is served from. */
  readonly host: string;
  /** `<issuer>openid/v1/jwks`, as AKS publishes it. */
  readonly jwksUri: string;
  private readonly discoveryPath: string;
  private readonly jwksPath: string;

  private constructor(
    /** The issuer URL exactly as configured (AKS's ends with `/`): the tokens' `iss`. */
    readonly url: string,
    private readonly privateKey: CryptoKey | KeyObject,
    /** The public keys, as served at `jwksUri`. */
    readonly jwks: JSONWebKeySet,
  ) {
    const base = new URL(url.endsWith('/') ? url : `${url}/`);
    this.host = base.hostname;
    this.discoveryPath = `${base.pathname}.well-known/openid-configuration`;
    this.jwksPath = `${base.pathname}openid/v1/jwks`;
    this.jwksUri = `${base.origin}${this.jwksPath}`;
  }

  /** Sign a projected service account token, with the claims kube-apiserver puts in one. */
  async issueServiceAccountToken(options: ServiceAccountTokenOptions): Promise<string> {
    const iat = Math.floor((options.issuedAt ?? new Date()).getTime() / 1000);
    return new SignJWT({
      'kubernetes.io': {
        namespace: options.namespace,
        pod: { name: options.podName, uid: options.podUid ?? randomUUID() },
        serviceaccount: { name: options.serviceAccount, uid: randomUUID() },
      },
    })
      .setProtectedHeader({ alg: 'RS256', kid: this.jwks.keys[0].kid })
      .setIssuer(this.url)
      .setSubject(`system:serviceaccount:${options.namespace}:${options.serviceAccount}`)
      .setAudience([options.audience])
      .setIssuedAt(iat)
      .setNotBefore(iat)
      .setExpirationTime(iat + options.expirationSeconds)
      .setJti(randomUUID())
      .sign(this.privateKey);
  }

  /** Sign a token for `subject` and `audience` with extra claims, valid `lifetimeSeconds` from now (e.g. a CI job's token). */
  async issueToken(
    subject: string,
    audience: string,
    claims: Record<string, string> = {},
    lifetimeSeconds = 300,
  ): Promise<string> {
    const iat = Math.floor(Date.now() / 1000);
    return new SignJWT(claims)
      .setProtectedHeader({ alg: 'RS256', kid: this.jwks.keys[0].kid })
      .setIssuer(this.url)
      .setSubject(subject)
      .setAudience(audience)
      .setIssuedAt(iat)
      .setNotBefore(iat)
      .setExpirationTime(iat + lifetimeSeconds)
      .setJti(randomUUID())
      .sign(this.privateKey);
  }

  /** Serve the discovery document and the JWKS; returns false when the path is not this issuer's. */
  handle(req: IncomingMessage, res: ServerResponse, url: URL): boolean {
    if (
      req.method !== 'GET' ||
      (url.pathname !== this.discoveryPath && url.pathname !== this.jwksPath)
    ) {
      return false;
    }
    if (url.pathname === this.jwksPath) {
      sendJson(res, 200, this.jwks, { 'content-type': 'application/jwk-set+json' });
    } else {
      sendJson(res, 200, {
        issuer: this.url,
        jwks_uri: this.jwksUri,
        response_types_supported: ['id_token'],
        subject_types_supported: ['public'],
        id_token_signing_alg_values_supported: ['RS256'],
      });
    }
    return true;
  }
}
