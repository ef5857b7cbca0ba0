import { DataAzurermKubernetesCluster } from '@cdktf/provider-azurerm/lib/data-azurerm-kubernetes-cluster';
import { AzurermProvider } from '@cdktf/provider-azurerm/lib/provider';
import { Manifest } from '@cdktf/provider-kubernetes/lib/manifest';
import { KubernetesProvider } from '@cdktf/provider-kubernetes/lib/provider';
import { App as Cdk8sApp } from 'cdk8s';
import { conditional, Fn, Op, TerraformResource, TerraformStack, Token } from 'cdktf';
import type { Construct } from 'constructs';
import { KUBELOGIN, KUBELOGIN_ARGS } from '../../config/aks';
import { type Container, type KubeObject, podTemplateOf } from '../../config/kubernetes-object';
import {
  CLUSTER_NAME_OUTPUT,
  outputName,
  RESOURCE_GROUP_OUTPUT,
  type WorkloadBindings,
} from '../../config/outputs';
import type { Config } from '../../config/schema';
import { INJECT_PROXY_SIDECAR_ANNOTATION } from '../../config/webhook';
import { CHART_NAME, WorkloadChart } from '../kubernetes/workload-chart';
import type { AzureStack } from './azure-stack';
import { stateBackend } from './state-backend';

/** Properties of a `KubernetesStack`. */
export interface KubernetesStackProps {
  /** The validated config: the workloads whose objects this stack applies. */
  readonly config: Config;
  /** The stack that creates the cluster, the identities and the vault: this one reads its outputs and deploys after it. */
  readonly azureStack: AzureStack;
}

/**
 * The Kubernetes side applied by Terraform: the objects of `WorkloadChart`, one `kubernetes_manifest` each.
 *
 * The one-command path (`cdktf deploy --all`): the chart is bound to the Azure stack's outputs through its state
 * (the same output names as the outputs file), and the provider signs in with the cluster's kube config, read by a
 * data source so that no credential passes through an output.
 * `kubernetes_manifest` needs the API server at plan time: that is why it lives in a stack of its own,
 * planned only once the Azure stack has created the cluster.
 * @see https://registry.terraform.io/providers/hashicorp/kubernetes/latest/docs/resources/manifest
 */
export class KubernetesStack extends TerraformStack {
  /** The chart whose objects this stack applies (bound to Terraform references, not to literal values). */
  readonly chart: WorkloadChart;
  /** One `kubernetes_manifest` per object of the chart, in the chart's order. */
  readonly manifests: readonly Manifest[];

  constructor(scope: Construct, id: string, props: KubernetesStackProps) {
    super(scope, id);
    const { config, azureStack } = props;
    stateBackend(this, config.state);
    this.addDependency(azureStack);

    // The Azure stack's outputs, read from its state: the same contract as the outputs file of the two-step path.
    const azure = azureStack.backend.getRemoteStateDataSource(
      this,
      'AzureOutputs',
      azureStack.node.id,
    );
    new AzurermProvider(this, 'azurerm', { features: [{}] });
    // The cluster the Azure stack built or read, where it really lives: its outputs, never names re-derived from the config.
    const cluster = new DataAzurermKubernetesCluster(this, 'Cluster', {
      name: azure.getString(CLUSTER_NAME_OUTPUT),
      resourceGroupName: azure.getString(RESOURCE_GROUP_OUTPUT),
      lifecycle: {
        // The data source swallows a 403 on the user credentials (empty kube_config): the provider could not sign
        // in at all. Stop at plan with the reason instead of a bare 401 later. (No client certificate is fine: a
        // cluster with Microsoft Entra integration is reached through kubelogin, below.)
        postcondition: [
          {
            condition: '${try(self.kube_config[0].host, "") != ""}',
            errorMessage:
              "The cluster's user kube config could not be read (empty kube_config): the deployer needs the right to list the cluster's user credentials (Azure Kubernetes Service Cluster User Role), or deploy the Kubernetes side in two steps (deploy without --single: kubectl applies dist/ with your own credentials).",
          },
        ],
      },
    });
    const kubeConfig = cluster.kubeConfig.get(0);
    // With Entra ID integration (local accounts disabled) the user kube config holds no client certificate: the
    // provider then signs in through kubelogin with the Azure CLI's login, as kubectl does.
    const certificateless = Op.lt(Fn.lengthOf(kubeConfig.clientCertificate), 1);
    const provider = new KubernetesProvider(this, 'kubernetes', {
      host: kubeConfig.host,
      clientCertificate: Token.asString(
        conditional(
          certificateless,
          Token.nullValue(),
          Fn.base64decode(kubeConfig.clientCertificate),
        ),
      ),
      clientKey: Token.asString(
        conditional(certificateless, Token.nullValue(), Fn.base64decode(kubeConfig.clientKey)),
      ),
      clusterCaCertificate: Fn.base64decode(kubeConfig.clusterCaCertificate),
    });
    provider.addOverride('dynamic.exec', {
      for_each: conditional(certificateless, [KUBELOGIN], []),
      content: {
        api_version: 'client.authentication.k8s.io/v1beta1',
        command: KUBELOGIN,
        args: KUBELOGIN_ARGS,
      },
    });

    const bindings = new Map<string, WorkloadBindings>(
      config.workloads.map((w) => {
        const output = (key: keyof WorkloadBindings) => azure.getString(outputName(w.name, key));
        return [
          w.name,
          {
            clientId: output('clientId'),
            tenantId: output('tenantId'),
            vaultUrl: output('vaultUrl'),
            vaultName: output('vaultName'),
            oidcIssuerUrl: output('oidcIssuerUrl'),
          },
        ];
      }),
    );
    // A throwaway cdk8s app: only the chart's objects are wanted, never its YAML file. Same id as dist/'s chart, same labels.
    this.chart = new WorkloadChart(new Cdk8sApp(), CHART_NAME, { config, bindings });

    const created = new Map<string, Manifest>();
    this.manifests = (this.chart.toJson() as KubeObject[]).map((object) => {
      const prerequisites = prerequisitesOf(object).flatMap((key) => created.get(key) ?? []);
      const id = manifestId(object);
      // A Pod's spec is immutable, and server-side apply would take out what the webhook added at CREATE: a changed
      // bare Pod is deleted and created again (with the webhook's current injection), never patched.
      const podManifest = object.kind === 'Pod' ? replacementTrigger(this, id, object) : undefined;
      const manifest = new Manifest(this, id, {
        manifest: object,
        computedFields: computedFieldsOf(object),
        dependsOn: prerequisites.length > 0 ? prerequisites : undefined,
        // A plain address: cdktf 0.21 writes a resource given here as "${...}", which Terraform refuses in a lifecycle.
        lifecycle: podManifest
          ? {
              replaceTriggeredBy: [
                `${podManifest.terraformResourceType}.${podManifest.friendlyUniqueId}`,
              ],
            }
          : undefined,
      });
      created.set(
        objectKey(object.kind, object.metadata.namespace, object.metadata.name),
        manifest,
      );
      return manifest;
    });
  }
}

