// cdktf entry (`cdktf synth`, `cdktf deploy`): the Azure side from the config in WI_CONFIG or the default.
import { loadConfig } from './config/load-config';
import { synthAzure } from './synth';

synthAzure(loadConfig());
