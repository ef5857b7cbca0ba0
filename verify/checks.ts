import {
  isPlaceholder,
  outputName,
  PLACEHOLDER_BINDINGS,
  type WorkloadBindings,
} from '../config/outputs';
import { MAX_FEDERATED_CREDENTIALS_PER_IDENTITY } from '../config/schema';
import {
  CLIENT_ID_ANNOTATION as CLIENT_ID,
  TOKEN_EXPIRATION_ANNOTATION as EXPIRATION,
  TOKEN_AUDIENCE,
  USE_WORKLOAD_IDENTITY_LABEL as USE_LABEL,
} from '../config/webhook';
import {
  type KubeObject,
  objectsOf,
  parseReference,
  resourcesOf,
  type SynthesizedPair,
  type TerraformJson,
  type TerraformResource,
} from './synthesized-pair';

const READ_ROLES = new Set([
  'Key Vault Secrets User',
  'Key Vault Secrets Officer',
  'Key Vault Administrator',
]);

/** One check of a synthesized pair: its stable id and what it makes sure of. */
export interface CheckInfo {
  readonly id: string;
  readonly title: string;
  /** Runs only when this is known: secret values, manifests meant for apply, the Kubernetes stack. */
  readonly needs?: 'secretValues' | 'forApply' | 'kubernetesStack';
}

/** Every check `checkPair` makes, in the order it reports them. */
export const CHECKS = [
  { id: 'cluster-features', title: 'the cluster has the OIDC issuer and workload identity on' },
  {
    id: 'credential-audience',
    title: 'each federated credential\'s audience is exactly ["api://AzureADTokenExchange"]',
  },
  {
    id: 'credential-issuer',
    title:
      'each credential\'s issuer is the cluster\'s oidc_issuer_url reference (a literal must keep its trailing "/")',
  },
  { id: 'credential-limit', title: 'at most 20 federated credentials per identity' },
  {
    id: 'credential-serialized',
    title:
      'the credentials of one identity are chained with depends_on (Entra refuses concurrent writes)',
  },
  { id: 'namespace', title: 'the namespace of each workload pod is in the manifests' },
  {
    id: 'workload-label',
    title:
      'the label azure.workload.identity/use: "true" is on the pod (or pod template), not only on the service account',
  },
  { id: 'service-account', title: 'each workload pod runs as a service account of the manifests' },
  {
    id: 'client-id-annotation',
    title:
      "the service account carries azure.workload.identity/client-id (equal to its identity's client id output when an outputs file is given)",
  },
  {
    id: 'token-expiration',
    title:
      'azure.workload.identity/service-account-token-expiration, where set, is 3600..86400 seconds',
  },
  {
    id: 'credential-subject',
    title:
      "a federated credential's subject is system:serviceaccount:<namespace>:<service account> of each workload pod",
  },
  {
    id: 'role-scope',
    title:
      'the trusted identity holds a secret-reading role on the secret the pod reads, or on its vault',
  },
  {
    id: 'secret-in-state',
    title: 'no Key Vault secret is written with "value" (Terraform would keep it in state)',
  },
  {
    id: 'secret-value',
    title: 'no secret value (from TF_VAR_secret_*) appears in any synthesized file',
    needs: 'secretValues',
  },
  {
    id: 'placeholders',
    title: 'no placeholder binding is left in manifests meant for kubectl apply',
    needs: 'forApply',
  },
  {
    id: 'kubernetes-stack',
    title:
      "the Kubernetes stack applies exactly the objects of the manifests, bound to the Azure stack's outputs",
    needs: 'kubernetesStack',
  },
  {
    id: 'kube-config-output',
    title: "no output of either stack carries the cluster's kube config (admin credentials)",
  },
] as const satisfies readonly CheckInfo[];

/** Id of one check of `CHECKS`. */
export type CheckId = (typeof CHECKS)[number]['id'];

/** The checks that run on this pair with these options (the others need something not given). */
export function checksRun(pair: SynthesizedPair, options: CheckOptions = {}): CheckInfo[] {
  const known = {
    secretValues: (options.secretValues ?? []).length > 0,
    forApply: options.forApply === true,
    kubernetesStack: pair.kubernetesTerraform !== undefined,
  };
  return (CHECKS as readonly CheckInfo[]).filter((c) => c.needs === undefined || known[c.needs]);
}

