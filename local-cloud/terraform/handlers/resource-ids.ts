/**
 * The real providers' resource ID parsers, as `terraform import` meets them: case-sensitive, with their own error text.
 *
 * azurerm v4.55.0 validates an import ID before anything else (`internal/tf/pluginsdk/imports.go`,
 * `ImporterValidatingResourceId` and `ImporterValidatingIdentity`) with go-azure-helpers' segment parser
 * (`vendor/github.com/hashicorp/go-azure-helpers/resourcemanager/resourceids/parse.go`, `Parse(input, false)`: static
 * segments compare exactly, so `/resourcegroups/` is refused) and its errors (`error_segment_not_specified.go`,
 * `error_number_of_segments_didnt_match.go`, `errors.go`). A few older resources use the legacy key/value parser
 * (`resourceids/legacy.go`), and Key Vault items their data-plane URL (`internal/services/keyvault/parse/nested_item.go`).
 * azuread v3.7.0 parses Microsoft Graph ids with the same segment parser, and credentials as
 * `{objectId}/{type}/{subId}` (`internal/services/applications/parse/object.go`).
 */
import { AzureError } from '../handler';

/** The provider's own refusal of an ID: its message is the whole diagnostic, as the real provider prints it. */
export class InvalidIdError extends AzureError {
  constructor(message: string) {
    // An empty code: the diagnostic is the message alone (a code is always "included" in it).
    super('', message);
    this.name = 'InvalidIdError';
  }
}

type Segment =
  | { kind: 'static'; name: string; fixed: string }
  | { kind: 'provider'; name: string; fixed: string }
  | { kind: 'subscription'; name: string; example: string }
  | { kind: 'group'; name: string; example: string }
  | { kind: 'user'; name: string; example: string };

/** One ID type: its name as the errors print it (the Go type without `Id`) and its segments. */
export interface IdType {
  readonly name: string;
  readonly segments: readonly Segment[];
}

const example = (s: Segment) => ('fixed' in s ? s.fixed : s.example);

function describe(s: Segment): string {
  switch (s.kind) {
    case 'static':
      return `should be the literal value ${JSON.stringify(s.fixed)}`;
    case 'provider':
      return `should be the name of the Resource Provider [for example '${s.fixed}']`;
    case 'subscription':
      return 'should be the UUID of the Azure Subscription';
    case 'group':
      return 'should be the name of the Resource Group';
    case 'user':
      return `should be the user specified value for this ${s.name.replace(/Name$/, '')} [for example ${JSON.stringify(s.example)}]`;
  }
}

const expected = (type: IdType) => `/${type.segments.map(example).join('/')}`;

function segmentNotSpecified(type: IdType, position: number, input: string): string {
  return `parsing the ${type.name} ID: the segment at position ${position} didn't match\n\nExpected a ${type.name} ID that matched:\n\n> ${expected(type)}\n\nHowever this value was provided:\n\n> ${input}\n\nThe parsed Resource ID was missing a value for the segment at position ${position}\n(which ${describe(type.segments[position] as Segment)}).\n\n`;
}

function numberOfSegments(type: IdType, parsed: Map<string, string>, input: string): string {
  const expectedSegments = type.segments
    .map((s, i) => `* Segment ${i} - this ${describe(s)}`)
    .join('\n');
  const parsedSegments = type.segments
    .map((s, i) =>
      parsed.has(s.name)
        ? `* Segment ${i} - parsed as ${JSON.stringify(parsed.get(s.name))}`
        : `* Segment ${i} - not found`,
    )
    .join('\n');
  return `parsing the ${type.name} ID: the number of segments didn't match\n\nExpected a ${type.name} ID that matched (containing ${type.segments.length} segments):\n\n> ${expected(type)}\n\nHowever this value was provided (which was parsed into ${parsed.size} segments):\n\n> ${input}\n\nThe following Segments are expected:\n\n${expectedSegments}\n\nThe following Segments were parsed:\n\n${parsedSegments}\n`;
}

/**
 * go-azure-helpers' `Parser.Parse(input, false)`: the values of the segments by name, or the parser's error text.
 * Only IDs without scope segments (every type the project imports).
 */
