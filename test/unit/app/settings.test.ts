import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { CREDENTIAL_MODES, readSettings, SettingsError } from '../../../app/settings';

const minimal = { KEYVAULT_URL: 'https://my-vault.vault.azure.net/', SECRET_NAME: 'username' };
const workloadIdentity = {
  AZURE_CLIENT_ID: '00000000-0000-0000-0000-000000000001',
  AZURE_TENANT_ID: '00000000-0000-0000-0000-000000000002',
  AZURE_FEDERATED_TOKEN_FILE: '/var/run/secrets/azure/tokens/azure-identity-token',
};

function failure(env: Record<string, string>): SettingsError {
  try {
    readSettings(env);
  } catch (err) {
    if (err instanceof SettingsError) return err;
    throw err;
  }
  throw new Error('readSettings did not fail');
}

describe('readSettings', () => {
  test('defaults: DefaultAzureCredential, 10 minutes, masked, looping', () => {
    const settings = readSettings({ ...minimal, HOSTNAME: 'workload-7d9f' });
    expect(settings).toEqual({
      vaultUrl: 'https://my-vault.vault.azure.net/',
      secretName: 'username',
      credential: { mode: 'default' },
      readIntervalInMs: 600_000,
      retryMinInMs: 1_000,
      retryMaxInMs: 60_000,
      readTimeoutInMs: 60_000,
      runOnce: false,
      showSecret: false,
      podName: 'workload-7d9f',
    });
  });

  test('workload identity modes take the webhook variables, authority host defaulted with a trailing slash', () => {
    const settings = readSettings({
      ...minimal,
      ...workloadIdentity,
      CREDENTIAL_MODE: 'client-assertion',
    });
    expect(settings.credential).toEqual({
      mode: 'client-assertion',
      workloadIdentity: {
        clientId: workloadIdentity.AZURE_CLIENT_ID,
        tenantId: workloadIdentity.AZURE_TENANT_ID,
        tokenFilePath: workloadIdentity.AZURE_FEDERATED_TOKEN_FILE,
        authorityHost: 'https://login.microsoftonline.com/',
      },
    });
    const usGov = readSettings({
      ...minimal,
      ...workloadIdentity,
      CREDENTIAL_MODE: 'chained',
      AZURE_AUTHORITY_HOST: 'https://login.microsoftonline.us',
    });
    expect(usGov.credential).toMatchObject({
      workloadIdentity: { authorityHost: 'https://login.microsoftonline.us/' },
    });
  });

  test('flags and durations are parsed; an empty variable counts as unset', () => {
    const settings = readSettings({
      ...minimal,
      RUN_ONCE: 'true',
      SHOW_SECRET: 'true',
      READ_INTERVAL_MS: '5000',
      RETRY_MIN_MS: '',
      RETRY_MAX_MS: '2000',
      READ_TIMEOUT_MS: '15000',
    });
    expect(settings).toMatchObject({
      readTimeoutInMs: 15_000,
      runOnce: true,
      showSecret: true,
      readIntervalInMs: 5000,
      retryMinInMs: 1000,
      retryMaxInMs: 2000,
    });
  });

  test.each([
    [
      'KEYVAULT_URL is missing',
      { SECRET_NAME: 'username' },
      'KEYVAULT_URL',
      'KEYVAULT_URL is not set',
    ],
    [
      'KEYVAULT_URL is http://',
      { ...minimal, KEYVAULT_URL: 'http://my-vault.vault.azure.net/' },
      'KEYVAULT_URL',
      'KEYVAULT_URL "http://my-vault.vault.azure.net/" must be an https:// URL',
    ],
    [
      'KEYVAULT_URL is not a URL',
      { ...minimal, KEYVAULT_URL: 'my-vault' },
      'KEYVAULT_URL',
      'KEYVAULT_URL "my-vault" must be an https:// URL',
    ],
    [
      'KEYVAULT_URL has a path',
      { ...minimal, KEYVAULT_URL: 'https://my-vault.vault.azure.net/secrets/username' },
      'KEYVAULT_URL',
      `KEYVAULT_URL "https://my-vault.vault.azure.net/secrets/username" must be the vault's URL alone, without a path, query or fragment, e.g. https://my-vault.vault.azure.net/`,
    ],
    [
      'KEYVAULT_URL has a path without a trailing slash',
      { ...minimal, KEYVAULT_URL: 'https://my-vault.vault.azure.net/keys' },
      'KEYVAULT_URL',
      "must be the vault's URL alone, without a path, query or fragment",
    ],
    [
      'KEYVAULT_URL has a query',
      { ...minimal, KEYVAULT_URL: 'https://my-vault.vault.azure.net/?api-version=7.5' },
      'KEYVAULT_URL',
      'KEYVAULT_URL "https://my-vault.vault.azure.net/?api-version=7.5" must be the vault\'s URL alone',
    ],
    [
      'KEYVAULT_URL has a fragment',
      { ...minimal, KEYVAULT_URL: 'https://my-vault.vault.azure.net/#secrets' },
      'KEYVAULT_URL',
      'without a path, query or fragment',
    ],
    [
      'KEYVAULT_URL is very long',
      { ...minimal, KEYVAULT_URL: `https://my-vault.vault.azure.net/${'x'.repeat(5_000_000)}` },
      'KEYVAULT_URL',
      `KEYVAULT_URL "https://my-vault.vault.azure.net/${'x'.repeat(167)}..." must be the vault's URL alone`,
    ],
    [
      'SECRET_NAME is missing',
      { KEYVAULT_URL: minimal.KEYVAULT_URL },
      'SECRET_NAME',
      'SECRET_NAME is not set',
    ],
    [
      'SECRET_NAME has an underscore',
      { ...minimal, SECRET_NAME: 'user_name' },
      'SECRET_NAME',
      'SECRET_NAME "user_name" must be 1-127 letters, digits and "-"',
    ],
    [
      'SECRET_NAME is 128 characters',
      { ...minimal, SECRET_NAME: 'a'.repeat(128) },
      'SECRET_NAME',
      'must be 1-127 letters, digits and "-"',
    ],
    [
      'CREDENTIAL_MODE is unknown',
      { ...minimal, CREDENTIAL_MODE: 'managed-identity' },
      'CREDENTIAL_MODE',
      'CREDENTIAL_MODE "managed-identity" must be one of: default, chained, workload-identity, client-assertion',
    ],
    [
      'READ_INTERVAL_MS is not a number',
      { ...minimal, READ_INTERVAL_MS: '10m' },
      'READ_INTERVAL_MS',
      'READ_INTERVAL_MS "10m" must be a whole number of milliseconds from 1 to 2147483647',
    ],
    [
      'READ_INTERVAL_MS is 0',
      { ...minimal, READ_INTERVAL_MS: '0' },
      'READ_INTERVAL_MS',
      'READ_INTERVAL_MS "0" must be a whole number',
    ],
    [
      'READ_INTERVAL_MS overflows setTimeout',
      { ...minimal, READ_INTERVAL_MS: '2147483648' },
      'READ_INTERVAL_MS',
      'from 1 to 2147483647',
    ],
    [
      'RETRY_MAX_MS is below RETRY_MIN_MS',
      { ...minimal, RETRY_MIN_MS: '5000', RETRY_MAX_MS: '1000' },
      'RETRY_MAX_MS',
      'RETRY_MAX_MS 1000 must not be less than RETRY_MIN_MS 5000',
    ],
    [
      'RUN_ONCE is "yes"',
      { ...minimal, RUN_ONCE: 'yes' },
      'RUN_ONCE',
      'RUN_ONCE "yes" must be "true" or "false"',
    ],
    [
      'SHOW_SECRET is "1"',
      { ...minimal, SHOW_SECRET: '1' },
      'SHOW_SECRET',
      'SHOW_SECRET "1" must be "true" or "false"',
    ],
    [
      'the webhook did not inject AZURE_CLIENT_ID',
      { ...minimal, CREDENTIAL_MODE: 'workload-identity' },
      'AZURE_CLIENT_ID',
      'azure.workload.identity/use',
    ],
    [
      'AZURE_FEDERATED_TOKEN_FILE is missing',
      {
        ...minimal,
        ...workloadIdentity,
        AZURE_FEDERATED_TOKEN_FILE: '',
        CREDENTIAL_MODE: 'chained',
      },
      'AZURE_FEDERATED_TOKEN_FILE',
      'AZURE_FEDERATED_TOKEN_FILE is not set',
    ],
    [
      'AZURE_TENANT_ID has a slash',
      {
        ...minimal,
        ...workloadIdentity,
        AZURE_TENANT_ID: 'a/b',
        CREDENTIAL_MODE: 'client-assertion',
      },
      'AZURE_TENANT_ID',
      'AZURE_TENANT_ID "a/b" must be a tenant GUID or domain',
    ],
    [
      'AZURE_AUTHORITY_HOST is http://',
      {
        ...minimal,
        ...workloadIdentity,
        AZURE_AUTHORITY_HOST: 'http://login.example',
        CREDENTIAL_MODE: 'client-assertion',
      },
      'AZURE_AUTHORITY_HOST',
      'must be an https:// URL',
    ],
    [
      'READ_TIMEOUT_MS is 0',
      { ...minimal, READ_TIMEOUT_MS: '0' },
      'READ_TIMEOUT_MS',
      'READ_TIMEOUT_MS "0" must be a whole number of milliseconds from 1 to 2147483647',
    ],
  ])('fails when %s', (_, env, variable, message) => {
    const err = failure(env as Record<string, string>);
    expect(err.variable).toBe(variable);
    expect(err.message).toContain(message);
    expect(err.message.startsWith(variable)).toBe(true);
    expect(err.message).not.toContain('\n');
  });

  test('fails when KEYVAULT_URL carries credentials, without echoing the password', () => {
    const err = failure({
      ...minimal,
      KEYVAULT_URL: 'https://admin:hunter2@my-vault.vault.azure.net/',
    });
    expect(err.variable).toBe('KEYVAULT_URL');
    expect(err.message).toBe(
      'KEYVAULT_URL "https://***@my-vault.vault.azure.net/" must not carry credentials: the program signs in with its workload identity',
    );
  });

  test('accepts the vault URL with or without its trailing slash', () => {
    for (const url of ['https://my-vault.vault.azure.net', 'https://my-vault.vault.azure.net/']) {
      expect(readSettings({ ...minimal, KEYVAULT_URL: url }).vaultUrl).toBe(url);
    }
  });
});