/**
 * A `terraform_data` whose `triggers_replace` is the object: it is replaced when the object changes, and with it what
 * names it in `replace_triggered_by`. Written as a plain resource: cdktf's `DataResource` runs `terraform version` at
 * synth to check for 1.4, which synth must not need (the project asks for 1.11 at deploy anyway).
 */
function replacementTrigger(scope: Construct, id: string, object: KubeObject): TerraformResource {
  const trigger = new TerraformResource(scope, `${id}-manifest`, {
    terraformResourceType: 'terraform_data',
  });
  trigger.addOverride('triggers_replace', object);
  return trigger;
}

/** `Kind-namespace-name`: a stable construct id, and so a stable Terraform address. */
function manifestId(object: KubeObject): string {
  return [object.kind, object.metadata.namespace, object.metadata.name]
    .filter(Boolean)
    .join('-')
    .replaceAll('.', '_');
}

function objectKey(kind: string, namespace: string | undefined, name: string): string {
  return `${kind}/${namespace ?? ''}/${name}`;
}

/** What must exist first: the namespace of a namespaced object, and the service account of a pod. */
function prerequisitesOf(object: KubeObject): string[] {
  const namespace = object.metadata.namespace;
  if (!namespace) return [];
  const keys = [objectKey('Namespace', undefined, namespace)];
  const spec = podTemplateOf(object)?.spec;
  if (spec?.serviceAccountName)
    keys.push(objectKey('ServiceAccount', namespace, spec.serviceAccountName));
  return keys;
}

/**
 * Fields the API server may change on apply: the provider's default, plus what the workload identity webhook
 * (Azure/azure-workload-identity v1.6.0, pkg/webhook/webhook.go) writes into a pod at CREATE, where the manifest sets
 * the field itself:
 * - every container's and init container's `env` (AZURE_CLIENT_ID, ...) and `volumeMounts` (the token; :236-237,
 *   :251-261);
 * - `volumes` (the projected token, appended; :239);
 * - with `inject-proxy-sidecar`, `initContainers` (proxy-init appended, and on Kubernetes >= 1.32 the proxy as a
 *   native sidecar put first; :113-116, :213-215) or, before 1.32, `containers` (the proxy put first; :217).
 *
 * The kubernetes provider keeps in state what the API server returns (manifest/provider/apply.go:461-477, v2.38.0):
 * a field the webhook changes outside these fails the apply ("Provider produced inconsistent result after apply"). A
 * field the manifest leaves out is unknown in the plan anyway. (A Deployment's template is not mutated, only its pods.)
 */
function computedFieldsOf(object: KubeObject): string[] | undefined {
  if (object.kind !== 'Pod') return undefined;
  const spec = object.spec ?? {};
  const containerFields = (list: 'containers' | 'initContainers') =>
    ((spec[list] as readonly Container[] | undefined) ?? []).flatMap((c, i) =>
      (['env', 'volumeMounts'] as const)
        .filter((field) => c[field] !== undefined)
        .map((field) => `spec.${list}[${i}].${field}`),
    );
  const proxy = object.metadata.annotations?.[INJECT_PROXY_SIDECAR_ANNOTATION] !== undefined;
  return [
    'metadata.annotations',
    'metadata.labels',
    ...(spec.volumes !== undefined ? ['spec.volumes'] : []),
    ...(proxy ? ['spec.initContainers', 'spec.containers'] : []),
    ...(proxy ? [] : [...containerFields('initContainers'), ...containerFields('containers')]),
  ];
}
