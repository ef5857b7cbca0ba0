/**
 * Which handler gives each resource type and data source its behaviour, per provider. The provider server serves
 * exactly the types listed here (a type in the schema without a handler fails at plan with a clear error).
 *
 * Handlers run inside the provider process that Terraform starts; Terraform passes its environment on, so a handler
 * finds the local cloud's work directory in `WI_LOCAL_CLOUD_WORK_DIR` (set by `runTerraform`).
 */
import type { DataSourceHandler, ResourceHandler } from '../handler';
import { CLOUD_DATA_SOURCE_HANDLERS, CLOUD_RESOURCE_HANDLERS } from './cloud';
import { timeSleep } from './time-sleep';

export interface ProviderHandlers {
  readonly resources: { readonly [type: string]: ResourceHandler };
  readonly dataSources: { readonly [type: string]: DataSourceHandler };
}

// The store-backed handlers of one provider: its types all start with the provider's name.
function byPrefix(prefix: string): ProviderHandlers {
  const of = <T>(all: { readonly [type: string]: T }) =>
    Object.fromEntries(Object.entries(all).filter(([type]) => type.startsWith(prefix)));
  return { resources: of(CLOUD_RESOURCE_HANDLERS), dataSources: of(CLOUD_DATA_SOURCE_HANDLERS) };
}

/** By provider short name (`azurerm`, `azuread`, `kubernetes`, `time`). */
export const HANDLERS: { readonly [provider: string]: ProviderHandlers } = {
  azurerm: byPrefix('azurerm_'),
  azuread: byPrefix('azuread_'),
  kubernetes: byPrefix('kubernetes_'),
  time: { resources: { time_sleep: timeSleep }, dataSources: {} },
};
