// cdk8s entry (`cdk8s synth`): the Kubernetes side, bound to the outputs file in WI_OUTPUTS (or outputs.json) when it exists.
import { loadConfig } from '../config/load-config';
import { loadBindings } from '../config/outputs';
import { runEntry } from '../config/user-error';
import { synthManifests } from './synth-manifests';

runEntry(() => {
  const config = loadConfig();
  const bindings = loadBindings(config);
  if (bindings.source === 'placeholders') {
    console.error(
      `${bindings.file} not found: manifests carry placeholder client id, tenant id and vault URL (not for kubectl apply)`,
    );
  }
  synthManifests(config, bindings.byWorkload);
});
