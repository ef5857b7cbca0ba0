import { cpSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments, stringify } from 'yaml';
import type { CommandError } from '../../../cli/run-step';
import { synthBoth } from '../../../cli/synth-command';
import {
  formatVerifyReport,
  VERIFY_UNREADABLE_EXIT_CODE,
  type VerifyOptions,
  verifyPair,
} from '../../../cli/verify-command';
import { CHECKS } from '../../../verify/check-pair';
import { DEPLOYED, runCli } from '../../support/cli-helpers';
import { ROOT, tempDir } from '../../support/helpers';

const AZURE = join('cdktf.out', 'stacks', 'workload-identity', 'cdk.tf.json');
const KUBERNETES = join('cdktf.out', 'stacks', 'workload-identity-k8s', 'cdk.tf.json');
const MANIFESTS = join('dist', 'workload-identity.k8s.yaml');

/** The synthesized files of one pair, parsed, to break one thing in. */
interface PairFiles {
  readonly tf: any;
  readonly k8s: any;
  readonly objects: any[];
  readonly kind: (kind: string) => any;
  readonly only: (type: string) => any;
}

let good: string;

beforeAll(() => {
  good = tempDir('wi-good-');
  synthBoth({
    outputs: join(good, 'none.json'),
    cdktfOut: join(good, 'cdktf.out'),
    dist: join(good, 'dist'),
  });
});

/** A copy of the good pair with one thing broken; without its Kubernetes stack unless `withStack`. */
function broken(edit: (files: PairFiles) => void, withStack = false): string {
  const dir = tempDir('wi-broken-');
  cpSync(good, dir, { recursive: true });
  const tf = JSON.parse(readFileSync(join(dir, AZURE), 'utf8'));
  const k8s = JSON.parse(readFileSync(join(dir, KUBERNETES), 'utf8'));
  const objects = parseAllDocuments(readFileSync(join(dir, MANIFESTS), 'utf8')).map((d) =>
    d.toJS(),
  );
  edit({
    tf,
    k8s,
    objects,
    kind: (k) => objects.find((o) => o.kind === k),
    only: (type) => Object.values(tf.resource[type])[0],
  });
  writeFileSync(join(dir, AZURE), JSON.stringify(tf));
  writeFileSync(join(dir, MANIFESTS), objects.map((o) => stringify(o)).join('---\n'));
  // Without its Kubernetes stack, verify checks the Azure stack and the manifests only: one broken thing, one finding.
  if (withStack) writeFileSync(join(dir, KUBERNETES), JSON.stringify(k8s));
  else rmSync(join(dir, 'cdktf.out', 'stacks', 'workload-identity-k8s'), { recursive: true });
  return dir;
}

/** What `verify` prints for the pair in `dir`. */
function verifyText(dir: string, options: VerifyOptions = {}): string {
  const report = verifyPair({
    cdktfOut: join(dir, 'cdktf.out'),
    dist: join(dir, 'dist'),
    env: { WI_OUTPUTS: join(dir, 'none.json') },
    ...options,
  });
  return formatVerifyReport(report);
}

/** The first block of a report: severity, check and subject, then the message. */
const block = (check: string, subject: string, message: string) =>
  `error  ${check}  ${subject}\n  ${message}\n  prevents: `;

