import { X509Certificate } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BASE_CERTIFICATE_HOSTS, createCertificates } from '../../../local-cloud/core/certificates';

describe('createCertificates', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'local-cloud-certificates-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('signs a server certificate for the Azure host names with a fresh CA', async () => {
    const certificates = await createCertificates(dir, [
      ...BASE_CERTIFICATE_HOSTS,
      'westeurope.oic.prod-aks.azure.com',
    ]);

    const ca = new X509Certificate(certificates.caCertPem);
    const server = new X509Certificate(certificates.certPem);
    expect(ca.ca).toBe(true);
    expect(server.verify(ca.publicKey)).toBe(true);
    expect(server.checkHost('kv-wi-demo-7f3a.vault.azure.net')).toBe('*.vault.azure.net');
    expect(server.checkHost('login.microsoftonline.com')).toBe('login.microsoftonline.com');
    expect(server.checkHost('westeurope.oic.prod-aks.azure.com')).toBe(
      'westeurope.oic.prod-aks.azure.com',
    );
    expect(server.checkIP('127.0.0.1')).toBe('127.0.0.1');
    expect(server.checkHost('management.azure.com')).toBeUndefined();
  });

  it('fails with an install hint when openssl is missing', async () => {
    const path = process.env.PATH;
    process.env.PATH = dir;
    try {
      await expect(createCertificates(dir, ['localhost'])).rejects.toThrow(
        'openssl not found: the local cloud needs it to make TLS certificates (install it with `apt-get install openssl`)',
      );
    } finally {
      process.env.PATH = path;
    }
  });
});
