import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import {
  BoundedHttpClient,
  MAX_ANSWER_BYTES,
  redirectHost,
} from '../../../app/bounded-http-client';
import { createHttpHeaders, createPipelineRequest } from '../../support/app-sdk';

const LIMIT = 1024;
// Each answer the server gives, by path.
const answers: Record<string, (res: ServerResponse) => void> = {};
let base: string;
const server = createServer((req, res) => answers[req.url ?? '']?.(res));

beforeAll(async () => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

function send(path: string, headers: Record<string, string> = {}) {
  const request = createPipelineRequest({
    url: `${base}${path}`,
    headers: createHttpHeaders(headers),
    allowInsecureConnection: true,
  });
  return new BoundedHttpClient(LIMIT).sendRequest(request);
}

describe('BoundedHttpClient', () => {
  test('reads an answer within the limit whole, as the SDK expects it', async () => {
    answers['/small'] = (res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ value: 'x'.repeat(LIMIT - 20) }));
    };
    const response = await send('/small');
    expect(response.status).toBe(200);
    expect(response.bodyAsText).toBe(JSON.stringify({ value: 'x'.repeat(LIMIT - 20) }));
    expect(response.readableStreamBody).toBeUndefined();
    expect(response.request.streamResponseStatusCodes).toBeUndefined();
  });

  test('fails when an answer announces more than the limit: its size, before reading the body', async () => {
    answers['/announced'] = (res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': 64 * 2 ** 20 });
      // Only the first kilobyte is ever written, then the connection is cut: the client must refuse on the header.
      res.write('x'.repeat(LIMIT), () => res.destroy());
    };
    await expect(send('/announced')).rejects.toMatchObject({
      name: 'AnswerTooLargeError',
      statusCode: 200,
      contentType: 'application/json',
      size: '67108864 bytes',
      message: '200 answer of 67108864 bytes: larger than the 1024 bytes the program reads',
    });
  });

  test('fails when an answer without a length goes past the limit: it stops reading there', async () => {
    // A chunked answer of 4 MB, written as fast as the client takes it.
    answers['/chunked'] = (res) => {
      res.writeHead(503, { 'content-type': 'text/html' });
      let sent = 0;
      const chunk = 'y'.repeat(64 * 1024);
      const more = (): void => {
        while (sent < 4 * 2 ** 20) {
          sent += chunk.length;
          if (!res.write(chunk)) return void res.once('drain', more);
        }
        res.end();
      };
      res.on('close', () => res.removeAllListeners('drain'));
      more();
    };
    await expect(send('/chunked')).rejects.toMatchObject({
      name: 'AnswerTooLargeError',
      statusCode: 503,
      size: 'more than 1024 bytes',
    });
  });

  test('fails when a compressed answer expands past the limit (the limit counts what is read, decompressed)', async () => {
    const bomb = gzipSync(Buffer.alloc(2 ** 20, 'z'));
    expect(bomb.length).toBeLessThan(LIMIT * 2);
    answers['/gzip'] = (res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'gzip' });
      res.end(bomb);
    };
    await expect(send('/gzip', { 'accept-encoding': 'gzip' })).rejects.toMatchObject({
      name: 'AnswerTooLargeError',
      size: 'more than 1024 bytes',
    });
  });

  test("the program's limit is above Key Vault's largest secret (25 KB, JSON-escaped up to six bytes a byte)", () => {
    expect(MAX_ANSWER_BYTES).toBeGreaterThan(6 * 25 * 1024 + 4096);
    expect(MAX_ANSWER_BYTES).toBeLessThanOrEqual(2 ** 20);
  });
});

describe('redirectHost', () => {
  test.each([
    ['https://evil.example.com/a?token=x', 'evil.example.com'],
    ['//evil.example.com:8443/a', 'evil.example.com:8443'],
    ['/secrets/other', 'my-vault.vault.azure.net'],
    [undefined, 'no location'],
    ['http://[bad', 'a location that is not a URL'],
  ])('names only the host of %s', (location, host) => {
    expect(redirectHost(location, 'https://my-vault.vault.azure.net/secrets/x')).toBe(host);
  });
});