describe('verify command output', () => {
  it('passes on the good pair, naming what it read and what it skipped', () => {
    const text = verifyText(good);
    expect(text).toContain(
      `verify: ${join(good, AZURE)}, ${join(good, KUBERNETES)}, ${join(good, MANIFESTS)}`,
    );
    expect(text).toContain('bindings not compared (no outputs file)');
    expect(text).toContain(
      'skipped: client-id-deployed (no outputs file), placeholders (without --for-apply), secret-value (no TF_VAR_secret_* set), vault-url (no outputs file)',
    );
    expect(text.split('\n').at(-1)).toBe('verify: all 16 checks passed');
  });

  const subjectPod = 'Pod workload-id-test/demo-pod';
  const subjectAccount = 'ServiceAccount workload-id-test/workload-id-sa';
  const cases: [string, (f: PairFiles) => void, string][] = [
    [
      'the credential subject names another service account',
      (f) =>
        (f.only('azurerm_federated_identity_credential').subject =
          'system:serviceaccount:workload-id-test:other'),
      block(
        'credential-subject',
        subjectPod,
        'no federated credential has subject system:serviceaccount:workload-id-test:workload-id-sa (found: system:serviceaccount:workload-id-test:other)',
      ),
    ],
    [
      'the audience is not the token exchange audience',
      (f) =>
        (f.only('azurerm_federated_identity_credential').audience = [
          'api://AzureADTokenExchange/',
        ]),
      block(
        'credential-audience',
        'azurerm_federated_identity_credential.Identity-workload-id-mi_Credential-workload-id-test_workload-id-sa_D3B6F5B3',
        'audience is ["api://AzureADTokenExchange/"], not ["api://AzureADTokenExchange"]',
      ),
    ],
    [
      'the issuer is a literal without its trailing slash',
      (f) =>
        (f.only('azurerm_federated_identity_credential').issuer =
          'https://westeurope.oic.prod-aks.azure.com/t/c'),
      block(
        'credential-issuer',
        'azurerm_federated_identity_credential.Identity-workload-id-mi_Credential-workload-id-test_workload-id-sa_D3B6F5B3',
        'issuer "https://westeurope.oic.prod-aks.azure.com/t/c" is a literal without the trailing "/"',
      ),
    ],
    [
      'the client-id annotation is missing',
      (f) =>
        delete f.kind('ServiceAccount').metadata.annotations['azure.workload.identity/client-id'],
      block(
        'client-id-annotation',
        subjectAccount,
        'annotation azure.workload.identity/client-id is missing',
      ),
    ],
    [
      'the label is on the service account instead of the pod',
      (f) => {
        delete f.kind('Pod').metadata.labels['azure.workload.identity/use'];
        f.kind('ServiceAccount').metadata.labels = { 'azure.workload.identity/use': 'true' };
      },
      block(
        'workload-label',
        subjectPod,
        'the pod lacks the label azure.workload.identity/use: "true" (it is on the service account, which the webhook ignores)',
      ),
    ],
    [
      'the token expiration is out of range',
      (f) =>
        (f.kind('Pod').metadata.annotations = {
          'azure.workload.identity/service-account-token-expiration': '90000',
        }),
      block(
        'token-expiration',
        subjectPod,
        'azure.workload.identity/service-account-token-expiration is "90000", outside 3600..86400',
      ),
    ],
    [
      'one identity has more than 20 credentials',
      (f) => {
        const credentials = f.tf.resource.azurerm_federated_identity_credential;
        const [name, credential] = Object.entries(credentials)[0] as [string, any];
        for (let i = 0; i < 20; i++)
          credentials[`${name}_${i}`] = {
            ...credential,
            subject: `system:serviceaccount:ns:sa-${i}`,
            depends_on: [
              `azurerm_federated_identity_credential.${i === 0 ? name : `${name}_${i - 1}`}`,
            ],
          };
      },
      block(
        'credential-limit',
        'azurerm_user_assigned_identity.Identity-workload-id-mi_5720ECCA',
        '21 federated credentials, more than 20',
      ),
    ],
    [
      'the credentials of one identity are not serialized',
      (f) => {
        const credentials = f.tf.resource.azurerm_federated_identity_credential;
        const [name, credential] = Object.entries(credentials)[0] as [string, any];
        credentials[`${name}_other`] = { ...credential, subject: 'system:serviceaccount:ns:other' };
      },
      block(
        'credential-serialized',
        'azurerm_user_assigned_identity.Identity-workload-id-mi_5720ECCA',
        '2 federated credentials are not chained with depends_on: azurerm_federated_identity_credential.Identity-workload-id-mi_Credential-workload-id-test_workload-id-sa_D3B6F5B3 and azurerm_federated_identity_credential.Identity-workload-id-mi_Credential-workload-id-test_workload-id-sa_D3B6F5B3_other can be written at the same time',
      ),
    ],
    [
      'the role covers another secret than the one the pod reads',
      (f) => {
        const grant = Object.values(f.tf.resource.azurerm_role_assignment).find(
          (r: any) => r.role_definition_name === 'Key Vault Secrets User',
        ) as any;
        grant.scope = grant.scope.replace('Secret-username', 'Secret-password');
      },
      block(
        'role-scope',
        subjectPod,
        'the identity trusted for system:serviceaccount:workload-id-test:workload-id-sa holds no secret-reading role on secret "username" or its vault',
      ),
    ],
    [
      'the cluster has workload identity off',
      (f) => (f.only('azurerm_kubernetes_cluster').workload_identity_enabled = false),
      block(
        'cluster-features',
        'azurerm_kubernetes_cluster.Cluster_EB0386A7',
        'workload_identity_enabled is not true',
      ),
    ],
    [
      'a secret is written with value',
      (f) => (f.only('azurerm_key_vault_secret').value = '${var.secret_password}'),
      block(
        'secret-in-state',
        'azurerm_key_vault_secret.KeyVault_Secret-password_14C5E13F',
        'the secret is written with "value", which Terraform stores in state',
      ),
    ],
  ];

  it.each(cases)(
    'fails when %s, with one block naming the check, the object, the failure it prevents and the fix',
    (_name, edit, expected) => {
      const text = verifyText(broken(edit));
      expect(text).toContain(expected);
      expect(text).toMatch(/\n {2}prevents: .+\n {2}fix: .+\n/);
      expect(text.split('\n').at(-1)).toBe('1 error, 0 warnings');
    },
  );

  it("fails when the client id is not the deployed identity's, given an outputs file", () => {
    const dir = broken(
      (f) =>
        (f.kind('ServiceAccount').metadata.annotations['azure.workload.identity/client-id'] =
          '22222222-2222-2222-2222-222222222222'),
    );
    writeFileSync(join(dir, 'outputs.json'), JSON.stringify(DEPLOYED));
    const text = verifyText(dir, { outputs: join(dir, 'outputs.json') });
    expect(text).toContain(`bindings from ${join(dir, 'outputs.json')}`);
    expect(text).toContain(
      block(
        'client-id-deployed',
        subjectAccount,
        'client id 22222222-2222-2222-2222-222222222222 is not the client id of any deployed workload identity (expected the one of workload-id-mi)',
      ),
    );
  });

  it('fails when a secret value from TF_VAR_secret_* is in a file', () => {
    const dir = broken(
      (f) => (f.kind('Namespace').metadata.annotations = { note: 'hunter2-value' }),
    );
    const text = verifyText(dir, {
      env: { WI_OUTPUTS: join(dir, 'none.json'), TF_VAR_secret_username: 'hunter2-value' },
    });
    expect(text).toContain(
      block('secret-value', join(dir, MANIFESTS), 'a secret value appears in the file'),
    );
    expect(text).not.toContain('hunter2');
  });

  it('fails when placeholder manifests are meant for apply (--for-apply)', () => {
    const text = verifyText(good, { forApply: true });
    expect(text).toContain(
      block('placeholders', subjectAccount, 'the manifest still carries placeholder bindings'),
    );
    expect(text).toContain(
      block('placeholders', subjectPod, 'the manifest still carries placeholder bindings'),
    );
    expect(text.split('\n').at(-1)).toBe('2 errors, 0 warnings');
  });

  it('fails when a build: app image was never built (--for-apply), even with deployed bindings', () => {
    // GIVEN deployed bindings everywhere, but the image deploy builds still the placeholder
    const dir = broken((f) => {
      for (const o of f.objects) {
        const text = JSON.stringify(o).replaceAll(
          /placeholder-[\w-]+|https:\/\/placeholder-[\w.-]+\//g,
          'x',
        );
        Object.assign(o, JSON.parse(text));
      }
      f.kind('Pod').spec.containers[0].image = 'placeholder.invalid/workload-id-app:not-built-yet';
    });
    const text = verifyText(dir, { forApply: true });
    expect(text).toContain(
      block('placeholders', subjectPod, 'the manifest still carries placeholder bindings'),
    );
    expect(text.match(/error {2}placeholders/g)).toHaveLength(1);
  });

  it('fails when the Kubernetes stack applies another object than the manifests', () => {
    const dir = broken(
      (f) =>
        (f.k8s.resource.kubernetes_manifest[
          'Pod-workload-id-test-demo-pod'
        ].manifest.spec.containers[0].image = 'other:1.0'),
      true,
    );
    expect(verifyText(dir)).toContain(
      block(
        'kubernetes-stack',
        subjectPod,
        'kubernetes_manifest.Pod-workload-id-test-demo-pod differs at spec.containers[0].image: "ghcr.io/azure/azure-workload-identity/msal-net:latest" in the manifests, "other:1.0" in Terraform',
      ),
    );
  });

  it('lists every check in docs/verify.md', () => {
    const page = readFileSync(join(ROOT, 'docs', 'verify.md'), 'utf8');
    for (const check of CHECKS) expect(page).toContain(`\`${check.id}\``);
  });
});

