import { App as CdktfApp } from 'cdktf';
import { AZURE_STACK_NAME, KUBERNETES_STACK_NAME } from './config/outputs';
import type { Config } from './config/schema';
import { BOOTSTRAP_STACK_NAME } from './config/state';
import { CHART_NAME } from './constructs/kubernetes/workload-chart';
import { AzureStack } from './constructs/stacks/azure-stack';
import { BootstrapStack } from './constructs/stacks/bootstrap-stack';
import { KubernetesStack } from './constructs/stacks/kubernetes-stack';

export { CHART_NAME };

/** The cdktf stacks of one config. */
export interface Stacks {
  /** The Azure side. */
  readonly azure: AzureStack;
  /** The Kubernetes side applied through Terraform, after the Azure side (the one-command path). */
  readonly kubernetes: KubernetesStack;
  /** With `state`: the storage of the remote state and the CI deployer (`workload-id bootstrap`). */
  readonly bootstrap?: BootstrapStack;
}

/** Synthesize the Azure side alone to `<outdir>/stacks/<stack>/cdk.tf.json`. @default outdir - `CDKTF_OUTDIR` when the cdktf CLI runs us, else `cdktf.out` */
export function synthAzure(config: Config, outdir?: string): AzureStack {
  const app = new CdktfApp({ outdir, skipValidation: false });
  const stack = new AzureStack(app, AZURE_STACK_NAME, { config });
  app.synth();
  return stack;
}

/**
 * Synthesize both cdktf stacks, `workload-identity` and `workload-identity-k8s`, to `<outdir>/stacks/<stack>/cdk.tf.json`.
 *
 * `cdktf deploy workload-identity` deploys the Azure side alone; `cdktf deploy --all` both, in order.
 * @default outdir - `CDKTF_OUTDIR` when the cdktf CLI runs us, else `cdktf.out`
 */
export function synthStacks(config: Config, outdir?: string): Stacks {
  const app = new CdktfApp({ outdir, skipValidation: false });
  const azure = new AzureStack(app, AZURE_STACK_NAME, { config });
  const kubernetes = new KubernetesStack(app, KUBERNETES_STACK_NAME, { config, azureStack: azure });
  const bootstrap = config.state
    ? new BootstrapStack(app, BOOTSTRAP_STACK_NAME, { config })
    : undefined;
  app.synth();
  return { azure, kubernetes, bootstrap };
}

/** Synthesize the bootstrap stack alone (the config must have `state`). @default outdir - `cdktf.out` */
export function synthBootstrap(config: Config, outdir?: string): BootstrapStack {
  const app = new CdktfApp({ outdir, skipValidation: false });
  const stack = new BootstrapStack(app, BOOTSTRAP_STACK_NAME, { config });
  app.synth();
  return stack;
}

export { synthManifests } from './manifests/synth-manifests';
