import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { synthBoth } from '../../../cli/synth-command';
import { CHECKS, type CheckOptions, checkPair } from '../../../verify/check-pair';
import { kubeObjectsOf, resourcesOf, type SynthesizedPair } from '../../../verify/synthesized-pair';
import { tempDir } from '../../support/helpers';

/** The Azure stack and the manifests: each test below breaks one thing and expects exactly the check it fails. */
let pristine: SynthesizedPair;
/** The same, with the Kubernetes stack, which the kubernetes-stack check compares with the manifests. */
let withStack: SynthesizedPair;

beforeAll(() => {
  const dir = tempDir();
  withStack = synthBoth({
    outputs: join(dir, 'none.json'),
    cdktfOut: join(dir, 'cdktf.out'),
    dist: join(dir, 'dist'),
  }).pair;
  const {
    kubernetesTerraform: _terraform,
    kubernetesTerraformFile: file,
    ...azureAndManifests
  } = withStack;
  pristine = {
    ...azureAndManifests,
    texts: new Map([...withStack.texts].filter(([path]) => path !== file)),
  };
});

/** A copy of the synthesized pair, broken by `edit`, and the checks it fails. */
function checksAfter(
  edit: (tf: any, byKind: (kind: string) => any) => void,
  options?: CheckOptions,
) {
  const pair = structuredClone(pristine) as any;
  edit(pair.terraform, (kind: string) => pair.objects.find((o: any) => o.kind === kind));
  return checkPair(pair, options).map((f) => `${f.check}: ${f.message}`);
}

const only = (tf: any, type: string) => Object.values(tf.resource[type])[0] as any;