/** One problem found in a synthesized pair: what, where, the failure it prevents and the fix. */
export interface Finding {
  /** Stable id of the check, e.g. `credential-subject`. */
  readonly check: CheckId;
  readonly severity: 'error' | 'warning';
  /** The object or resource at fault, e.g. `Pod workload-id-test/demo-pod`. */
  readonly subject: string;
  readonly message: string;
  /** The failure at run time this check prevents. */
  readonly prevents: string;
  readonly fix: string;
}

/** What else a check may know. */
export interface CheckOptions {
  /** Deployed values per workload, to compare with the annotations. */
  readonly bindings?: ReadonlyMap<string, WorkloadBindings>;
  /** Secret values that must appear in no file. */
  readonly secretValues?: readonly string[];
  /** The manifests are about to be applied: placeholders are errors. */
  readonly forApply?: boolean;
}

/** A pod or a pod template, with where it came from. */
interface PodView {
  readonly ref: string;
  readonly namespace: string;
  readonly labels: Record<string, string>;
  readonly annotations: Record<string, string>;
  readonly spec: any;
}

/** Every check, in the order they are reported. */
export function checkPair(pair: SynthesizedPair, options: CheckOptions = {}): Finding[] {
  const findings: Finding[] = [];
  const add = (f: Finding) => findings.push(f);
  const tf = pair.terraform;
  const credentials = federatedCredentials(tf);
  const identities = new Map(
    [
      ...resourcesOf(tf, 'azurerm_user_assigned_identity'),
      ...resourcesOf(tf, 'azuread_application'),
    ].map((r) => [r.address, r]),
  );
  // A role names an application's service principal; the credential names the application itself.
  const principalOwner = new Map(
    resourcesOf(tf, 'azuread_service_principal').map((sp) => [
      sp.address,
      parseReference(sp.values.client_id)?.address,
    ]),
  );
  const identityOfPrincipal = (principalId: unknown) => {
    const address = parseReference(principalId)?.address;
    return principalOwner.get(address ?? '') ?? address;
  };
  const deployed = deployedClientIds(tf, options.bindings);
  const roles = resourcesOf(tf, 'azurerm_role_assignment');
  const secrets = resourcesOf(tf, 'azurerm_key_vault_secret');
  const accounts = objectsOf(pair, 'ServiceAccount');
  const namespaces = new Set(objectsOf(pair, 'Namespace').map((n) => n.metadata.name));

  for (const cluster of resourcesOf(tf, 'azurerm_kubernetes_cluster')) {
    for (const flag of ['oidc_issuer_enabled', 'workload_identity_enabled']) {
      if (cluster.values[flag] !== true) {
        add({
          check: 'cluster-features',
          severity: 'error',
          subject: cluster.address,
          message: `${flag} is not true`,
          prevents: 'the cluster issues no token Entra can verify and the webhook never runs',
          fix: `set ${flag} = true on the cluster`,
        });
      }
    }
  }

  const credentialsByIdentity = new Map<string, TerraformResource[]>();
  for (const credential of credentials) {
    const parent =
      parseReference(credential.values.parent_id)?.address ?? String(credential.values.parent_id);
    credentialsByIdentity.set(parent, [...(credentialsByIdentity.get(parent) ?? []), credential]);
    const audience = credential.values.audience;
    if (!Array.isArray(audience) || audience.length !== 1 || audience[0] !== TOKEN_AUDIENCE) {
      add({
        check: 'credential-audience',
        severity: 'error',
        subject: credential.address,
        message: `audience is ${JSON.stringify(audience)}, not ["${TOKEN_AUDIENCE}"]`,
        prevents:
          "AADSTS700212 (older Entra: AADSTS70021): the token's audience matches no credential",
        fix: `set audience = ["${TOKEN_AUDIENCE}"]`,
      });
    }
    const issuer = credential.values.issuer;
    const reference = parseReference(issuer);
    if (reference) {
      // The cluster this stack creates, or an existing one it reads.
      if (
        !/^(data\.)?azurerm_kubernetes_cluster\./.test(reference.address) ||
        reference.attribute !== 'oidc_issuer_url'
      ) {
        add({
          check: 'credential-issuer',
          severity: 'error',
          subject: credential.address,
          message: `issuer ${issuer} is not a cluster's oidc_issuer_url`,
          prevents:
            "AADSTS700211 (older Entra: AADSTS70021): the token's issuer matches no credential",
          fix: "set issuer to the cluster's oidc_issuer_url attribute",
        });
      }
    } else if (
      typeof issuer !== 'string' ||
      !issuer.startsWith('https://') ||
      !issuer.endsWith('/')
    ) {
      add({
        check: 'credential-issuer',
        severity: 'error',
        subject: credential.address,
        message: `issuer ${JSON.stringify(issuer)} is a literal${typeof issuer === 'string' && !issuer.endsWith('/') ? ' without the trailing "/"' : ''}`,
        prevents:
          'AADSTS700211 (older Entra: AADSTS70021): AKS tokens carry the issuer URL with its trailing "/"',
        fix: "reference the cluster's oidc_issuer_url instead of copying it",
      });
    }
  }

  for (const [identity, list] of credentialsByIdentity) {
    if (list.length > MAX_FEDERATED_CREDENTIALS_PER_IDENTITY) {
      add({
        check: 'credential-limit',
        severity: 'error',
        subject: identity,
        message: `${list.length} federated credentials, more than ${MAX_FEDERATED_CREDENTIALS_PER_IDENTITY}`,
        prevents: 'the deploy fails: Entra allows 20 federated credentials per identity',
        fix: 'spread the service accounts over more identities',
      });
    }
    const dependents = list.filter((c) =>
      list.some((other) => other !== c && dependsOn(c, other.address)),
    );
    if (dependents.length < list.length - 1) {
      add({
        check: 'credential-serialized',
        severity: 'error',
        subject: identity,
        message: `${list.length} federated credentials are not chained with depends_on`,
        prevents:
          'ConcurrentFederatedIdentityCredentialsWritesForSingleManagedIdentity during deploy',
        fix: 'make each credential of one identity depend on the previous one',
      });
    }
  }

  for (const pod of podViews(pair)) {
    const accountName: string | undefined = pod.spec?.serviceAccountName;
    const account = accounts.find(
      (a) => a.metadata.name === accountName && a.metadata.namespace === pod.namespace,
    );
    const annotated = account?.metadata.annotations?.[CLIENT_ID] !== undefined;
    const labelled = pod.labels[USE_LABEL] === 'true';
    if (!labelled && !annotated) continue; // not a workload identity pod
    if (!namespaces.has(pod.namespace)) {
      add({
        check: 'namespace',
        severity: 'error',
        subject: pod.ref,
        message: `namespace ${pod.namespace} is not in the manifests`,
        prevents: 'kubectl apply fails: namespace not found',
        fix: 'add the Namespace object',
      });
    }
    if (!labelled) {
      const onAccount = account?.metadata.labels?.[USE_LABEL] === 'true';
      add({
        check: 'workload-label',
        severity: 'error',
        subject: pod.ref,
        message: `the pod lacks the label ${USE_LABEL}: "true"${onAccount ? ' (it is on the service account, which the webhook ignores)' : ''}`,
        prevents:
          'the webhook does not inject AZURE_CLIENT_ID and the token file: the credential finds no workload identity',
        fix: `label the pod (or the Deployment's pod template) ${USE_LABEL}: "true"`,
      });
    }
    if (!account) {
      add({
        check: 'service-account',
        severity: 'error',
        subject: pod.ref,
        message: `service account ${JSON.stringify(accountName)} is not in namespace ${pod.namespace} of the manifests`,
        prevents: 'the pod is refused, or runs as "default" which no credential trusts',
        fix: 'set serviceAccountName to the annotated service account',
      });
      continue;
    }
    const accountRef = `ServiceAccount ${pod.namespace}/${account.metadata.name}`;
    const clientId = account.metadata.annotations?.[CLIENT_ID];
    if (!clientId) {
      add({
        check: 'client-id-annotation',
        severity: 'error',
        subject: accountRef,
        message: `annotation ${CLIENT_ID} is missing`,
        prevents: 'no AZURE_CLIENT_ID is injected: the credential cannot sign in',
        fix: "annotate the service account with the identity's client id",
      });
    }
    for (const [where, annotations] of [
      [pod.ref, pod.annotations],
      [accountRef, account.metadata.annotations ?? {}],
    ] as const) {
      const expiration = annotations[EXPIRATION];
      if (
        expiration !== undefined &&
        !(/^\d+$/.test(expiration) && Number(expiration) >= 3600 && Number(expiration) <= 86400)
      ) {
        add({
          check: 'token-expiration',
          severity: 'error',
          subject: where,
          message: `${EXPIRATION} is ${JSON.stringify(expiration)}, outside 3600..86400`,
          prevents: 'the webhook rejects the pod',
          fix: 'use a whole number of seconds from 3600 to 86400',
        });
      }
    }

    const subject = `system:serviceaccount:${pod.namespace}:${account.metadata.name}`;
    const trusting = credentials.filter((c) => c.values.subject === subject);
    if (trusting.length === 0) {
      const near = credentials.map((c) => String(c.values.subject)).join(', ') || 'none';
      add({
        check: 'credential-subject',
        severity: 'error',
        subject: pod.ref,
        message: `no federated credential has subject ${subject} (found: ${near})`,
        prevents:
          "AADSTS700213 (older Entra: AADSTS70021): no federated credential has the token's subject",
        fix: "derive the credential's subject from the same namespace and service account as the manifests",
      });
      continue;
    }
    const trustingIdentities = new Set(
      trusting.map((c) => parseReference(c.values.parent_id)?.address),
    );
    checkClientId(clientId, trustingIdentities, identities, deployed, options, add, accountRef);

    const containers: any[] = [...(pod.spec?.containers ?? [])];
    const secretName = containers
      .flatMap((c) => c.env ?? [])
      .find((e: any) => e.name === 'SECRET_NAME')?.value as string | undefined;
    if (!secretName) continue;
    const secret = secrets.find((s) => s.values.name === secretName);
    const vaultAddress = parseReference(secret?.values.key_vault_id)?.address;
    const covering = roles.filter((role) => {
      if (!READ_ROLES.has(role.values.role_definition_name)) return false;
      if (!trustingIdentities.has(identityOfPrincipal(role.values.principal_id))) return false;
      const scope = parseReference(role.values.scope);
      return (
        (secret && scope?.address === secret.address) ||
        (vaultAddress !== undefined &&
          scope?.address === vaultAddress &&
          scope.attribute === 'id') ||
        coversInExistingVault(role.values.scope, secretName)
      );
    });
    if (covering.length === 0) {
      add({
        check: 'role-scope',
        severity: 'error',
        subject: pod.ref,
        message: `the identity trusted for ${subject} holds no secret-reading role on secret ${JSON.stringify(secretName)} or its vault`,
        prevents: 'Key Vault answers 403 Forbidden (ForbiddenByRbac)',
        fix: `grant "Key Vault Secrets User" on the secret ${secretName} (or the vault) to that identity`,
      });
    }
  }

  checkFiles(pair, options, add);
  checkKubernetesStack(pair, options, add);
  checkOutputs(pair, add);
  return findings;
}

