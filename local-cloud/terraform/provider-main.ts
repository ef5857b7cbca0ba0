/**
 * Entry point of the compiled provider server (build/terraform-provider.mjs): `node terraform-provider.mjs <provider>`.
 * The filesystem mirror's executables run it for Terraform (see install.ts). `node terraform-provider.mjs --shared`
 * serves every provider for the Terraform commands of one local cloud run (see shared-providers.ts).
 */
import { appendFileSync } from 'node:fs';
import { join } from 'node:path';
import { SHARED_ARGUMENT } from './plugin-process';
import { startProviderServer, startSharedServers } from './server';

const name = process.argv[2] ?? '';

/**
 * Terraform shows a provider's stderr only with TF_LOG set, and says no more than "Failed to read any lines from
 * plugin's stdout" when one dies starting: keep the reason in the work directory too, where runTerraform reads it.
 */
function fail(err: Error, where = false): never {
  const message = `terraform-provider-${name || '<provider>'}: ${where ? (err.stack ?? err.message) : err.message}\n`;
  process.stderr.write(message);
  const workDir = process.env.WI_LOCAL_CLOUD_WORK_DIR;
  if (workDir) {
    try {
      appendFileSync(
        join(workDir, 'terraform', 'provider-errors.log'),
        `${new Date().toISOString()} ${message}`,
      );
    } catch {
      // stderr has it
    }
  }
  process.exit(1);
}

// A bug, not a refusal: with the stack.
process.on('uncaughtException', (err) => fail(err, true));
// Terraform stops its providers when it ends; when it is killed instead, this process is handed to another parent:
// then nobody will ever call it again, so it must not outlive Terraform (or the local cloud's run that shares it).
const parent = process.ppid;
// Ctrl-C reaches every process of the terminal's group: as go-plugin's providers do, leave the interrupt to
// Terraform, which finishes the call in flight and then stops its providers.
process.on('SIGINT', () => {});
setInterval(() => {
  if (process.ppid !== parent) process.exit(0);
}, 500).unref();
if (name === SHARED_ARGUMENT) {
  // Stopped with SIGTERM by the run that started it: exit, so that its sockets' directory is removed.
  process.on('SIGTERM', () => process.exit(0));
  startSharedServers().then(
    (reattach) => {
      // One line: what Terraform reattaches to.
      process.stdout.write(`${JSON.stringify(reattach)}\n`);
    },
    (err: Error) => fail(err),
  );
} else {
  startProviderServer(name).then(
    (server) => {
      // The one line go-plugin reads from stdout.
      process.stdout.write(`${server.handshake}\n`);
      server.stopped.then(() => process.exit(0));
    },
    (err: Error) => fail(err),
  );
}
