import type { Readable } from 'node:stream';
import { describeSize } from './read-file';

/**
 * How much of a child's output the tools keep: far above what any of their programs prints (Terraform's outputs of
 * hundreds of workloads, an `az` answer), far below what would fill the memory.
 */
export const MAX_CAPTURED_OUTPUT_BYTES = 64 * 1024 * 1024;

/** What a stream gave, up to a cap. */
export interface CappedCapture {
  /** What was kept, as UTF-8 text (all of it, unless `overflowed`). */
  text(): string;
  /** Whether the stream gave more than the cap; what came after it was dropped. */
  readonly overflowed: boolean;
}

/**
 * Keep what `stream` gives, at most `maxBytes`; past it, drop the rest and call `onOverflow` once (to stop the
 * program that writes it). The stream is still read to its end, so that a program that goes on writing is never
 * blocked on a full pipe.
 */
export function captureCapped(
  stream: Readable,
  maxBytes: number,
  onOverflow: () => void,
): CappedCapture {
  const chunks: Buffer[] = [];
  let total = 0;
  let overflowed = false;
  stream.on('data', (chunk: Buffer | string) => {
    if (overflowed) return;
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    if (total + bytes.length > maxBytes) {
      overflowed = true;
      chunks.length = 0;
      total = 0;
      onOverflow();
      return;
    }
    chunks.push(bytes);
    total += bytes.length;
  });
  return {
    text: () => Buffer.concat(chunks, total).toString('utf8'),
    get overflowed() {
      return overflowed;
    },
  };
}

/** `<command> printed more than 64 MB: stopped it`, the line a capture that overflowed ends in. */
export function tooMuchOutput(command: string, maxBytes: number, hint?: string): string {
  return `${command} printed more than ${describeSize(maxBytes)}: stopped it${hint ? `; ${hint}` : ''}`;
}