export function parseSegments(type: IdType, input: string): Record<string, string> {
  if (input === '') throw new InvalidIdError('cannot parse an empty string');
  const parts = input.replace(/^\//, '').split('/');
  const parsed = new Map<string, string>();
  if (parts.length < type.segments.length)
    throw new InvalidIdError(numberOfSegments(type, parsed, input));
  let rest = input.replace(/^\//, '');
  type.segments.forEach((segment, i) => {
    const raw = parts[i] as string;
    if ((segment.kind === 'static' || segment.kind === 'provider') && raw !== segment.fixed)
      throw new InvalidIdError(
        `parsing segment ${JSON.stringify(segment.name)}: ${segmentNotSpecified(type, i, input)}`,
      );
    parsed.set(segment.name, raw);
    rest = rest.startsWith(raw) ? rest.slice(raw.length) : rest;
    rest = rest.replace(/^\//, '');
  });
  if (rest !== '')
    throw new InvalidIdError(
      `unexpected segment ${JSON.stringify(rest)} present at the end of the URI (input ${JSON.stringify(input)})`,
    );
  const empty = type.segments.findIndex((s) => parsed.get(s.name) === '');
  if (empty >= 0) throw new InvalidIdError(segmentNotSpecified(type, empty, input));
  return Object.fromEntries(parsed);
}

/** `Parse<Type>ID`: the segment parser's error wrapped as `parsing "<input>": ...`. */
export function parseId(type: IdType, input: string): Record<string, string> {
  try {
    return parseSegments(type, input);
  } catch (err) {
    if (err instanceof InvalidIdError && input !== '')
      throw new InvalidIdError(`parsing ${JSON.stringify(input)}: ${err.message}`);
    throw err;
  }
}

const SUBSCRIPTION_EXAMPLE = '12345678-1234-9876-4563-123456789012';
const GROUP_EXAMPLE = 'example-resource-group';

// An ARM id in a resource group: subscriptions/{s}/resourceGroups/{g}/providers/{provider}/{type}/{name}[/...].
function armType(
  name: string,
  staticNames: { subscriptions: string; resourceGroups: string; providers: string },
  provider: { name: string; fixed: string },
  children: readonly [staticName: string, fixed: string, userName: string, userExample: string][],
): IdType {
  return {
    name,
    segments: [
      { kind: 'static', name: staticNames.subscriptions, fixed: 'subscriptions' },
      { kind: 'subscription', name: 'subscriptionId', example: SUBSCRIPTION_EXAMPLE },
      { kind: 'static', name: staticNames.resourceGroups, fixed: 'resourceGroups' },
      { kind: 'group', name: 'resourceGroupName', example: GROUP_EXAMPLE },
      { kind: 'static', name: staticNames.providers, fixed: 'providers' },
      { kind: 'provider', ...provider },
      ...children.flatMap(([staticName, fixed, userName, userExample]): Segment[] => [
        { kind: 'static', name: staticName, fixed },
        { kind: 'user', name: userName, example: userExample },
      ]),
    ],
  };
}

const STATIC = {
  subscriptions: 'staticSubscriptions',
  resourceGroups: 'staticResourceGroups',
  providers: 'staticProviders',
};

/** go-azure-helpers `commonids/resource_group.go` (azurerm imports it with `ImporterValidatingIdentity`: unwrapped). */
export const RESOURCE_GROUP_ID: IdType = {
  name: 'ResourceGroup',
  segments: [
    { kind: 'static', name: 'subscriptions', fixed: 'subscriptions' },
    { kind: 'subscription', name: 'subscriptionId', example: SUBSCRIPTION_EXAMPLE },
    { kind: 'static', name: 'resourceGroups', fixed: 'resourceGroups' },
    { kind: 'group', name: 'resourceGroupName', example: GROUP_EXAMPLE },
  ],
};

/** go-azure-helpers `commonids/user_assigned_identity.go`. */
export const USER_ASSIGNED_IDENTITY_ID = armType(
  'UserAssignedIdentity',
  { subscriptions: 'subscriptions', resourceGroups: 'resourceGroups', providers: 'providers' },
  { name: 'resourceProvider', fixed: 'Microsoft.ManagedIdentity' },
  [
    [
      'userAssignedIdentities',
      'userAssignedIdentities',
      'userAssignedIdentityName',
      'userAssignedIdentityValue',
    ],
  ],
);

/** go-azure-sdk `managedidentity/2024-11-30/federatedidentitycredentials/id_federatedidentitycredential.go`. */
export const FEDERATED_IDENTITY_CREDENTIAL_ID = armType(
  'FederatedIdentityCredential',
  STATIC,
  { name: 'staticMicrosoftManagedIdentity', fixed: 'Microsoft.ManagedIdentity' },
  [
    [
      'staticUserAssignedIdentities',
      'userAssignedIdentities',
      'userAssignedIdentityName',
      'userAssignedIdentityName',
    ],
    [
      'staticFederatedIdentityCredentials',
      'federatedIdentityCredentials',
      'federatedIdentityCredentialName',
      'federatedIdentityCredentialName',
    ],
  ],
);

/** go-azure-helpers `commonids/kubernetes_cluster.go`. */
export const KUBERNETES_CLUSTER_ID = armType(
  'KubernetesCluster',
  STATIC,
  { name: 'staticMicrosoftContainerService', fixed: 'Microsoft.ContainerService' },
  [['staticManagedClusters', 'managedClusters', 'managedClusterName', 'managedClusterValue']],
);

/** go-azure-helpers `commonids/key_vault.go`. */
export const KEY_VAULT_ID = armType(
  'KeyVault',
  STATIC,
  { name: 'staticMicrosoftKeyVault', fixed: 'Microsoft.KeyVault' },
  [['staticVaults', 'vaults', 'vaultName', 'vaultValue']],
);

/** go-azure-sdk `containerregistry/2025-04-01/registries/id_registry.go`. */
export const REGISTRY_ID = armType(
  'Registry',
  STATIC,
  { name: 'staticMicrosoftContainerRegistry', fixed: 'Microsoft.ContainerRegistry' },
  [['staticRegistries', 'registries', 'registryName', 'registryName']],
);

/** go-azure-sdk `microsoft-graph/common-types/stable/id_application.go` (azuread). */
export const APPLICATION_ID: IdType = {
  name: 'Application',
  segments: [
    { kind: 'static', name: 'applications', fixed: 'applications' },
    { kind: 'user', name: 'applicationId', example: 'applicationId' },
  ],
};

/** go-azure-sdk `microsoft-graph/common-types/stable/id_serviceprincipal.go` (azuread). */
export const SERVICE_PRINCIPAL_ID: IdType = {
  name: 'ServicePrincipal',
  segments: [
    { kind: 'static', name: 'servicePrincipals', fixed: 'servicePrincipals' },
    { kind: 'user', name: 'servicePrincipalId', example: 'servicePrincipalId' },
  ],
};

/**
 * go-azure-helpers' legacy `ParseAzureResourceID` (`resourceids/legacy.go`): key/value pairs; `subscriptions` and
 * `resourceGroups` (or `resourcegroups`) are taken out, the first `providers` too, the rest stays by key.
 */
export function parseLegacyId(id: string): {
  subscriptionId: string;
  resourceGroup: string;
  provider: string;
  path: Map<string, string>;
} {
  if (!id.startsWith('/'))
    throw new InvalidIdError(
      `parsing Azure ID: parse ${JSON.stringify(id)}: invalid URI for request`,
    );
  const path = id.replace(/^\//, '').replace(/\/$/, '');
  const parts = path.split('/');
  if (parts.length % 2 !== 0)
    throw new InvalidIdError(
      `the number of path segments is not divisible by 2 in ${JSON.stringify(path)}`,
    );
  let subscriptionId = '';
  let provider = '';
  const map = new Map<string, string>();
  for (let i = 0; i < parts.length; i += 2) {
    const key = parts[i] as string;
    const value = parts[i + 1] as string;
    if (key === '' || value === '')
      throw new InvalidIdError(
        `Key/Value cannot be empty strings. Key: '${key}', Value: '${value}'`,
      );
    if (key === 'subscriptions' && subscriptionId === '') subscriptionId = value;
    else if (key === 'providers' && provider === '') provider = value;
    else map.set(key, value);
  }
  if (subscriptionId === '')
    throw new InvalidIdError(`No subscription ID found in: ${JSON.stringify(path)}`);
  const resourceGroup = map.get('resourceGroups') ?? map.get('resourcegroups') ?? '';
  map.delete(map.has('resourceGroups') ? 'resourceGroups' : 'resourcegroups');
  return { subscriptionId, resourceGroup, provider, path: map };
}

/** azurerm `internal/services/containers/parse/node_pool.go` `NodePoolID`. */
export function parseNodePoolId(input: string): { clusterName: string; poolName: string } {
  let id: ReturnType<typeof parseLegacyId>;
  try {
    id = parseLegacyId(input);
  } catch (err) {
    throw new InvalidIdError(
      `parsing ${JSON.stringify(input)} as an NodePool ID: ${(err as Error).message}`,
    );
  }
  if (id.resourceGroup === '')
    throw new InvalidIdError("ID was missing the 'resourceGroups' element");
  const pop = (name: string) => {
    const value = id.path.get(name);
    if (value === undefined) throw new InvalidIdError(`ID was missing the \`${name}\` element`);
    id.path.delete(name);
    return value;
  };
  const clusterName = pop('managedClusters');
  const poolName = pop('agentPools');
  if (id.path.size > 0)
    throw new InvalidIdError(
      `ID contained more segments than required: ${JSON.stringify(input)}, map[${[...id.path].map(([k, v]) => `${k}:${v}`).join(' ')}]`,
    );
  return { clusterName, poolName };
}

/** azurerm `internal/services/authorization/parse/role_assignment.go` `RoleAssignmentID`, for ARM scopes. */
export function parseRoleAssignmentId(input: string): { name: string } {
  if (input === '') throw new InvalidIdError('the Role Assignment ID is an empty string');
  const id = input.split('|')[0] as string;
  if (!id.startsWith('/subscriptions/'))
    throw new InvalidIdError(`could not parse Role Assignment ID ${JSON.stringify(id)}`);
  let parsed: ReturnType<typeof parseLegacyId>;
  try {
    parsed = parseLegacyId(id);
  } catch {
    throw new InvalidIdError(`could not parse ${JSON.stringify(id)} as Azure resource ID`);
  }
  const name = parsed.path.get('roleAssignments');
  if (name === undefined) throw new InvalidIdError('ID was missing the `roleAssignments` element');
  return { name };
}

/**
 * azurerm `internal/services/keyvault/parse/nested_item.go` `ParseNestedItemID`: a versioned data-plane URL
 * `https://<vault>.vault.azure.net/secrets/<name>/<version>`.
 */
export function parseNestedItemId(input: string): {
  baseUrl: string;
  type: string;
  name: string;
  version: string;
} {
  let url: URL;
  try {
    if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(input) && !input.startsWith('/'))
      throw new Error(`parse ${JSON.stringify(input)}: invalid URI for request`);
    url = new URL(input, 'https://invalid.invalid');
  } catch (err) {
    throw new InvalidIdError(`cannot parse azure key vault child ID: ${(err as Error).message}`);
  }
  const components = url.pathname.replace(/^\//, '').replace(/\/$/, '').split('/');
  if (components.length !== 2 && components.length !== 3)
    throw new InvalidIdError(
      `key vault nested item should contain 2 or 3 segments, found ${components.length} segment(s) in ${JSON.stringify(input)}`,
    );
  const types = ['certificates', 'keys', 'secrets', 'storage'];
  if (!types.includes(components[0] as string))
    throw new InvalidIdError(
      `key vault 'NestedItemType' should be one of: ${types.join(', ')}, got ${JSON.stringify(components[0])}`,
    );
  const version = components[2] ?? '';
  if (version === '')
    throw new InvalidIdError(
      `expected a key vault versioned ID but no version information was found in: ${JSON.stringify(input)}`,
    );
  return {
    baseUrl: `https://${url.host}/`,
    type: components[0] as string,
    name: components[1] as string,
    version,
  };
}

// hashicorp/go-uuid `ParseUUID` (vendored in azuread v3.7.0): its error, or undefined for a valid UUID.
function uuidError(text: string): string | undefined {
  if (text.length !== 36) return 'uuid string is wrong length';
  if (text[8] !== '-' || text[13] !== '-' || text[18] !== '-' || text[23] !== '-')
    return 'uuid is improperly formatted';
  const hex =
    text.slice(0, 8) + text.slice(9, 13) + text.slice(14, 18) + text.slice(19, 23) + text.slice(24);
  const bad = /[^0-9a-fA-F]/.exec(hex);
  return bad
    ? `encoding/hex: invalid byte: U+${bad[0].charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')} ${JSON.stringify(bad[0]).replaceAll('"', "'")}`
    : undefined;
}

/** azuread `internal/services/applications/parse/object.go` `ObjectSubResourceID`: `{objectId}/{type}/{subId}`. */
export function parseObjectSubResourceId(
  input: string,
  expectedType: string,
): { objectId: string; subId: string } {
  const parts = input.split('/');
  if (parts.length !== 3)
    throw new InvalidIdError(
      `Object Resource ID should be in the format {objectId}/{type}/{subId} - but got ${JSON.stringify(input)}`,
    );
  const [objectId, type, subId] = parts as [string, string, string];
  const objectError = uuidError(objectId);
  if (objectError)
    throw new InvalidIdError(
      `Object ID isn't a valid UUID (${JSON.stringify(objectId)}): ${objectError}`,
    );
  if (type === '')
    throw new InvalidIdError('Type in {objectID}/{type}/{subID} should not be empty');
  if (type !== expectedType)
    throw new InvalidIdError(
      `Type in {objectID}/{type}/{subID} was expected to be ${expectedType}, got ${type}`,
    );
  const subError = uuidError(subId);
  if (subError)
    throw new InvalidIdError(
      `Object Sub Resource ID isn't a valid UUID (${JSON.stringify(subId)}): ${subError}`,
    );
  return { objectId, subId };
}