describe('checkPair (the cross-check of a synthesized pair)', () => {
  it('finds nothing wrong with the default synthesis', () => {
    expect(checkPair(pristine)).toEqual([]);
    expect(checkPair(withStack)).toEqual([]);
  });

  it('fails when the credential subject names another service account', () => {
    expect(
      checksAfter(
        (tf) =>
          (only(tf, 'azurerm_federated_identity_credential').subject =
            'system:serviceaccount:workload-id-test:other'),
      ),
    ).toEqual([
      'credential-subject: no federated credential has subject system:serviceaccount:workload-id-test:workload-id-sa (found: system:serviceaccount:workload-id-test:other)',
    ]);
  });

  it('fails when the manifests put the pod and service account in another namespace', () => {
    const found = checksAfter((_tf, k) => {
      k('ServiceAccount').metadata.namespace = 'elsewhere';
      k('Pod').metadata.namespace = 'elsewhere';
    });
    expect(found).toContain('namespace: namespace elsewhere is not in the manifests');
    expect(found).toContain(
      'credential-subject: no federated credential has subject system:serviceaccount:elsewhere:workload-id-sa (found: system:serviceaccount:workload-id-test:workload-id-sa)',
    );
  });

  it('fails when the pod uses another service account', () => {
    expect(checksAfter((_tf, k) => (k('Pod').spec.serviceAccountName = 'default'))).toEqual([
      'service-account: service account "default" is not in namespace workload-id-test of the manifests',
    ]);
  });

  it('fails when the label is on the service account instead of the pod', () => {
    expect(
      checksAfter((_tf, k) => {
        delete k('Pod').metadata.labels['azure.workload.identity/use'];
        k('ServiceAccount').metadata.labels = { 'azure.workload.identity/use': 'true' };
      }),
    ).toEqual([
      'workload-label: the pod lacks the label azure.workload.identity/use: "true" (it is on the service account, which the webhook ignores)',
    ]);
  });

  it('fails when the audience is not the token exchange audience', () => {
    expect(
      checksAfter(
        (tf) =>
          (only(tf, 'azurerm_federated_identity_credential').audience = [
            'api://AzureADTokenExchange/',
          ]),
      ),
    ).toEqual([
      'credential-audience: audience is ["api://AzureADTokenExchange/"], not ["api://AzureADTokenExchange"]',
    ]);
  });

  it('fails when the issuer is a literal without its trailing slash', () => {
    expect(
      checksAfter(
        (tf) =>
          (only(tf, 'azurerm_federated_identity_credential').issuer =
            'https://westeurope.oic.prod-aks.azure.com/t/c'),
      ),
    ).toEqual([
      'credential-issuer: issuer "https://westeurope.oic.prod-aks.azure.com/t/c" is a literal without the trailing "/"',
    ]);
  });

  it('fails when the role covers another secret', () => {
    const found = checksAfter((tf) => {
      const password = resourcesOf(tf, 'azurerm_key_vault_secret').find(
        (s) => s.values.name === 'password',
      )!;
      const grant = Object.values(tf.resource.azurerm_role_assignment).find(
        (r: any) => r.role_definition_name === 'Key Vault Secrets User',
      ) as any;
      grant.scope = `\${${password.address}.resource_versionless_id}`;
    });
    expect(found).toEqual([
      'role-scope: the identity trusted for system:serviceaccount:workload-id-test:workload-id-sa holds no secret-reading role on secret "username" or its vault',
    ]);
  });

  it('fails when the workload holds Key Vault Reader on the vault: it reads metadata, never a secret value', () => {
    const found = checksAfter((tf) => {
      const vault = resourcesOf(tf, 'azurerm_key_vault')[0]!;
      const grant = Object.values(tf.resource.azurerm_role_assignment).find(
        (r: any) => r.role_definition_name === 'Key Vault Secrets User',
      ) as any;
      grant.role_definition_name = 'Key Vault Reader';
      grant.scope = `\${${vault.address}.id}`;
    });
    expect(found).toEqual([
      'role-scope: the identity trusted for system:serviceaccount:workload-id-test:workload-id-sa holds no secret-reading role on secret "username" or its vault',
    ]);
  });

  it('fails when a credential has a second audience beside api://AzureADTokenExchange', () => {
    expect(
      checksAfter(
        (tf) =>
          (only(tf, 'azurerm_federated_identity_credential').audience = [
            'api://AzureADTokenExchange',
            'api://other',
          ]),
      ),
    ).toEqual([
      'credential-audience: audience is ["api://AzureADTokenExchange","api://other"], not ["api://AzureADTokenExchange"]',
    ]);
  });

  it('fails when the client-id annotation is missing', () => {
    expect(
      checksAfter(
        (_tf, k) =>
          delete k('ServiceAccount').metadata.annotations['azure.workload.identity/client-id'],
      ),
    ).toEqual(['client-id-annotation: annotation azure.workload.identity/client-id is missing']);
  });

  it("fails when the client id is not the deployed identity's", () => {
    const bindings = new Map([
      [
        'demo',
        {
          clientId: '11111111-1111-1111-1111-111111111111',
          tenantId: '33333333-3333-3333-3333-333333333333',
          vaultUrl: 'https://workload-id-kv-demo.vault.azure.net/',
          vaultName: 'workload-id-kv-demo',
          oidcIssuerUrl: 'https://westeurope.oic.prod-aks.azure.com/t/c/',
        },
      ],
    ]);
    const found = checksAfter(
      (_tf, k) =>
        (k('ServiceAccount').metadata.annotations['azure.workload.identity/client-id'] =
          '22222222-2222-2222-2222-222222222222'),
      { bindings },
    );
    expect(found).toEqual([
      'client-id-deployed: client id 22222222-2222-2222-2222-222222222222 is not the client id of any deployed workload identity (expected the one of workload-id-mi)',
    ]);
  });

  it('fails when the token expiration is out of range', () => {
    expect(
      checksAfter(
        (_tf, k) =>
          (k('ServiceAccount').metadata.annotations[
            'azure.workload.identity/service-account-token-expiration'
          ] = '600'),
      ),
    ).toEqual([
      'token-expiration: azure.workload.identity/service-account-token-expiration is "600", outside 3600..86400',
    ]);
  });

  it('fails when one identity has more than 20 credentials, unchained', () => {
    const found = checksAfter((tf) => {
      const [name, credential] = Object.entries(
        tf.resource.azurerm_federated_identity_credential,
      )[0] as [string, any];
      for (let i = 0; i < 20; i++)
        tf.resource.azurerm_federated_identity_credential[`${name}_${i}`] = {
          ...credential,
          subject: `system:serviceaccount:ns:sa-${i}`,
        };
    });
    expect(found).toEqual([
      'credential-limit: 21 federated credentials, more than 20',
      expect.stringMatching(
        /^credential-serialized: 21 federated credentials are not chained with depends_on: \S+ and \S+ can be written at the same time$/,
      ),
    ]);
  });

  it('fails when the cluster has workload identity off', () => {
    expect(
      checksAfter(
        (tf) => (only(tf, 'azurerm_kubernetes_cluster').workload_identity_enabled = false),
      ),
    ).toEqual(['cluster-features: workload_identity_enabled is not true']);
  });

  it('fails when a secret is written with value (stored in state)', () => {
    expect(checksAfter((tf) => (only(tf, 'azurerm_key_vault_secret').value = '${var.x}'))).toEqual([
      'secret-in-state: the secret is written with "value", which Terraform stores in state',
    ]);
  });

  it('fails when a secret value appears in a file', () => {
    const found = checkPair(pristine, { secretValues: ['demo-pod'] });
    expect(found.map((f) => f.check)).toEqual(['secret-value']);
    expect(found[0].subject).toMatch(/workload-identity\.k8s\.yaml$/);
  });

  it('fails when placeholder manifests are meant for apply', () => {
    expect(checkPair(pristine, { forApply: true }).map((f) => `${f.check}: ${f.subject}`)).toEqual([
      'placeholders: ServiceAccount workload-id-test/workload-id-sa',
      'placeholders: Pod workload-id-test/demo-pod',
    ]);
  });

  it('fails when the Kubernetes stack applies another object than the manifests', () => {
    const pair = structuredClone(withStack) as any;
    const manifests = pair.kubernetesTerraform.resource.kubernetes_manifest;
    manifests['Pod-workload-id-test-demo-pod'].manifest.spec.containers[0].image = 'other:1.0';
    delete manifests['ServiceAccount-workload-id-test-workload-id-sa'];
    expect(checkPair(pair).map((f) => `${f.check}: ${f.subject}: ${f.message}`)).toEqual([
      'kubernetes-stack: ServiceAccount workload-id-test/workload-id-sa: no kubernetes_manifest of ' +
        pair.kubernetesTerraformFile +
        ' applies this object',
      'kubernetes-stack: Pod workload-id-test/demo-pod: kubernetes_manifest.Pod-workload-id-test-demo-pod differs at spec.containers[0].image: "ghcr.io/azure/azure-workload-identity/msal-net:latest" in the manifests, "other:1.0" in Terraform',
    ]);
  });

  it('fails when the Kubernetes stack binds an annotation to the wrong output', () => {
    const pair = structuredClone(withStack) as any;
    const account =
      pair.kubernetesTerraform.resource.kubernetes_manifest[
        'ServiceAccount-workload-id-test-workload-id-sa'
      ].manifest;
    account.metadata.annotations['azure.workload.identity/client-id'] =
      '${data.terraform_remote_state.AzureOutputs.outputs.demo_tenant_id}';
    expect(checkPair(pair).map((f) => f.message)).toEqual([
      'kubernetes_manifest.ServiceAccount-workload-id-test-workload-id-sa differs at metadata.annotations["azure.workload.identity/client-id"]: "placeholder-client-id" in the manifests, "${data.terraform_remote_state.AzureOutputs.outputs.demo_tenant_id}" in Terraform',
    ]);
  });

  it('fails when an output carries the kube config', () => {
    const pair = structuredClone(withStack) as any;
    pair.terraform.output.kube = {
      value: '${azurerm_kubernetes_cluster.Cluster_EB0386A7.kube_config[0].client_key}',
      sensitive: true,
    };
    expect(checkPair(pair).map((f) => `${f.check}: ${f.subject}`)).toEqual([
      `kube-config-output: output.kube of ${pair.terraformFile}`,
    ]);
  });
});

