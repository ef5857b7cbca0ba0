import { DataAzureadClientConfig } from '@cdktf/provider-azuread/lib/data-azuread-client-config';
import { AzureadProvider } from '@cdktf/provider-azuread/lib/provider';
import { describe, expect, it } from 'vitest';
import { ApplicationIdentity } from '../../../constructs/azure/application-identity';
import { resourcesOf } from '../../../verify/synthesized-pair';
import { azureScope, synthJson } from '../../support/azure-helpers';

describe('ApplicationIdentity', () => {
  it('makes the deployer owner of the application and of its service principal', () => {
    const { stack } = azureScope();
    const deployer = new DataAzureadClientConfig(stack, 'ApplicationDeployer');
    new ApplicationIdentity(stack, 'Application', { displayName: 'app', deployer });
    const tf = synthJson(stack);
    const owner = '${data.azuread_client_config.ApplicationDeployer.object_id}';
    expect(resourcesOf(tf, 'azuread_application')[0].values.owners).toEqual([owner]);
    expect(resourcesOf(tf, 'azuread_service_principal')[0].values.owners).toEqual([owner]);
  });

  it("makes the deployer's principal in the resource tenant owner of the service principal there", () => {
    const { stack } = azureScope();
    const deployer = new DataAzureadClientConfig(stack, 'ApplicationDeployer');
    const provider = new AzureadProvider(stack, 'azuread-resources', {
      alias: 'resources',
      tenantId: 'bbbbbbbb-0000-4000-a000-000000000002',
    });
    new ApplicationIdentity(stack, 'Application', {
      displayName: 'app',
      deployer,
      resourceTenant: {
        tenantId: 'bbbbbbbb-0000-4000-a000-000000000002',
        provider,
        deployer: new DataAzureadClientConfig(stack, 'ResourceTenantDeployer', { provider }),
      },
    });
    const tf = synthJson(stack);
    expect(resourcesOf(tf, 'azuread_application')[0].values.owners).toEqual([
      '${data.azuread_client_config.ApplicationDeployer.object_id}',
    ]);
    expect(resourcesOf(tf, 'azuread_service_principal')[0].values).toMatchObject({
      owners: ['${data.azuread_client_config.ResourceTenantDeployer.object_id}'],
      provider: 'azuread.resources',
    });
  });
});
