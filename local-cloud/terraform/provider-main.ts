/**
 * Entry point of the compiled provider server (build/terraform-provider.mjs): `node terraform-provider.mjs <provider>`.
 * The filesystem mirror's executables run it for Terraform (see install.ts).
 */
import { startProviderServer } from './server';

const name = process.argv[2] ?? '';
startProviderServer(name).then(
  (server) => {
    // The one line go-plugin reads from stdout.
    process.stdout.write(`${server.handshake}\n`);
    server.stopped.then(() => process.exit(0));
  },
  (err: Error) => {
    process.stderr.write(`terraform-provider-${name || '<provider>'}: ${err.message}\n`);
    process.exit(1);
  },
);