describe('checkPair names the Entra code each credential mismatch would get', () => {
  const prevents = (
    edit: (tf: any, byKind: (kind: string) => any) => void,
    options?: CheckOptions,
  ) => {
    const pair = structuredClone(pristine) as any;
    edit(pair.terraform, (kind: string) => pair.objects.find((o: any) => o.kind === kind));
    return checkPair(pair, options).map((f) => `${f.check}: ${f.prevents}`);
  };

  it.each([
    [
      'the issuer is copied without its trailing slash',
      (tf: any) =>
        (only(tf, 'azurerm_federated_identity_credential').issuer =
          'https://westeurope.oic.prod-aks.azure.com/t/c'),
      'credential-issuer: AADSTS700211 (older Entra: AADSTS70021): ',
    ],
    [
      'the audience is not the token exchange audience',
      (tf: any) => (only(tf, 'azurerm_federated_identity_credential').audience = ['api://other']),
      'credential-audience: AADSTS700212 (older Entra: AADSTS70021): ',
    ],
    [
      'the subject names another service account',
      (tf: any) =>
        (only(tf, 'azurerm_federated_identity_credential').subject =
          'system:serviceaccount:workload-id-test:other'),
      'credential-subject: AADSTS700213 (older Entra: AADSTS70021): ',
    ],
  ])('when %s', (_case, edit, start) => {
    const found = prevents(edit);
    expect(found).toHaveLength(1);
    expect(found[0].startsWith(start)).toBe(true);
  });

  it("when the client id is another identity's", () => {
    const bindings = new Map([
      [
        'demo',
        {
          clientId: '11111111-1111-1111-1111-111111111111',
          tenantId: '33333333-3333-3333-3333-333333333333',
          vaultUrl: 'https://workload-id-kv-demo.vault.azure.net/',
          vaultName: 'workload-id-kv-demo',
          oidcIssuerUrl: 'https://westeurope.oic.prod-aks.azure.com/t/c/',
        },
      ],
    ]);
    const found = prevents(
      (_tf, k) =>
        (k('ServiceAccount').metadata.annotations['azure.workload.identity/client-id'] =
          '22222222-2222-2222-2222-222222222222'),
      { bindings },
    );
    expect(found).toEqual([
      'client-id-deployed: AADSTS700016, or AADSTS700211/AADSTS700213 (older Entra: AADSTS70021): Entra looks for the credential on another identity',
    ]);
  });
});

