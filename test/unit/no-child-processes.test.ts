import { execFileSync, spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';

describe('the unit project', () => {
  it('fails a test that starts a child process, naming the rule and where the test belongs', () => {
    expect(() => execFileSync('terraform', ['version'])).toThrow(
      'a unit test started a child process (execFileSync terraform): unit tests run none; move the test to test/e2e/',
    );
    expect(() => spawn(process.execPath, ['-e', '0'])).toThrow(
      /^a unit test started a child process \(spawn /,
    );
  });
});
