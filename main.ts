// cdktf entry (`cdktf synth`, `cdktf deploy`): both stacks from the config in WI_CONFIG or the default.
// `cdktf deploy workload-identity` deploys the Azure side; `cdktf deploy workload-identity workload-identity-k8s` also
// applies the Kubernetes side.
import { loadConfig } from './config/load-config';
import { runEntry } from './config/user-error';
import { synthStacks } from './synth';

runEntry(() => synthStacks(loadConfig()));
