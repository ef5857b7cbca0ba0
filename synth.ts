import { App as Cdk8sApp } from 'cdk8s';
import { App as CdktfApp } from 'cdktf';
import { AZURE_STACK_NAME, type WorkloadBindings } from './config/outputs';
import type { Config } from './config/schema';
import { AzureStack } from './constructs/azure-stack';
import { WorkloadChart } from './manifests/workload-chart';

/** Name of the chart, and so of its file `dist/<name>.k8s.yaml`. */
export const CHART_NAME = 'workload-identity';

/** Synthesize the Azure side to `<outdir>/stacks/<stack>/cdk.tf.json`. @default outdir - `CDKTF_OUTDIR` when the cdktf CLI runs us, else `cdktf.out` */
export function synthAzure(config: Config, outdir?: string): AzureStack {
  const app = new CdktfApp({ outdir, skipValidation: false });
  const stack = new AzureStack(app, AZURE_STACK_NAME, { config });
  app.synth();
  return stack;
}

/** Synthesize the Kubernetes side to `<outdir>/workload-identity.k8s.yaml`. @default outdir - `CDK8S_OUTDIR` when the cdk8s CLI runs us, else `dist` */
export function synthManifests(config: Config, bindings: ReadonlyMap<string, WorkloadBindings>, outdir?: string): WorkloadChart {
  const app = new Cdk8sApp({ outdir });
  const chart = new WorkloadChart(app, CHART_NAME, { config, bindings });
  app.synth();
  return chart;
}
