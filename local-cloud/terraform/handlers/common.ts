/**
 * What the Azure handlers share: the store, the provider block's subscription and tenant, reading cty values, and
 * Azure's "not found" answers.
 */
import {
  CloudStore,
  type CloudStoreData,
  deployerObjectId,
  resourceGroupId,
  sameId,
} from '../../core/cloud-store';
import { type Attributes, AzureError, type HandlerContext, UNKNOWN, type Value } from '../handler';

let store: CloudStore | undefined;

/** The local cloud's store, named in the provider's environment (`WI_LOCAL_CLOUD_STORE` or the work directory). */
export function cloudStore(): CloudStore {
  // Read the environment each time: tests point handlers at one store after another.
  const current = CloudStore.fromEnv();
  if (store?.file !== current.file) store = current;
  return store;
}

/** A string attribute, or undefined when null, unknown or empty. */
export function str(value: Value | undefined): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/** A string attribute that must be set. */
export function required(attributes: Attributes, name: string): string {
  const value = str(attributes[name]);
  if (value === undefined)
    throw new AzureError(
      'InvalidParameter',
      `The argument "${name}" is required, but no definition was found.`,
      [name],
    );
  return value;
}

export function bool(value: Value | undefined, fallback: boolean): boolean {
  return typeof value === 'boolean' ? value : fallback;
}

export function num(value: Value | undefined, fallback: number): number {
  return typeof value === 'number' ? value : fallback;
}

export function strings(value: Value | undefined): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
}

/** A string map attribute (`tags`). */
export function stringMap(value: Value | undefined): Record<string, string> {
  if (!value || typeof value !== 'object' || Array.isArray(value)) return {};
  return Object.fromEntries(
    Object.entries(value).filter((e): e is [string, string] => typeof e[1] === 'string'),
  );
}

/** The first item of a nested block (a list with at most one item, or a single object), if any. */
export function block(value: Value | undefined): Attributes | undefined {
  const item = Array.isArray(value) ? value[0] : value;
  return item && typeof item === 'object' && !Array.isArray(item)
    ? (item as Attributes)
    : undefined;
}

/**
 * The new state: `planned` with every unknown replaced by what Azure computed (`computed`), or null where Azure
 * computes nothing. Nested values are walked, so no unknown is ever returned after apply.
 */
export function resolve(planned: Attributes, computed: Attributes): Attributes {
  const out: Attributes = {};
  // Only the schema's attributes: Terraform's planned state has every one of them, null when unset.
  for (const [name, value] of Object.entries(planned))
    out[name] = clearUnknown(name in computed ? computed[name] : value);
  return out;
}

/** A data source's result: what Azure returned, for the attributes its schema has (the config has all of them). */
export function known(config: Attributes, values: Attributes): Attributes {
  return Object.fromEntries(
    Object.entries(config).map(([name, value]) => [name, name in values ? values[name] : value]),
  );
}

function clearUnknown(value: Value): Value {
  if (value === UNKNOWN) return null;
  if (Array.isArray(value)) return value.map(clearUnknown);
  if (value && typeof value === 'object')
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, clearUnknown(v)]));
  return value;
}

/** Where a provider block deploys: its subscription and tenant, and the deployer's object there. */
export interface ArmTarget {
  readonly subscriptionId: string;
  readonly tenantId: string;
  readonly principalId: string;
}

/**
 * The provider block's subscription (`subscription_id`, else `ARM_SUBSCRIPTION_ID`, which azurerm 4 requires) and
 * tenant (`tenant_id`, else `ARM_TENANT_ID`, else the subscription's).
 */
export function armTarget(context: HandlerContext, data: CloudStoreData): ArmTarget {
  const subscriptionId =
    str(context.providerConfig.subscription_id) ?? process.env.ARM_SUBSCRIPTION_ID;
  if (!subscriptionId) {
    throw new AzureError(
      'SubscriptionIdMissing',
      '`subscription_id` is a required provider property when performing a plan/apply operation (set it in the provider block or as ARM_SUBSCRIPTION_ID)',
    );
  }
  const subscription = data.subscriptions.find((s) => sameId(s.id, subscriptionId));
  if (!subscription)
    throw new AzureError(
      'SubscriptionNotFound',
      `The subscription '${subscriptionId}' could not be found.`,
    );
  const tenantId =
    str(context.providerConfig.tenant_id) ?? process.env.ARM_TENANT_ID ?? subscription.tenantId;
  if (!sameId(tenantId, subscription.tenantId)) {
    throw new AzureError(
      'InvalidAuthenticationTokenTenant',
      `The access token is from the wrong issuer 'https://sts.windows.net/${tenantId}/'. It must match the tenant 'https://sts.windows.net/${subscription.tenantId}/' associated with this subscription.`,
    );
  }
  return {
    subscriptionId: subscription.id,
    tenantId,
    principalId: deployerObjectId(data, tenantId),
  };
}

