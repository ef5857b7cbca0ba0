/**
 * Helpers for tests that call the local cloud's handlers directly, without the proxy and TLS: a request goes in,
 * the answer comes back parsed.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import type { CryptoKey, JSONWebKeySet, JWTPayload } from 'jose';
import { calculateJwkThumbprint, exportJWK, generateKeyPair, SignJWT } from 'jose';
import { CloudStore } from '../../local-cloud/core/cloud-store';
import { tempDir } from './helpers';

/** A stand-in service's answer: status, headers and the parsed JSON body. */
export interface Answer {
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly body: any;
}

/** Call a stand-in service's handler as the proxy would, and collect its answer. */
export async function call(
  handle: (req: IncomingMessage, res: ServerResponse, url: URL) => Promise<void>,
  url: string,
  init: { method?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<Answer> {
  const req = Object.assign(
    Readable.from(init.body === undefined ? [] : [Buffer.from(init.body)]),
    {
      method: init.method ?? 'GET',
      headers: init.headers ?? {},
    },
  ) as unknown as IncomingMessage;
  let answer: Answer | undefined;
  let status = 0;
  let headers: Record<string, string> = {};
  const res = {
    headersSent: false,
    writeHead(code: number, fields: Record<string, string>) {
      status = code;
      headers = fields;
      return res;
    },
    end(text: string) {
      answer = { status, headers, body: JSON.parse(text) };
    },
  } as unknown as ServerResponse;
  await handle(req, res, new URL(url));
  if (!answer) throw new Error(`no answer to ${url}`);
  return answer;
}

/** An RS256 key with its JWKS, as an issuer or Entra publishes it. */
export async function signingKey(): Promise<{
  privateKey: CryptoKey;
  jwks: JSONWebKeySet;
  kid: string;
}> {
  const { privateKey, publicKey } = await generateKeyPair('RS256', { modulusLength: 2048 });
  const jwk = await exportJWK(publicKey);
  const kid = await calculateJwkThumbprint(jwk);
  return { privateKey, kid, jwks: { keys: [{ ...jwk, use: 'sig', alg: 'RS256', kid }] } };
}

/** A JWT with exactly `claims` (no defaults added), signed with `key` under header `kid`. */
export function sign(
  claims: JWTPayload,
  key: { privateKey: CryptoKey; kid: string },
): Promise<string> {
  return new SignJWT(claims)
    .setProtectedHeader({ alg: 'RS256', typ: 'JWT', kid: key.kid })
    .sign(key.privateKey);
}

/** Now, in JWT seconds. */
export const now = (): number => Math.floor(Date.now() / 1000);

/** A store with one empty registry, `acrapp`. */
export function storeWithRegistry(): CloudStore {
  const store = new CloudStore(join(tempDir('wi-acr-'), 'cloud-store.json')).init();
  store.update((data) => {
    data.registries.push({
      id: '/subscriptions/s/resourceGroups/rg/providers/Microsoft.ContainerRegistry/registries/acrapp',
      subscriptionId: 's',
      resourceGroupName: 'rg',
      name: 'acrapp',
      location: 'westeurope',
      loginServer: 'acrapp.azurecr.io',
      sku: 'Basic',
      adminEnabled: false,
      tags: {},
      images: [],
    });
  });
  return store;
}