/** The deployed client ids by the identity that each workload's client id output names: built once, read for every service account. */
function deployedClientIds(
  tf: TerraformJson,
  bindings: ReadonlyMap<string, WorkloadBindings> = new Map(),
): Map<string | undefined, string[]> {
  const byIdentity = new Map<string | undefined, string[]>();
  for (const [workload, b] of bindings) {
    const identity = parseReference(tf.output?.[outputName(workload, 'clientId')]?.value)?.address;
    const clientIds = byIdentity.get(identity) ?? [];
    clientIds.push(b.clientId);
    byIdentity.set(identity, clientIds);
  }
  return byIdentity;
}

function checkClientId(
  clientId: string | undefined,
  trusting: Set<string | undefined>,
  identities: Map<string, TerraformResource>,
  deployed: Map<string | undefined, string[]>,
  options: CheckOptions,
  add: (f: Finding) => void,
  accountRef: string,
): void {
  if (!clientId || !options.bindings || isPlaceholder(clientId)) return;
  // The deployed client ids of the identities that trust this service account: the workloads whose client id output names one of them.
  const expected = [...trusting].flatMap((identity) => deployed.get(identity) ?? []);
  const known =
    expected.length > 0 ? expected : [...options.bindings.values()].map((b) => b.clientId);
  if (!known.includes(clientId)) {
    const names = [...trusting]
      .map(
        (a) =>
          identities.get(a ?? '')?.values.name ?? identities.get(a ?? '')?.values.display_name ?? a,
      )
      .join(', ');
    add({
      check: 'client-id-annotation',
      severity: 'error',
      subject: accountRef,
      message: `client id ${clientId} is not the client id of any deployed workload identity (expected the one of ${names})`,
      prevents:
        'AADSTS700016, or AADSTS700211/AADSTS700213 (older Entra: AADSTS70021): Entra looks for the credential on another identity',
      fix: 'synthesize the manifests from the outputs of the current deploy',
    });
  }
}

