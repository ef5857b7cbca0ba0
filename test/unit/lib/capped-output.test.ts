import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { captureCapped, tooMuchOutput } from '../../../lib/capped-output';

describe('captureCapped', () => {
  it('keeps what a stream gives up to the cap, whole UTF-8 characters across chunks', async () => {
    const stream = new PassThrough();
    const kept = captureCapped(stream, 16, () => {
      throw new Error('not over the cap');
    });
    const euro = Buffer.from('€');
    stream.write(euro.subarray(0, 1));
    stream.end(Buffer.concat([euro.subarray(1), Buffer.from(' 12')]));
    await new Promise((done) => stream.on('end', done));
    expect(kept.overflowed).toBe(false);
    expect(kept.text()).toBe('€ 12');
  });

  it('drops everything past the cap, says so once, and still reads the stream to its end', async () => {
    const stream = new PassThrough();
    let stops = 0;
    const kept = captureCapped(stream, 1024, () => stops++);
    for (let i = 0; i < 100; i++) stream.write(Buffer.alloc(512, 'y'));
    stream.end();
    await new Promise((done) => stream.on('end', done));
    expect(kept.overflowed).toBe(true);
    expect(stops).toBe(1);
    expect(kept.text()).toBe('');
  });

  it('says the command and the cap in one line', () => {
    expect(tooMuchOutput('terraform output -json', 64 * 1024 * 1024, 'look')).toBe(
      'terraform output -json printed more than 64 MB: stopped it; look',
    );
  });
});
