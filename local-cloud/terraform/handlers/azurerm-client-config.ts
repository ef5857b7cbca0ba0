/** `data.azurerm_client_config`: who the azurerm provider block signed in as, where. */
import type { DataSourceHandler } from '../handler';
import { armTarget, cloudStore } from './common';

export const azurermClientConfig: DataSourceHandler = {
  async read({ config, context }) {
    const data = cloudStore().read();
    const { subscriptionId, tenantId, principalId } = armTarget(context, data);
    return {
      ...config,
      id: `clientConfigs/clientId=${data.deployer.clientId};objectId=${principalId};subscriptionId=${subscriptionId};tenantId=${tenantId}`,
      client_id: data.deployer.clientId,
      object_id: principalId,
      subscription_id: subscriptionId,
      tenant_id: tenantId,
    };
  },
};