function checkFiles(pair: SynthesizedPair, options: CheckOptions, add: (f: Finding) => void): void {
  for (const secret of resourcesOf(pair.terraform, 'azurerm_key_vault_secret')) {
    if (secret.values.value !== undefined) {
      add({
        check: 'secret-in-state',
        severity: 'error',
        subject: secret.address,
        message: 'the secret is written with "value", which Terraform stores in state',
        prevents: 'the secret value leaks into terraform.tfstate',
        fix: 'write it with value_wo and value_wo_version from a sensitive variable',
      });
    }
  }
  for (const value of options.secretValues ?? []) {
    if (value.length < 3) continue; // too short to tell apart from ordinary text
    for (const [file, text] of pair.texts) {
      if (text.includes(value)) {
        add({
          check: 'secret-value',
          severity: 'error',
          subject: file,
          message: 'a secret value appears in the file',
          prevents: 'the secret leaks to whoever reads the synthesized files',
          fix: 'pass secret values only through TF_VAR_secret_<name> at deploy time',
        });
      }
    }
  }
  if (options.forApply) {
    const placeholders = pair.objects.filter((o) =>
      JSON.stringify(o).match(/placeholder-(client-id|tenant-id|vault|issuer)/),
    );
    for (const object of placeholders) {
      add({
        check: 'placeholders',
        severity: 'error',
        subject: `${object.kind} ${object.metadata.namespace ?? ''}/${object.metadata.name}`,
        message: 'the manifest still carries placeholder bindings',
        prevents: 'the workload signs in with a client id that does not exist',
        fix: 'deploy the Azure stack with --outputs-file, then synthesize the manifests again',
      });
    }
  }
}

