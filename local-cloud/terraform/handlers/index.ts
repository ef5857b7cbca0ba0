/**
 * Which handler gives each resource type and data source its behaviour, per provider. The provider server serves
 * exactly the types listed here (a type in the schema without a handler fails at plan with a clear error).
 *
 * Handlers run inside the provider process that Terraform starts; Terraform passes its environment on, so a handler
 * finds the local cloud's work directory in `WI_LOCAL_CLOUD_WORK_DIR` (set by `runTerraform`).
 */
import type { DataSourceHandler, ResourceHandler } from '../handler';
import { timeSleep } from './time-sleep';

export interface ProviderHandlers {
  readonly resources: { readonly [type: string]: ResourceHandler };
  readonly dataSources: { readonly [type: string]: DataSourceHandler };
}

/** By provider short name (`azurerm`, `azuread`, `kubernetes`, `time`). */
export const HANDLERS: { readonly [provider: string]: ProviderHandlers } = {
  azurerm: { resources: {}, dataSources: {} },
  azuread: { resources: {}, dataSources: {} },
  kubernetes: { resources: {}, dataSources: {} },
  time: { resources: { time_sleep: timeSleep }, dataSources: {} },
};
