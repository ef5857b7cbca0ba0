import { App } from 'cdk8s';
import type { WorkloadBindings } from '../config/outputs';
import type { Config } from '../config/schema';
import { CHART_NAME, WorkloadChart } from '../constructs/kubernetes/workload-chart';

/** Synthesize the Kubernetes side to `<outdir>/workload-identity.k8s.yaml`. @default outdir - `CDK8S_OUTDIR` when the cdk8s CLI runs us, else `dist`
 *
 * Apart from synth.ts so that `cdk8s synth` loads cdk8s alone, not cdktf and the provider bindings. */
export function synthManifests(
  config: Config,
  bindings: ReadonlyMap<string, WorkloadBindings>,
  outdir?: string,
  builtImages?: ReadonlyMap<string, string>,
): WorkloadChart {
  const app = new App({ outdir });
  const chart = new WorkloadChart(app, CHART_NAME, { config, bindings, builtImages });
  app.synth();
  return chart;
}

/** The chart's objects for a config, in memory: nothing is written (destroy names what to delete with them). */
export function manifestObjects(
  config: Config,
  bindings: ReadonlyMap<string, WorkloadBindings>,
): unknown[] {
  return new WorkloadChart(new App(), CHART_NAME, { config, bindings }).toJson();
}
