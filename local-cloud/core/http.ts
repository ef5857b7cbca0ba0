/**
 * Small HTTP helpers shared by the stand-in services.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';

/** A stand-in service: answers the requests the TLS server routes to it. */
export type RequestHandler = (
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
) => Promise<void> | void;

/** Read a request body as text, refusing anything over `limitInBytes`. */
export async function readBody(req: IncomingMessage, limitInBytes = 1024 * 1024): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limitInBytes) {
      throw new Error(`request body over ${limitInBytes} bytes`);
    }
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** Answer with a JSON body, as Azure services do (`application/json; charset=utf-8`). */
export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
    'cache-control': 'no-store, no-cache',
    ...headers,
  });
  res.end(text);
}

/** Resolve after `ms` milliseconds. */
export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