describe('readSettings with AZURE_FEDERATED_TOKEN_FILE on disk', () => {
  const dir = mkdtempSync(join(tmpdir(), 'app-settings-'));
  const file = join(dir, 'azure-identity-token');
  writeFileSync(file, 'header.payload.signature');
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test.each(CREDENTIAL_MODES)(
    'fails in CREDENTIAL_MODE=%s when the variable names a directory: the variable, the path and the rule',
    (mode) => {
      const err = failure({
        ...minimal,
        ...workloadIdentity,
        AZURE_FEDERATED_TOKEN_FILE: dir,
        CREDENTIAL_MODE: mode,
      });
      expect(err.variable).toBe('AZURE_FEDERATED_TOKEN_FILE');
      expect(err.message).toBe(
        `AZURE_FEDERATED_TOKEN_FILE "${dir}" is a directory: it must name the projected service account token file, e.g. /var/run/secrets/azure/tokens/azure-identity-token`,
      );
    },
  );

  test('fails when the variable names a device (a token file that never ends)', () => {
    expect(failure({ ...minimal, AZURE_FEDERATED_TOKEN_FILE: '/dev/zero' }).message).toMatch(
      /^AZURE_FEDERATED_TOKEN_FILE "\/dev\/zero" is not a regular file: /,
    );
  });

  test('accepts a file, and a path kubelet has not projected yet (the read names it if it never comes)', () => {
    for (const path of [file, join(dir, 'not-yet')]) {
      const env = { ...minimal, ...workloadIdentity, AZURE_FEDERATED_TOKEN_FILE: path };
      expect(
        readSettings({ ...env, CREDENTIAL_MODE: 'workload-identity' }).credential,
      ).toMatchObject({
        workloadIdentity: { tokenFilePath: path },
      });
    }
  });
});
