import { Chart } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import type { Construct } from 'constructs';
import { BUILT_IN_NAMESPACES, MANAGED_BY, MANAGED_BY_LABEL } from '../../config/cluster-objects';
import { PLACEHOLDER_IMAGE, type WorkloadBindings } from '../../config/outputs';
import { SAMPLES, type Sample } from '../../config/samples';
import type { Config } from '../../config/schema';
import { Workload } from './workload';
import { WorkloadServiceAccount } from './workload-service-account';

/** Id of the chart: names its file `dist/<name>.k8s.yaml` and is part of the `cdk8s.io/metadata.addr` label of its pods. */
export const CHART_NAME = 'workload-identity';

/** Properties of a `WorkloadChart`. */
export interface WorkloadChartProps {
  readonly config: Config;
  /** Values known after deploy, by workload name (outputs file, or explicit placeholders). */
  readonly bindings: ReadonlyMap<string, WorkloadBindings>;
  /**
   * Images deploy built, pinned by digest, by `build` name (`app` -> `<registry>.azurecr.io/workload-id-app@sha256:...`).
   * @default - none: `build` workloads get `PLACEHOLDER_IMAGE`, which `verify --for-apply` refuses
   */
  readonly builtImages?: ReadonlyMap<string, string>;
}

/** The Kubernetes side of the lab: namespaces, annotated service accounts and the labelled workloads (pods or Deployments). */
export class WorkloadChart extends Chart {
  constructor(scope: Construct, id: string, props: WorkloadChartProps) {
    // The label lets destroy delete only what deploy made, and tells a namespace deploy made from one it found.
    super(scope, id, {
      disableResourceNameHashes: true,
      labels: { [MANAGED_BY_LABEL]: MANAGED_BY },
    });
    const namespaces = new Set<string>();
    const accounts = new Map<string, WorkloadServiceAccount>();
    for (const workload of props.config.workloads) {
      const bindings = props.bindings.get(workload.name);
      if (!bindings)
        throw new Error(
          `no bindings for workload ${JSON.stringify(workload.name)}: the outputs do not match the config`,
        );
      // A namespace every cluster has is used, never created: applying it would adopt it, destroying it would empty it.
      if (!namespaces.has(workload.namespace) && !BUILT_IN_NAMESPACES.has(workload.namespace)) {
        namespaces.add(workload.namespace);
        new kplus.Namespace(this, `Namespace-${workload.namespace}`, {
          metadata: { name: workload.namespace },
        });
      }
      const key = `${workload.namespace}-${workload.serviceAccount}`;
      let account = accounts.get(key);
      if (!account) {
        account = new WorkloadServiceAccount(this, `ServiceAccount-${key}`, {
          name: workload.serviceAccount,
          namespace: workload.namespace,
          clientId: bindings.clientId,
          tenantId: bindings.tenantId,
        });
        accounts.set(key, account);
      }
      const sample: Sample | undefined = workload.sample ? SAMPLES[workload.sample] : undefined;
      new Workload(this, `Workload-${workload.name}`, {
        name: workload.pod,
        serviceAccount: account,
        image:
          workload.image ??
          sample?.image ??
          (workload.build && props.builtImages?.get(workload.build)) ??
          PLACEHOLDER_IMAGE,
        vaultName: sample ? bindings.vaultName : undefined,
        runsOnce: sample?.runsOnce ?? false,
        memory: sample?.memory,
        writablePaths: sample?.writablePaths,
        os: workload.os,
        injectProxySidecar: workload.injectProxySidecar,
        vaultUrl: bindings.vaultUrl,
        secretName: workload.secret,
        // A sample prints the value whatever it is given (config/schema.ts refuses false with one): say so to it.
        showSecret: workload.showSecret ?? sample !== undefined,
        kind: workload.kind,
        replicas: workload.replicas,
        tokenExpirationSeconds: workload.tokenExpirationSeconds,
        skipContainers: workload.skipContainers,
      });
    }
  }
}