function checkKubernetesStack(
  pair: SynthesizedPair,
  options: CheckOptions,
  add: (f: Finding) => void,
): void {
  const tf = pair.kubernetesTerraform;
  if (!tf) return;
  const where = pair.kubernetesTerraformFile ?? 'the Kubernetes stack';
  const fix = 'synthesize both sides from the same config (npm run synth)';
  const prevents =
    'deploy --single applies other objects than the ones verified and applied by kubectl';
  const key = (o: any) =>
    `${o?.apiVersion} ${o?.kind} ${o?.metadata?.namespace ?? ''}/${o?.metadata?.name}`;
  const manifests = new Map(
    resourcesOf(tf, 'kubernetes_manifest').map((r) => [key(r.values.manifest), r]),
  );
  const bound = boundOutputs(options.bindings);
  for (const object of pair.objects) {
    const ref = `${object.kind} ${object.metadata.namespace ?? ''}/${object.metadata.name}`;
    const resource = manifests.get(key(object));
    manifests.delete(key(object));
    if (!resource) {
      add({
        check: 'kubernetes-stack',
        severity: 'error',
        subject: ref,
        message: `no kubernetes_manifest of ${where} applies this object`,
        prevents,
        fix,
      });
      continue;
    }
    const difference = firstDifference(object, resource.values.manifest, bound);
    if (difference)
      add({
        check: 'kubernetes-stack',
        severity: 'error',
        subject: ref,
        message: `${resource.address} differs at ${difference}`,
        prevents,
        fix,
      });
  }
  for (const resource of manifests.values()) {
    add({
      check: 'kubernetes-stack',
      severity: 'error',
      subject: resource.address,
      message: `applies ${key(resource.values.manifest)}, which is not in the manifests`,
      prevents,
      fix,
    });
  }
}

/** Whether a Terraform output may stand for a value of the manifests: a placeholder of its kind, or the deployed value of that very output. */
function boundOutputs(
  bindings: ReadonlyMap<string, WorkloadBindings> = new Map(),
): (value: string, output: string) => boolean {
  const keys = Object.keys(PLACEHOLDER_BINDINGS) as (keyof WorkloadBindings)[];
  // Every (deployed value, output name) pair, built once: the lookup runs for each output reference of each manifest.
  // Output names never hold a line break, so the key cannot be ambiguous.
  const deployed = new Set(
    [...bindings].flatMap(([workload, b]) =>
      keys.map((key) => `${b[key]}\n${outputName(workload, key)}`),
    ),
  );
  return (value, output) =>
    keys.some(
      (key) => value === PLACEHOLDER_BINDINGS[key] && output.endsWith(outputName('', key)),
    ) || deployed.has(`${value}\n${output}`);
}

