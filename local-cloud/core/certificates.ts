/**
 * A throw-away CA and one TLS server certificate for the real Azure host names, made with openssl.
 */
import { execFile } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** Files and PEMs of the local CA and of the server certificate it signed. */
export interface LocalCertificates {
  /** Give this to children as `NODE_EXTRA_CA_CERTS`. */
  readonly caCertPath: string;
  readonly caCertPem: string;
  readonly certPath: string;
  readonly certPem: string;
  readonly keyPath: string;
  readonly keyPem: string;
  /** Subject alternative names of the server certificate. */
  readonly hosts: readonly string[];
}

/** Host names every local cloud serves, whatever the model. */
export const BASE_CERTIFICATE_HOSTS: readonly string[] = [
  'localhost',
  '127.0.0.1',
  'login.microsoftonline.com',
  '*.vault.azure.net',
];

/**
 * Make a CA and a server certificate for `hosts` in `dir` (ECDSA P-256: fast to make, and valid two days).
 *
 * IP addresses in `hosts` become IP SANs, the rest DNS SANs (wildcards allowed).
 */
export async function createCertificates(
  dir: string,
  hosts: readonly string[],
): Promise<LocalCertificates> {
  const caKey = join(dir, 'ca.key');
  const caCertPath = join(dir, 'ca.crt');
  const keyPath = join(dir, 'server.key');
  const csr = join(dir, 'server.csr');
  const certPath = join(dir, 'server.crt');
  const extensions = join(dir, 'server.ext');
  const san = hosts
    .map((h) => (/^[\d.]+$/.test(h) || h.includes(':') ? `IP:${h}` : `DNS:${h}`))
    .join(',');
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

  await openssl([
    'req',
    '-x509',
    ...ec,
    '-keyout',
    caKey,
    '-out',
    caCertPath,
    '-days',
    '2',
    '-subj',
    '/CN=local-cloud test CA',
    '-addext',
    'basicConstraints=critical,CA:TRUE',
    '-addext',
    'keyUsage=critical,keyCertSign,cRLSign',
  ]);
  await openssl([
    'req',
    '-new',
    ...ec,
    '-keyout',
    keyPath,
    '-out',
    csr,
    '-subj',
    '/CN=local-cloud',
  ]);
  // Node checks the SANs, key usage and the CA flag, so the leaf carries all of them.
  await writeFile(
    extensions,
    `subjectAltName=${san}\nbasicConstraints=CA:FALSE\nkeyUsage=digitalSignature\nextendedKeyUsage=serverAuth\n`,
  );
  await openssl([
    'x509',
    '-req',
    '-in',
    csr,
    '-CA',
    caCertPath,
    '-CAkey',
    caKey,
    '-CAcreateserial',
    '-days',
    '2',
    '-out',
    certPath,
    '-extfile',
    extensions,
  ]);

  const [caCertPem, certPem, keyPem] = await Promise.all(
    [caCertPath, certPath, keyPath].map((p) => readFile(p, 'utf8')),
  );
  return { caCertPath, caCertPem, certPath, certPem, keyPath, keyPem, hosts };
}

async function openssl(args: readonly string[]): Promise<void> {
  try {
    await run('openssl', args);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new Error(
        'openssl not found: the local cloud needs it to make TLS certificates (install it with `apt-get install openssl`)',
      );
    }
    throw new Error(
      `openssl ${args[0]} failed: ${(err as { stderr?: string }).stderr?.trim() || (err as Error).message}`,
    );
  }
}
