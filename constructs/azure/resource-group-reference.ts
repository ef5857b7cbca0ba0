/**
 * Where a resource lives: a resource group this stack creates (an `azurerm_resource_group` satisfies this interface)
 * or one that exists already.
 */
export interface ResourceGroupReference {
  /** The group's name. */
  readonly name: string;
  /** The region of the resources this stack creates in the group. */
  readonly location: string;
}
