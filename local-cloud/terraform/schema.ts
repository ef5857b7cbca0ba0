/**
 * The provider schemas the local provider server serves, in the compact form the generator writes
 * (`schemas/<provider>.json`, made by `generate-schemas.ts` from the prebuilt provider packages).
 */

import azuread from './schemas/azuread.json';
import azurerm from './schemas/azurerm.json';
import kubernetes from './schemas/kubernetes.json';
import time from './schemas/time.json';

/** A cty type in Terraform's JSON type notation. */
export type CtyType =
  | 'string'
  | 'number'
  | 'bool'
  | 'dynamic'
  | ['list' | 'set' | 'map', CtyType]
  | ['object', { [attribute: string]: CtyType }]
  | ['tuple', CtyType[]];

export interface AttributeSchema {
  type: CtyType;
  required?: true;
  optional?: true;
  computed?: true;
  sensitive?: true;
  /** Terraform accepts ephemeral values here and the provider never stores them (e.g. `value_wo`). */
  writeOnly?: true;
}

export interface NestedBlockSchema {
  nesting: 'single' | 'list' | 'set';
  minItems?: number;
  maxItems?: number;
  block: BlockSchema;
}

export interface BlockSchema {
  attributes: { [name: string]: AttributeSchema };
  blocks: { [name: string]: NestedBlockSchema };
}

export interface ResourceSchema {
  block: BlockSchema;
  /** Answers as providers built on Terraform's legacy SDK do, which Terraform holds to looser consistency rules. */
  legacyTypeSystem?: true;
}

export interface ProviderSchema {
  /** Short name, e.g. `azurerm`. */
  name: string;
  /** Registry address, e.g. `registry.terraform.io/hashicorp/azurerm`. */
  source: string;
  version: string;
  provider: BlockSchema;
  resources: { [type: string]: ResourceSchema };
  dataSources: { [type: string]: ResourceSchema };
}

/** Every provider the local cloud serves, by short name. */
export const PROVIDER_SCHEMAS: { readonly [name: string]: ProviderSchema } = {
  azurerm: azurerm as unknown as ProviderSchema,
  azuread: azuread as unknown as ProviderSchema,
  kubernetes: kubernetes as unknown as ProviderSchema,
  time: time as unknown as ProviderSchema,
};

/** The cty object type of a block: its attributes, and its nested blocks as objects, lists or sets of objects. */
export function blockType(block: BlockSchema): CtyType {
  const attributes: { [name: string]: CtyType } = {};
  for (const [name, attribute] of Object.entries(block.attributes))
    attributes[name] = attribute.type;
  for (const [name, nested] of Object.entries(block.blocks)) {
    const element = blockType(nested.block);
    attributes[name] = nested.nesting === 'single' ? element : [nested.nesting, element];
  }
  return ['object', attributes];
}