describe('verify command line', () => {
  it('exits 0 on the good pair, and runs the secret-value check when TF_VAR_secret_* are set', () => {
    const run = runCli(
      ['verify', '--cdktf-out', join(good, 'cdktf.out'), '--dist', join(good, 'dist')],
      { env: { TF_VAR_secret_username: 'admin-7f3c91' } },
    );
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    expect(run.stdout.trim().split('\n').at(-1)).toBe('verify: all 17 checks passed');
  });

  it('exits 1 on a broken pair, with --json printing a document of the findings', () => {
    const dir = broken(
      (f) => (f.only('azurerm_federated_identity_credential').audience = ['api://other']),
    );
    const run = runCli(['verify', '--json'], { cwd: dir });
    expect(run.status).toBe(1);
    const report = JSON.parse(run.stdout);
    expect(report).toMatchObject({
      ok: false,
      errors: 1,
      warnings: 0,
      outputs: null,
      forApply: false,
      files: [AZURE, MANIFESTS],
    });
    expect(report.findings).toEqual([
      {
        check: 'credential-audience',
        severity: 'error',
        subject:
          'azurerm_federated_identity_credential.Identity-workload-id-mi_Credential-workload-id-test_workload-id-sa_D3B6F5B3',
        message: 'audience is ["api://other"], not ["api://AzureADTokenExchange"]',
        prevents:
          "AADSTS700212 (older Entra: AADSTS70021): the token's audience matches no credential",
        fix: 'set audience = ["api://AzureADTokenExchange"]',
      },
    ]);
    expect(report.checks.find((c: any) => c.id === 'credential-audience')).toMatchObject({
      needs: 'nothing',
      prevents: expect.stringMatching(/^AADSTS700212 /),
      passed: false,
    });
    expect(report.checks.filter((c: any) => !c.passed).map((c: any) => c.id)).toEqual([
      'credential-audience',
    ]);
    expect(report.skipped.map((s: any) => s.id)).toEqual([
      'client-id-deployed',
      'kubernetes-stack',
      'placeholders',
      'secret-value',
      'vault-url',
    ]);
  });

  it('exits 1 with --for-apply on placeholder manifests, and 2 when the files cannot be read', () => {
    const forApply = runCli(['verify', '--for-apply'], { cwd: good });
    expect(forApply.status).toBe(1);
    expect(forApply.stdout.trim().split('\n').at(-1)).toBe('2 errors, 0 warnings');
    const unreadable = runCli(['verify', '--outputs', 'missing.json'], { cwd: good });
    expect(unreadable.status).toBe(2);
    expect(unreadable.stderr.trim()).toBe('verify: outputs file missing.json not found');
  });
});