/** The path of the first difference between a manifest object and a Terraform one, where a binding may be an output reference. */
function firstDifference(
  expected: unknown,
  actual: unknown,
  bound: (value: string, output: string) => boolean,
  path = '',
): string | undefined {
  if (typeof expected === 'string' && typeof actual === 'string') {
    const output = /^\$\{data\.terraform_remote_state\.[\w-]+\.outputs\.([\w-]+)\}$/.exec(
      actual,
    )?.[1];
    if (expected === actual || (output !== undefined && bound(expected, output))) return undefined;
    return `${path || '<root>'}: ${JSON.stringify(expected)} in the manifests, ${JSON.stringify(actual)} in Terraform`;
  }
  if (
    expected &&
    actual &&
    typeof expected === 'object' &&
    typeof actual === 'object' &&
    Array.isArray(expected) === Array.isArray(actual)
  ) {
    const keys = [...new Set([...Object.keys(expected), ...Object.keys(actual)])];
    for (const k of keys) {
      const step = Array.isArray(expected)
        ? `[${k}]`
        : /^[A-Za-z_]\w*$/.test(k)
          ? `${path ? '.' : ''}${k}`
          : `[${JSON.stringify(k)}]`;
      const found = firstDifference((expected as any)[k], (actual as any)[k], bound, path + step);
      if (found) return found;
    }
    return undefined;
  }
  return expected === actual
    ? undefined
    : `${path || '<root>'}: ${JSON.stringify(expected)} in the manifests, ${JSON.stringify(actual)} in Terraform`;
}

function checkOutputs(pair: SynthesizedPair, add: (f: Finding) => void): void {
  for (const [file, tf] of [
    [pair.terraformFile, pair.terraform],
    [pair.kubernetesTerraformFile, pair.kubernetesTerraform],
  ] as const) {
    for (const [name, output] of Object.entries(tf?.output ?? {})) {
      if (/\bkube_(admin_)?config\b/.test(JSON.stringify(output.value))) {
        add({
          check: 'kube-config-output',
          severity: 'error',
          subject: `output.${name} of ${file}`,
          message: "the output carries the cluster's kube config",
          prevents: 'cluster-admin credentials land in the outputs file and on the terminal',
          fix: 'let the Kubernetes stack read the kube config through a data source, never through an output',
        });
      }
    }
  }
}

/** A scope on a vault the stack only reads: `${data.azurerm_key_vault.<name>.id}`, or that plus `/secrets/<secret>`. */
function coversInExistingVault(scope: unknown, secretName: string): boolean {
  const match =
    typeof scope === 'string'
      ? /^\$\{data\.azurerm_key_vault\.[\w-]+\.id\}(?:\/secrets\/([\w-]+))?$/.exec(scope)
      : null;
  return (
    match !== null &&
    (match[1] === undefined || match[1].toLowerCase() === secretName.toLowerCase())
  );
}

/**
 * The federated credentials of managed identities and of applications, in one shape: `parent_id` names the identity,
 * `audience` lists the audiences.
 */
function federatedCredentials(tf: TerraformJson): TerraformResource[] {
  const ofApplications = resourcesOf(tf, 'azuread_application_federated_identity_credential').map(
    (c) => ({
      ...c,
      values: { ...c.values, parent_id: c.values.application_id, audience: c.values.audiences },
    }),
  );
  return [...resourcesOf(tf, 'azurerm_federated_identity_credential'), ...ofApplications];
}

function dependsOn(resource: TerraformResource, address: string): boolean {
  const list = resource.values.depends_on;
  return Array.isArray(list) && list.includes(address);
}

function podViews(pair: SynthesizedPair): PodView[] {
  const view = (kind: string, object: KubeObject, meta: any, spec: any): PodView => ({
    ref: `${kind} ${object.metadata.namespace ?? 'default'}/${object.metadata.name}`,
    namespace: object.metadata.namespace ?? 'default',
    labels: meta?.labels ?? {},
    annotations: meta?.annotations ?? {},
    spec,
  });
  return pair.objects.flatMap((o) => {
    if (o.kind === 'Pod') return [view('Pod', o, o.metadata, o.spec)];
    if (['Deployment', 'StatefulSet', 'DaemonSet', 'Job', 'ReplicaSet'].includes(o.kind))
      return [view(o.kind, o, o.spec?.template?.metadata, o.spec?.template?.spec)];
    return [];
  });
}
