import { DataAzurermClientConfig } from '@cdktf/provider-azurerm/lib/data-azurerm-client-config';
import { ResourceGroup } from '@cdktf/provider-azurerm/lib/resource-group';
import { TerraformStack, Testing } from 'cdktf';
import type { TerraformJson } from '../../verify/synthesized-pair';

/** What a construct test builds in: a stack with a resource group and the deployer's client config. */
export interface AzureScope {
  readonly stack: TerraformStack;
  readonly resourceGroup: ResourceGroup;
  readonly deployer: DataAzurermClientConfig;
}

/** A fresh stack for one construct test. */
export function azureScope(): AzureScope {
  const stack = new TerraformStack(Testing.app(), 'test');
  return {
    stack,
    resourceGroup: new ResourceGroup(stack, 'ResourceGroup', {
      name: 'rg',
      location: 'westeurope',
    }),
    deployer: new DataAzurermClientConfig(stack, 'Deployer'),
  };
}

/** The stack's Terraform JSON. */
export function synthJson(stack: TerraformStack): TerraformJson {
  return JSON.parse(Testing.synth(stack));
}
