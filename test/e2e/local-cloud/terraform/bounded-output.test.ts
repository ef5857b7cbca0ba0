// What the local cloud keeps of Terraform's output has a cap: a Terraform that prints forever is stopped, in one line
// naming the command and the cap (issue 26, item 6).
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { terraformOutputsAsCdktf } from '../../../../local-cloud';
import { tempDir } from '../../../support/helpers';

describe('runTerraform', () => {
  it('stops a terraform output -json that prints forever at 64 MB, in one line', async () => {
    const root = tempDir('wi-bounded-');
    const bin = join(root, 'bin');
    mkdirSync(bin);
    // A stand-in found first on Terraform's PATH; the version check has already asked the real one.
    writeFileSync(
      join(bin, 'terraform'),
      `#!/bin/sh\ns='"outputs": {} '; i=0; while [ $i -lt 12 ]; do s="$s$s"; i=$((i + 1)); done\nwhile :; do printf '%s' "$s"; done\n`,
    );
    chmodSync(join(bin, 'terraform'), 0o755);
    const started = Date.now();
    await expect(
      terraformOutputsAsCdktf(root, 'stack', {
        workDir: join(root, 'work'),
        env: { PATH: `${bin}:${process.env.PATH}` },
        providers: 'per-command',
      }),
    ).rejects.toThrow(
      expect.objectContaining({
        name: 'TerraformError',
        message: `terraform output -json printed more than 64 MB: stopped it (in ${root})`,
      }),
    );
    expect(Date.now() - started).toBeLessThan(10_000);
  });
});