/** The tenant an azuread provider block signs in to (`tenant_id`, else `ARM_TENANT_ID`, else the deployer's home). */
export function entraTenant(
  context: HandlerContext,
  data: CloudStoreData,
): { tenantId: string; principalId: string } {
  const tenantId =
    str(context.providerConfig.tenant_id) ??
    process.env.ARM_TENANT_ID ??
    data.deployer.homeTenantId;
  if (!data.tenants.includes(tenantId)) {
    throw new AzureError(
      'TenantNotFound',
      `AADSTS90002: Tenant '${tenantId}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud.`,
    );
  }
  return { tenantId, principalId: deployerObjectId(data, tenantId) };
}

/** The resource group `name` of a subscription, or Azure's `ResourceGroupNotFound`. */
export function resourceGroupOf(data: CloudStoreData, subscriptionId: string, name: string) {
  const group = data.resourceGroups.find(
    (g) => sameId(g.subscriptionId, subscriptionId) && g.name.toLowerCase() === name.toLowerCase(),
  );
  if (!group)
    throw new AzureError('ResourceGroupNotFound', `Resource group '${name}' could not be found.`, [
      'resource_group_name',
    ]);
  return group;
}

/** Azure resource id of a resource in a group. */
export function armId(
  subscriptionId: string,
  group: string,
  provider: string,
  name: string,
): string {
  return `${resourceGroupId(subscriptionId, group)}/providers/${provider}/${name}`;
}

/** The parts of an Azure resource id: subscription, group and last name. */
export function parseArmId(id: string): {
  subscriptionId: string;
  resourceGroupName: string;
  name: string;
} {
  const match = /^\/subscriptions\/([^/]+)\/resourceGroups\/([^/]+)(?:\/.*)?\/([^/]+)$/i.exec(id);
  if (!match)
    throw new AzureError(
      'InvalidResourceId',
      `parsing ${JSON.stringify(id)}: not an Azure resource id`,
    );
  return { subscriptionId: match[1], resourceGroupName: match[2], name: match[3] };
}

/** Azure's 404 for a resource a data source reads. */
export function notFound(kind: string, name: string, group: string): AzureError {
  return new AzureError(
    'ResourceNotFound',
    `${kind} (Subscription: ...; Resource Group Name: "${group}"; Name: "${name}") was not found`,
  );
}

/** Resolve after `ms`. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** The location Azure stores: lower case, no spaces (`West Europe` -> `westeurope`). */
export function normalizeLocation(location: string): string {
  return location.replaceAll(' ', '').toLowerCase();
}

/**
 * Whether `state` is what an import hands to Read: the id alone (azurerm's and azuread's importers pass the id
 * through, internal/tf/pluginsdk/imports.go), every argument still unset.
 */
export function importedState(state: Attributes): boolean {
  return Object.entries(state).every(
    ([name, value]) => name === 'id' || name === 'timeouts' || value === null,
  );
}

/**
 * A value as the plugin SDK keeps what Read sets: equal to what the unset argument means (its zero value, or its
 * `Default`), it stays null where the state had it null, since the SDK sees no difference between the two
 * (terraform-plugin-sdk v2 `helper/schema`, vendored in azurerm v4.55.0 and azuread v3.7.0); otherwise, and always
 * on import (but for an empty string), the value Azure holds.
 */
export function asSet(value: Value, state: Attributes, name: string, unset: Value): Value {
  // An empty string never reaches state as such: the SDK's shims keep it null (legacy flatmap has no "" vs null).
  if (value === '') return null;
  if (importedState(state)) return value;
  const isUnset = JSON.stringify(value) === JSON.stringify(unset);
  return isUnset && (state[name] ?? null) === null ? null : value;
}

/** `tags` as azurerm's `tags.FlattenAndSet` leaves them: Azure's map, or null for none (the SDK reads both alike). */
export function tagsValue(tags: Record<string, string>, _state: Attributes): Value {
  return Object.keys(tags).length > 0 ? { ...tags } : null;
}

/** The first item of the provider block's `features` block named `name` (e.g. `key_vault`), or an empty object. */
export function featureBlock(context: HandlerContext, name: string): Attributes {
  return block(block(context.providerConfig.features)?.[name]) ?? {};
}
