import type { Readable } from 'node:stream';
import {
  createDefaultHttpClient,
  type HttpClient,
  type PipelineRequest,
  type PipelineResponse,
} from '@azure/core-rest-pipeline';

/**
 * The largest answer the program reads: 1 MiB.
 *
 * Key Vault's secret values are at most 25 KB, and the secret bundle around one, JSON-escaped (up to six bytes a
 * byte), with its id, attributes and tags, stays far below this; so do Entra's token answers. Without a bound, one
 * hostile or broken answer of 64 MB was read whole into the program's 24 MB heap and V8 aborted the process.
 * @see https://learn.microsoft.com/azure/key-vault/general/service-limits
 */
export const MAX_ANSWER_BYTES = 1024 * 1024;

/** An answer larger than the program reads; its body was dropped unread past the limit. */
export class AnswerTooLargeError extends Error {
  /** The answer's size: `67108864 bytes` as announced, or `more than 1048576 bytes` when it announced none. */
  readonly size: string;

  /** Creates the error; `bytes` is the announced length, or undefined when the answer announced none. */
  constructor(
    readonly statusCode: number,
    readonly contentType: string | undefined,
    bytes: number | undefined,
    readonly maxBytes: number,
  ) {
    const size = bytes === undefined ? `more than ${maxBytes} bytes` : `${bytes} bytes`;
    super(`${statusCode} answer of ${size}: larger than the ${maxBytes} bytes the program reads`);
    this.name = 'AnswerTooLargeError';
    this.size = size;
  }
}

/**
 * The SDK's HTTP client, reading at most `maxBytes` of each answer's body.
 *
 * The default client reads every body whole into one string. This one asks it for the body as a stream, refuses an
 * answer whose `Content-Length` is over the limit before reading any of it, and stops reading one that goes over the
 * limit without announcing its length. Its memory stays bounded whatever the answer (gzip bombs included: the stream
 * is already decompressed).
 */
export class BoundedHttpClient implements HttpClient {
  /** Wraps `inner`, by default the Azure SDK's own client. */
  constructor(
    private readonly maxBytes: number = MAX_ANSWER_BYTES,
    private readonly inner: HttpClient = createDefaultHttpClient(),
  ) {}

  /** Sends `request` and returns its answer with the body read as text, or throws {@link AnswerTooLargeError}. */
  async sendRequest(request: PipelineRequest): Promise<PipelineResponse> {
    // No caller of the program streams a body; if one ever asks for a stream, it reads it itself.
    if (request.streamResponseStatusCodes) return this.inner.sendRequest(request);
    request.streamResponseStatusCodes = new Set([Number.POSITIVE_INFINITY]);
    let response: PipelineResponse;
    try {
      response = await this.inner.sendRequest(request);
    } finally {
      // The request object is reused by the SDK's retries and redirects: leave it as it came.
      request.streamResponseStatusCodes = undefined;
    }
    // The Node client's body is a Readable (the socket's, or the decompressing stream's).
    const stream = response.readableStreamBody as Readable | undefined;
    if (!stream) return response;
    response.readableStreamBody = undefined;
    const tooLarge = (bytes: number | undefined): AnswerTooLargeError =>
      new AnswerTooLargeError(
        response.status,
        response.headers.get('content-type'),
        bytes,
        this.maxBytes,
      );
    const announced = Number(response.headers.get('content-length'));
    if (announced > this.maxBytes) {
      stream.destroy();
      throw tooLarge(announced);
    }
    const chunks: Buffer[] = [];
    let bytes = 0;
    for await (const chunk of stream) {
      const buffer = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as string);
      bytes += buffer.length;
      if (bytes > this.maxBytes) {
        stream.destroy();
        throw tooLarge(undefined);
      }
      chunks.push(buffer);
    }
    response.bodyAsText = Buffer.concat(chunks).toString('utf8');
    return response;
  }
}

/**
 * Where a 3xx answer points: the host of its `Location`, resolved against the request's URL, for an error message.
 *
 * Only the host: a location's path and query can carry anything (a token, a secret's name).
 */
export function redirectHost(location: string | undefined, requestUrl: string): string {
  if (!location) return 'no location';
  try {
    return new URL(location, requestUrl).host;
  } catch {
    return 'a location that is not a URL';
  }
}