describe('verify on files that are not a synthesized pair', () => {
  /** A copy of the good pair whose manifests file holds `yaml` instead. */
  const withManifests = (yaml: string) => {
    const dir = tempDir('wi-stray-');
    cpSync(good, dir, { recursive: true });
    writeFileSync(join(dir, MANIFESTS), yaml);
    return dir;
  };
  const unreadable = (dir: string) => {
    try {
      verifyText(dir);
    } catch (err) {
      expect((err as CommandError).exitCode).toBe(VERIFY_UNREADABLE_EXIT_CODE);
      return (err as Error).message;
    }
    throw new Error('verify read the pair');
  };

  it.each([
    ['a scalar', 'just a string\n', 'a string ("just a string"), not a Kubernetes object'],
    ['a list', '- a\n- b\n', 'a list, not a Kubernetes object'],
    [
      'an object without kind',
      'apiVersion: v1\nmetadata:\n  name: x\n',
      'an object without kind or apiVersion, not a Kubernetes object',
    ],
    [
      'an object without metadata',
      'apiVersion: v1\nkind: Pod\nspec: {}\n',
      'a Pod without metadata.name',
    ],
    [
      'an alias bomb',
      'a: &a [x, x]\nb: &b [*a, *a]\nc: [*b, *b]\n',
      'it uses YAML aliases, which synthesized manifests never do',
    ],
  ])('fails when the manifests hold %s: exit 2, naming the file', (_case, yaml, why) => {
    const dir = withManifests(yaml);
    expect(unreadable(dir)).toBe(`verify: cannot read ${join(dir, MANIFESTS)}, document 1: ${why}`);
  });

  it('fails when a manifests file is a directory, naming it', () => {
    const dir = withManifests('');
    rmSync(join(dir, MANIFESTS));
    mkdirSync(join(dir, MANIFESTS));
    expect(unreadable(dir)).toBe(
      `verify: cannot read ${join(dir, MANIFESTS)}: it is a directory, not a file (run "npm run synth" first)`,
    );
  });

  it('exits 2 on stray YAML from the command line, naming the file', () => {
    const dir = withManifests('42\n');
    const run = runCli(['verify'], { cwd: dir });
    expect(run.status).toBe(2);
    expect(run.stderr.trim()).toBe(
      `verify: cannot read ${MANIFESTS}, document 1: a number (42), not a Kubernetes object`,
    );
  });
});
