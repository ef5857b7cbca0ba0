import { type KubeObject, type PodSpec, podTemplateOf } from '../config/kubernetes-object';
import { CLIENT_ID_ANNOTATION, USE_WORKLOAD_IDENTITY_LABEL } from '../config/webhook';
import {
  objectsOf,
  parseReference,
  resourcesOf,
  type SynthesizedPair,
  type TerraformResource,
} from './synthesized-pair';

/** A pod (or a controller's pod template) that uses workload identity, and what trusts it on the Azure side. */
export interface WorkloadPod {
  /** `Pod workload-id-test/demo-pod`, `Deployment ns/name` */
  readonly ref: string;
  readonly namespace: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly annotations: Readonly<Record<string, string>>;
  readonly spec: PodSpec;
  /** The pod carries `azure.workload.identity/use: "true"`. */
  readonly labelled: boolean;
  /** `spec.serviceAccountName` */
  readonly accountName?: string;
  /** The service account of that name in the pod's namespace, when the manifests hold it. */
  readonly account?: KubeObject;
  /** `ServiceAccount <namespace>/<name>` */
  readonly accountRef: string;
  /** `system:serviceaccount:<namespace>:<service account>`: the subject of the pod's tokens. */
  readonly subject: string;
  /** The federated credentials whose subject is the pod's. */
  readonly trusting: readonly TerraformResource[];
  /** The identities (addresses) of those credentials. */
  readonly trustingIdentities: ReadonlySet<string>;
  /** The value of an environment variable of the pod's containers (the first that sets it). */
  readonly env: (name: string) => string | undefined;
}

/** What several checks read from a pair, derived once. */
export interface PairModel {
  /** Federated credentials of managed identities and of applications, in one shape (`parent_id`, `audience`). */
  readonly credentials: readonly TerraformResource[];
  /** The credentials by the identity (address, or the literal parent id) they belong to, in file order. */
  readonly credentialsByIdentity: ReadonlyMap<string, readonly TerraformResource[]>;
  /** Managed identities and applications by address. */
  readonly identities: ReadonlyMap<string, TerraformResource>;
  /** The identity (address) a role assignment's `principal_id` stands for: an application for its service principal. */
  readonly identityOfPrincipal: (principalId: unknown) => string | undefined;
  /** The pods that use workload identity: labelled, or running as an annotated service account. */
  readonly workloadPods: readonly WorkloadPod[];
  /** The namespaces the manifests create. */
  readonly namespaces: ReadonlySet<string>;
}

/** Derive the model of a pair. */
export function modelOf(pair: SynthesizedPair): PairModel {
  const tf = pair.terraform;
  const credentials = federatedCredentials(pair);
  const credentialsByIdentity = new Map<string, TerraformResource[]>();
  for (const credential of credentials) {
    const parent = identityOfCredential(credential);
    credentialsByIdentity.set(parent, [...(credentialsByIdentity.get(parent) ?? []), credential]);
  }
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
  return {
    credentials,
    credentialsByIdentity,
    identities: new Map(
      [
        ...resourcesOf(tf, 'azurerm_user_assigned_identity'),
        ...resourcesOf(tf, 'azuread_application'),
      ].map((r) => [r.address, r]),
    ),
    identityOfPrincipal,
    workloadPods: workloadPodsOf(pair, credentials),
    namespaces: new Set(objectsOf(pair, 'Namespace').map((n) => n.metadata.name)),
  };
}

/** The identity a credential belongs to: the address its `parent_id` references, else the literal. */
export function identityOfCredential(credential: TerraformResource): string {
  return (
    parseReference(credential.values.parent_id)?.address ?? String(credential.values.parent_id)
  );
}

/** The role assignments held by an identity that trusts the pod. */
export function rolesHeldBy(
  pod: WorkloadPod,
  roles: readonly TerraformResource[],
  model: PairModel,
): TerraformResource[] {
  return roles.filter((role) => {
    const identity = model.identityOfPrincipal(role.values.principal_id);
    return identity !== undefined && pod.trustingIdentities.has(identity);
  });
}

/** `Kind namespace/name` of an object (`Kind /name` when cluster-scoped), as findings name it. */
export function refOf(object: KubeObject): string {
  return `${object.kind} ${object.metadata.namespace ?? ''}/${object.metadata.name}`;
}

/**
 * The federated credentials of managed identities and of applications, in one shape: `parent_id` names the identity,
 * `audience` lists the audiences.
 */
function federatedCredentials(pair: SynthesizedPair): TerraformResource[] {
  const tf = pair.terraform;
  const ofApplications = resourcesOf(tf, 'azuread_application_federated_identity_credential').map(
    (c) => ({
      ...c,
      values: { ...c.values, parent_id: c.values.application_id, audience: c.values.audiences },
    }),
  );
  return [...resourcesOf(tf, 'azurerm_federated_identity_credential'), ...ofApplications];
}

function workloadPodsOf(
  pair: SynthesizedPair,
  credentials: readonly TerraformResource[],
): WorkloadPod[] {
  const accounts = objectsOf(pair, 'ServiceAccount');
  return pair.objects.flatMap((object) => {
    const template = podTemplateOf(object);
    if (!template) return [];
    const namespace = object.metadata.namespace ?? 'default';
    const accountName = template.spec.serviceAccountName;
    const account = accounts.find(
      (a) => a.metadata.name === accountName && (a.metadata.namespace ?? 'default') === namespace,
    );
    const labels = template.metadata.labels ?? {};
    const labelled = labels[USE_WORKLOAD_IDENTITY_LABEL] === 'true';
    if (!labelled && account?.metadata.annotations?.[CLIENT_ID_ANNOTATION] === undefined) return [];
    const subject = `system:serviceaccount:${namespace}:${accountName ?? 'default'}`;
    const trusting = credentials.filter((c) => c.values.subject === subject);
    const containers = Array.isArray(template.spec.containers) ? template.spec.containers : [];
    const env = (name: string) => {
      const value = containers
        .flatMap((c) => (Array.isArray(c?.env) ? c.env : []))
        .find((e) => e?.name === name)?.value;
      return typeof value === 'string' ? value : undefined;
    };
    return [
      {
        ref: `${object.kind} ${namespace}/${object.metadata.name}`,
        namespace,
        labels,
        annotations: template.metadata.annotations ?? {},
        spec: template.spec,
        labelled,
        accountName,
        account,
        accountRef: `ServiceAccount ${namespace}/${accountName ?? 'default'}`,
        subject,
        trusting,
        trustingIdentities: new Set(trusting.map(identityOfCredential)),
        env,
      },
    ];
  });
}
