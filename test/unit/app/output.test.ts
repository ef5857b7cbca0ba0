import { describe, expect, test } from 'vitest';
import {
  errorHint,
  formatDuration,
  formatFailureLine,
  formatSecretLine,
  formatStartLine,
  MASKED_SECRET_LINE,
} from '../../../app/output';

// Shapes as thrown by @azure/identity, MSAL and @azure/core-rest-pipeline (fields only, no classes).
const aadsts70021 = {
  name: 'AuthenticationError',
  message:
    "WorkloadIdentityCredential authentication failed. invalid_client: Error(s): 70021 - Timestamp: 2026-11-28 - Description: AADSTS70021: No matching federated identity record found for presented assertion. Assertion Issuer: 'https://oidc.example/abc'. Assertion Subject: 'system:serviceaccount:demo:workload'.\r\nTrace ID: 11\r\nCorrelation ID: 22\r\nTimestamp: 2026-11-28 - Correlation ID: 22 - Trace ID: 11",
};
const forbidden = {
  name: 'RestError',
  statusCode: 403,
  code: 'Forbidden',
  message:
    'Caller is not authorized to perform action on resource.\r\nIf role assignments, deny assignments or role definitions were changed recently, please observe propagation time.',
};

describe('formatStartLine', () => {
  test('prints the lab line in UTC', () => {
    expect(formatStartLine(new Date('2026-03-04T05:06:07Z'), 'workload-7d9f')).toBe(
      'START 03/04/2026 05:06:07 (workload-7d9f)',
    );
  });
});

describe('formatSecretLine', () => {
  test('masks the value by default', () => {
    const line = formatSecretLine('p@ssw0rd', false);
    expect(line).toBe('Your secret is ******** (masked; set SHOW_SECRET=true to print it)');
    expect(line).toBe(MASKED_SECRET_LINE);
    expect(line).not.toContain('p@ssw0rd');
  });

  test('prints the value when SHOW_SECRET=true', () => {
    expect(formatSecretLine('p@ssw0rd', true)).toBe('Your secret is p@ssw0rd');
  });
});

describe('formatFailureLine', () => {
  test('starts at the AADSTS code, drops the trace ids and adds the hint and the pause', () => {
    expect(formatFailureLine('username', aadsts70021, 2000)).toBe(
      `Failed to read secret "username": AADSTS70021: No matching federated identity record found for presented assertion. Assertion Issuer: 'https://oidc.example/abc'. Assertion Subject: 'system:serviceaccount:demo:workload'. (hint: the credential's issuer, subject and audience must equal the token's exactly (newer Entra names the part: AADSTS700211 issuer, AADSTS700212 audience, AADSTS700213 subject); a new credential can take minutes to propagate) - retrying in 2s`,
    );
  });

  test('names status and code of a Key Vault error, on one line', () => {
    const line = formatFailureLine('username', forbidden, 4000);
    expect(line).toMatch(
      /^Failed to read secret "username": 403 Forbidden: Caller is not authorized to perform action on resource\. If role/,
    );
    expect(line).toContain('(hint: the identity needs the role "Key Vault Secrets User"');
    expect(line).toMatch(/ - retrying in 4s$/);
    expect(line).not.toMatch(/[\r\n]/);
  });

  test('has no retry suffix when the program gives up', () => {
    expect(formatFailureLine('username', new Error('boom'))).toBe(
      'Failed to read secret "username": Error: boom',
    );
  });

  test('cuts a very long message', () => {
    const line = formatFailureLine('username', {
      name: 'RestError',
      statusCode: 400,
      code: 'BadParameter',
      message: 'x'.repeat(1000),
    });
    expect(line.length).toBeLessThan(450);
    expect(line).toContain('...');
  });
});

describe('errorHint', () => {
  test.each([
    [
      'AADSTS700211',
      {
        name: 'AuthenticationError',
        message:
          "AADSTS700211: No matching federated identity record found for presented assertion issuer 'https://oidc.example/abc'.",
      },
      'trailing "/" included; older Entra answers AADSTS70021',
    ],
    [
      'AADSTS700212',
      {
        name: 'AuthenticationError',
        message:
          "AADSTS700212: No matching federated identity record found for presented assertion audience 'api://other'.",
      },
      "audience must be api://AzureADTokenExchange, the projected token's; older Entra answers AADSTS70021",
    ],
    [
      'AADSTS700213',
      {
        name: 'AuthenticationError',
        message:
          "AADSTS700213: No matching federated identity record found for presented assertion subject 'system:serviceaccount:a:b'.",
      },
      'subject must be system:serviceaccount:<namespace>:<service account> of this pod; older Entra answers AADSTS70021',
    ],
    [
      'AADSTS700024',
      {
        name: 'AuthenticationError',
        message: 'AADSTS700024: Client assertion is not within its valid time range.',
      },
      're-read the token file',
    ],
    [
      'AADSTS90061',
      {
        name: 'ServerError',
        message: 'invalid_request: AADSTS90061: Request to External OIDC endpoint failed.',
      },
      'OIDC issuer',
    ],
    [
      'AADSTS700016',
      {
        name: 'AuthenticationError',
        message: "AADSTS700016: Application with identifier 'x' was not found in the directory",
      },
      'unknown client id',
    ],
    [
      'CredentialUnavailableError',
      {
        name: 'CredentialUnavailableError',
        message: 'WorkloadIdentityCredential: is unavailable.',
      },
      'azure.workload.identity/use',
    ],
    [
      '404 SecretNotFound',
      {
        name: 'RestError',
        statusCode: 404,
        code: 'SecretNotFound',
        message: 'A secret with (name/id) username was not found in this key vault.',
      },
      'check SECRET_NAME',
    ],
    [
      '503 after the SDK retries',
      { name: 'RestError', statusCode: 503, message: 'Service Unavailable' },
      'the SDK already retried',
    ],
  ])('explains %s', (_, err, hint) => {
    expect(errorHint(err)).toContain(hint);
  });

  test('does not mistake an Entra status code for a Key Vault one', () => {
    expect(
      errorHint({ name: 'AuthenticationError', statusCode: 403, message: 'unknown' }),
    ).toBeUndefined();
  });

  test('has nothing to say about an unknown error', () => {
    expect(errorHint(new TypeError('x is undefined'))).toBeUndefined();
    expect(errorHint('a string')).toBeUndefined();
  });
});

describe('formatDuration', () => {
  test.each([
    [250, '250ms'],
    [1000, '1s'],
    [1500, '1.5s'],
    [60000, '60s'],
  ])('%i ms is %s', (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
  });
});