describe('every verify check fails on the input it names', () => {
  const CLUSTER = 'azurerm_kubernetes_cluster.Cluster_EB0386A7';
  const SECRET = 'azurerm_key_vault_secret.KeyVault_Secret-username_73A2ED0C';
  const credentialsOf = (tf: any) => tf.resource.azurerm_federated_identity_credential;
  /** `count` credentials on the one identity, each depending on the one before (`chain`) or all on the first. */
  const credentials = (count: number, shape: 'chain' | 'star') => (tf: any) => {
    const [[name, credential]] = Object.entries(credentialsOf(tf)) as [string, any][];
    let previous = name;
    for (let i = 1; i < count; i++) {
      credentialsOf(tf)[`${name}_${i}`] = {
        ...credential,
        subject: `system:serviceaccount:ns-${i}:sa`,
        depends_on: [
          `azurerm_federated_identity_credential.${shape === 'chain' ? previous : name}`,
        ],
      };
      previous = `${name}_${i}`;
    }
  };
  const secretsUser = (tf: any) =>
    Object.values(tf.resource.azurerm_role_assignment).find(
      (r: any) => r.role_definition_name === 'Key Vault Secrets User',
    ) as any;
  const deployed = (overrides: Record<string, string> = {}): CheckOptions => ({
    bindings: new Map([
      [
        'demo',
        {
          clientId: '11111111-1111-1111-1111-111111111111',
          tenantId: '33333333-3333-3333-3333-333333333333',
          vaultUrl: 'https://workload-id-kv-demo.vault.azure.net/',
          vaultName: 'workload-id-kv-demo',
          oidcIssuerUrl: 'https://westeurope.oic.prod-aks.azure.com/t/c/',
          ...overrides,
        },
      ],
    ]),
  });
  const setEnv = (pod: any, name: string, value: string) => {
    pod.spec.containers[0].env = [
      ...pod.spec.containers[0].env.filter((e: any) => e.name !== name),
      { name, value },
    ];
  };

  /** [check, the input, the edit, options, the findings (check: message), exactly]. */
  const CASES: [
    string,
    string,
    (tf: any, k: (kind: string) => any) => void,
    CheckOptions | undefined,
    (string | RegExp)[],
  ][] = [
    [
      'client-id-annotation',
      'the service account has no client-id annotation',
      (_tf, k) =>
        delete k('ServiceAccount').metadata.annotations['azure.workload.identity/client-id'],
      undefined,
      ['client-id-annotation: annotation azure.workload.identity/client-id is missing'],
    ],
    [
      'client-id-deployed',
      "the annotation is another identity's client id",
      (_tf, k) =>
        (k('ServiceAccount').metadata.annotations['azure.workload.identity/client-id'] =
          '22222222-2222-2222-2222-222222222222'),
      deployed(),
      [/^client-id-deployed: client id 22222222-2222-2222-2222-222222222222 is not/],
    ],
    [
      'cluster-features',
      'the OIDC issuer is off',
      (tf) => (only(tf, 'azurerm_kubernetes_cluster').oidc_issuer_enabled = false),
      undefined,
      ['cluster-features: oidc_issuer_enabled is not true'],
    ],
    [
      'credential-audience',
      'the audience has a trailing slash',
      (tf) =>
        (only(tf, 'azurerm_federated_identity_credential').audience = [
          'api://AzureADTokenExchange/',
        ]),
      undefined,
      [/^credential-audience: audience is \["api:\/\/AzureADTokenExchange\/"\]/],
    ],
    [
      'credential-issuer',
      "the issuer is another attribute of the cluster (its portal's FQDN)",
      (tf) =>
        (only(tf, 'azurerm_federated_identity_credential').issuer = `\${${CLUSTER}.portal_fqdn}`),
      undefined,
      [`credential-issuer: issuer \${${CLUSTER}.portal_fqdn} is not a cluster's oidc_issuer_url`],
    ],
    [
      'credential-issuer',
      "the issuer is an https URL built from the cluster's API server FQDN",
      (tf) =>
        (only(tf, 'azurerm_federated_identity_credential').issuer = `https://\${${CLUSTER}.fqdn}/`),
      undefined,
      [
        `credential-issuer: issuer https://\${${CLUSTER}.fqdn}/ is built from an expression, not the cluster's oidc_issuer_url`,
      ],
    ],
    [
      'credential-issuer',
      "the issuer is the host of the cluster's kube config",
      (tf) =>
        (only(tf, 'azurerm_federated_identity_credential').issuer =
          `\${${CLUSTER}.kube_config[0].host}`),
      undefined,
      [/^credential-issuer: issuer .*kube_config\[0\]\.host\} is built from an expression/],
    ],
    [
      'credential-limit',
      'one identity has 21 credentials, chained',
      credentials(21, 'chain'),
      undefined,
      [/^credential-limit: 21 federated credentials, more than 20$/],
    ],
    [
      'credential-limit',
      'one identity has exactly 20 credentials, chained',
      credentials(20, 'chain'),
      undefined,
      [],
    ],
    [
      'credential-serialized',
      'the credentials of one identity all depend on the first instead of forming a chain',
      credentials(3, 'star'),
      undefined,
      [
        /^credential-serialized: 3 federated credentials are not chained with depends_on: \S+_1 and \S+_2 can be written at the same time$/,
      ],
    ],
    [
      'credential-serialized',
      'three credentials form one chain',
      credentials(3, 'chain'),
      undefined,
      [],
    ],
    [
      'credential-subject',
      'the subject names another namespace',
      (tf) =>
        (only(tf, 'azurerm_federated_identity_credential').subject =
          'system:serviceaccount:other-ns:workload-id-sa'),
      undefined,
      [
        /^credential-subject: no federated credential has subject system:serviceaccount:workload-id-test:workload-id-sa/,
      ],
    ],
    [
      'kube-config-output',
      'an output is the kube config',
      (tf) => (tf.output.kubeconfig = { value: `\${${CLUSTER}.kube_config_raw}`, sensitive: true }),
      undefined,
      ["kube-config-output: the output carries the cluster's kube config"],
    ],
    [
      'namespace',
      'the Namespace object is missing',
      (_tf, k) => (k('Namespace').metadata.name = 'other-ns'),
      undefined,
      ['namespace: namespace workload-id-test is not in the manifests'],
    ],
    [
      'placeholders',
      'placeholder manifests are meant for apply',
      () => {},
      { forApply: true },
      [/^placeholders: /, /^placeholders: /],
    ],
    [
      'role-least-privilege',
      'the workload is granted Key Vault Secrets Officer instead of Secrets User',
      (tf) => (secretsUser(tf).role_definition_name = 'Key Vault Secrets Officer'),
      undefined,
      [
        'role-least-privilege: the identity trusted for system:serviceaccount:workload-id-test:workload-id-sa holds "Key Vault Secrets Officer"',
      ],
    ],
    [
      'role-least-privilege',
      'the workload is granted Key Vault Administrator instead of Secrets User',
      (tf) => (secretsUser(tf).role_definition_name = 'Key Vault Administrator'),
      undefined,
      [/^role-least-privilege: .* holds "Key Vault Administrator"$/],
    ],
    [
      'role-scope',
      'the role is scoped to one version of the secret',
      (tf) => (secretsUser(tf).scope = `\${${SECRET}.resource_id}`),
      undefined,
      [
        /^role-scope: azurerm_role_assignment\.\S+ is scoped to resource_id of secret "username", not to the secret itself/,
      ],
    ],
    [
      'role-scope',
      "the role is scoped to the secret's data-plane URL",
      (tf) => (secretsUser(tf).scope = `\${${SECRET}.versionless_id}`),
      undefined,
      [/^role-scope: .* is scoped to versionless_id of secret "username"/],
    ],
    [
      'secret-in-state',
      'a secret is written with value',
      (tf) => (only(tf, 'azurerm_key_vault_secret').value = '${var.secret_username}'),
      undefined,
      ['secret-in-state: the secret is written with "value", which Terraform stores in state'],
    ],
    [
      'secret-value',
      'a secret value is a whole value of the files (here, the namespace)',
      () => {},
      { secretValues: ['workload-id-test'] },
      ['secret-value: a secret value appears in the file'],
    ],
    [
      'secret-value',
      'ordinary secret values are only fragments of the files',
      () => {},
      { secretValues: ['test', 'user', 'workload', 'sa'] },
      [],
    ],
    [
      'service-account',
      'the pod runs as a service account that is not in the manifests',
      (_tf, k) => (k('Pod').spec.serviceAccountName = 'other-sa'),
      undefined,
      [
        'service-account: service account "other-sa" is not in namespace workload-id-test of the manifests',
      ],
    ],
    [
      'token-expiration',
      'the token expiration is one second over a day',
      (_tf, k) =>
        (k('Pod').metadata.annotations = {
          ...k('Pod').metadata.annotations,
          'azure.workload.identity/service-account-token-expiration': '86401',
        }),
      undefined,
      [/^token-expiration: .* is "86401", outside 3600\.\.86400$/],
    ],
    [
      'token-expiration',
      'the token expiration is exactly a day',
      (_tf, k) =>
        (k('Pod').metadata.annotations = {
          ...k('Pod').metadata.annotations,
          'azure.workload.identity/service-account-token-expiration': '86400',
        }),
      undefined,
      [],
    ],
    [
      'vault-url',
      "the pod's KEYVAULT_URL is another vault than the deployed one",
      (_tf, k) => setEnv(k('Pod'), 'KEYVAULT_URL', 'https://other-kv.vault.azure.net/'),
      deployed(),
      [
        /^vault-url: KEYVAULT_URL "https:\/\/other-kv\.vault\.azure\.net\/" is not the deployed vault URL/,
      ],
    ],
    [
      'vault-url',
      "the outputs' vault URL is not the URL of the stack's vault",
      (tf) => (only(tf, 'azurerm_key_vault').name = 'my-team-kv'),
      deployed(),
      [
        'vault-url: vault URL https://workload-id-kv-demo.vault.azure.net/ is not the URL of vault "my-team-kv" (https://my-team-kv.vault.azure.net/)',
      ],
    ],
    [
      'workload-label',
      'the pod has no workload identity label',
      (_tf, k) => delete k('Pod').metadata.labels['azure.workload.identity/use'],
      undefined,
      [/^workload-label: the pod lacks the label azure\.workload\.identity\/use: "true"$/],
    ],
  ];

  it.each(
    CASES.map(([check, input, edit, options, expected]) => ({
      check,
      input,
      edit,
      options,
      expected,
    })),
  )('$check: $input', ({ edit, options, expected }) => {
    const found = checksAfter(edit, options);
    expect(found).toEqual(
      expected.map((e) => (typeof e === 'string' ? e : expect.stringMatching(e))),
    );
  });

  it('secret-value: a secret value is in a file base64-encoded (a Secret of the manifests)', () => {
    const pair = structuredClone(pristine);
    const [file, text] = [...pair.texts].find(([f]) => f.endsWith('.yaml'))!;
    const texts = new Map(pair.texts).set(
      file,
      `${text}---\napiVersion: v1\nkind: Secret\nmetadata:\n  name: s\ndata:\n  password: aHVudGVyMi12YWx1ZQ==\n`,
    );
    expect(
      checkPair({ ...pair, texts }, { secretValues: ['hunter2-value'] }).map((f) => f.subject),
    ).toEqual([file]);
  });

  it('kubernetes-stack: the Kubernetes stack applies an object with another image', () => {
    const pair = structuredClone(withStack) as any;
    const manifests = pair.kubernetesTerraform.resource.kubernetes_manifest;
    const pod = Object.values(manifests).find((m: any) => m.manifest.kind === 'Pod') as any;
    pod.manifest.spec.containers[0].image = 'other:1.0';
    expect(checkPair(pair).map((f) => f.check)).toEqual(['kubernetes-stack']);
  });

  it('fails with short findings when a value of the files is 5 MB', () => {
    const huge = 'x'.repeat(5 * 1024 * 1024);
    const found = checkPair(
      (() => {
        const pair = structuredClone(pristine) as any;
        pair.objects.find((o: any) => o.kind === 'Pod').spec.serviceAccountName = huge;
        only(pair.terraform, 'azurerm_federated_identity_credential').issuer = `\${${huge}}`;
        return pair;
      })(),
    );
    expect(found.map((f) => f.check)).toEqual(['credential-issuer', 'service-account']);
    for (const f of found) expect(f.subject.length + f.message.length).toBeLessThan(600);
    expect(found[1].message).toBe(
      `service account "${'x'.repeat(99)}... (5242882 characters) is not in namespace workload-id-test of the manifests`,
    );
  });

  it('runs on odd but parseable files without crashing', () => {
    // GIVEN hand-edited files: fields of the wrong type, nulls where objects belong
    const docs = [
      'apiVersion: v1\nkind: Pod\nmetadata: {name: p, labels: 5, annotations: x}\nspec: {containers: 7, serviceAccountName: 3}\n',
      'apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d}\nspec: {template: 5}\n',
      'apiVersion: v1\nkind: Pod\nmetadata: {name: p, labels: {azure.workload.identity/use: "true"}}\nspec: {containers: [null, {env: 5}, {env: [null, {name: SECRET_NAME, value: 5}]}]}\n',
    ];
    const terraforms = [
      { resource: 5 },
      {
        resource: {
          azurerm_federated_identity_credential: 'x',
          azurerm_role_assignment: { a: null },
        },
      },
      { output: { a: null } },
    ];
    // THEN every check runs and reports, none throws
    for (const doc of docs)
      for (const terraform of terraforms) {
        const pair = {
          terraformFile: 'cdk.tf.json',
          terraform: terraform as any,
          manifestFiles: ['x.yaml'],
          objects: kubeObjectsOf('x.yaml', doc),
          texts: new Map([['x.yaml', doc]]),
        };
        expect(() =>
          checkPair(pair, { forApply: true, secretValues: ['s3cret'], bindings: new Map() }),
        ).not.toThrow();
      }
  });

  it('has a failing input for every check', () => {
    const covered = new Set([
      'kubernetes-stack',
      ...CASES.filter(([, , , , expected]) => expected.length > 0).map(([check]) => check),
    ]);
    expect(CHECKS.map((c) => c.id).filter((id) => !covered.has(id))).toEqual([]);
  });
});
