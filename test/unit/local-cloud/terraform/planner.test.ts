// The generic planner behind the provider server, called as Terraform calls it (PlanResourceChange and
// ValidateResourceConfig, cty values in msgpack): the plugin SDK's rules from the facts, for every handler.
import { describe, expect, it } from 'vitest';
import { decodeValue, encodeValue } from '../../../../local-cloud/terraform/cty';
import { PROVIDER_FACTS, type ProviderFacts } from '../../../../local-cloud/terraform/facts';
import { type Attributes, UNKNOWN, type Value } from '../../../../local-cloud/terraform/handler';
import { HANDLERS } from '../../../../local-cloud/terraform/handlers/index';
import { planChange } from '../../../../local-cloud/terraform/planner';
import { LocalProvider } from '../../../../local-cloud/terraform/provider';
import {
  type BlockSchema,
  blockType,
  PROVIDER_SCHEMAS,
} from '../../../../local-cloud/terraform/schema';

const isObject = (v: Value | undefined): v is Attributes =>
  v !== null && v !== undefined && v !== UNKNOWN && typeof v === 'object' && !Array.isArray(v);

/** A value with every attribute of the block present, as Terraform sends it (null when unset, [] for no blocks). */
function full(block: BlockSchema, value: Attributes): Attributes {
  const out: Attributes = {};
  for (const name of Object.keys(block.attributes)) out[name] = value[name] ?? null;
  for (const [name, nested] of Object.entries(block.blocks)) {
    const v = value[name];
    if (nested.nesting === 'single') out[name] = isObject(v) ? full(nested.block, v) : null;
    else out[name] = Array.isArray(v) ? v.map((i) => full(nested.block, i as Attributes)) : [];
  }
  return out;
}

/** Terraform's proposed new state: the configuration, with computed attributes it leaves unset taken from prior. */
function proposedNew(block: BlockSchema, config: Attributes, prior: Attributes | null): Attributes {
  if (!prior) return config;
  const out: Attributes = { ...config };
  for (const [name, a] of Object.entries(block.attributes))
    if (a.computed && config[name] === null) out[name] = prior[name] ?? null;
  for (const [name, nested] of Object.entries(block.blocks)) {
    const c = config[name];
    const p = prior[name];
    if (Array.isArray(c))
      out[name] = c.map((item, i) =>
        proposedNew(
          nested.block,
          item as Attributes,
          Array.isArray(p) ? (p[i] as Attributes) : null,
        ),
      );
  }
  return out;
}

type Steps = ({ attribute_name: string } | { element_key_int: number })[];

async function plan(
  provider: string,
  typeName: string,
  prior: Attributes | null,
  config: Attributes,
): Promise<{ planned: Attributes; replace: (string | number)[][]; errors: string[] }> {
  const schema = PROVIDER_SCHEMAS[provider];
  const block = schema?.resources[typeName]?.block as BlockSchema;
  const type = blockType(block);
  const server = new LocalProvider(schema as never, HANDLERS[provider] as never);
  const msgpack = (v: Attributes | null) => ({ msgpack: Buffer.from(encodeValue(v, type)) });
  const configValue = full(block, config);
  const priorValue = prior && full(block, prior);
  const answer = await server.call('PlanResourceChange', {
    type_name: typeName,
    prior_state: msgpack(priorValue),
    proposed_new_state: msgpack(proposedNew(block, configValue, priorValue)),
    config: msgpack(configValue),
  });
  const errors = ((answer.diagnostics ?? []) as { summary: string; detail?: string }[]).map((d) =>
    [d.summary, d.detail].filter(Boolean).join(': '),
  );
  return {
    planned: answer.planned_state
      ? (decodeValue(answer.planned_state.msgpack, type) as Attributes)
      : {},
    replace: ((answer.requires_replace ?? []) as { steps: Steps }[]).map((p) =>
      p.steps.map((s) => ('attribute_name' in s ? s.attribute_name : s.element_key_int)),
    ),
    errors,
  };
}

async function validate(provider: string, typeName: string, config: Attributes): Promise<string[]> {
  const schema = PROVIDER_SCHEMAS[provider];
  const block = schema?.resources[typeName]?.block as BlockSchema;
  const server = new LocalProvider(schema as never, HANDLERS[provider] as never);
  const answer = await server.call('ValidateResourceConfig', {
    type_name: typeName,
    config: { msgpack: Buffer.from(encodeValue(full(block, config), blockType(block))) },
  });
  return ((answer.diagnostics ?? []) as { summary: string; detail?: string }[]).map((d) =>
    [d.summary, d.detail].filter(Boolean).join(': '),
  );
}

const SUB = '/subscriptions/00000000-0000-0000-0000-000000000001';
const GROUP = `${SUB}/resourceGroups/rg`;
const identityState = {
  id: `${GROUP}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/id-demo`,
  name: 'id-demo',
  resource_group_name: 'rg',
  location: 'westeurope',
  client_id: '11111111-1111-1111-1111-111111111111',
  principal_id: '22222222-2222-2222-2222-222222222222',
  tenant_id: '33333333-3333-3333-3333-333333333333',
};
const identityConfig = { name: 'id-demo', resource_group_name: 'rg', location: 'West Europe' };

const pool = { name: 'system', vm_size: 'Standard_D2s_v5', node_count: 1 };
const clusterConfig = (changes: Attributes = {}, poolChanges: Attributes = {}) => ({
  name: 'aks',
  resource_group_name: 'rg',
  location: 'westeurope',
  dns_prefix: 'aks',
  oidc_issuer_enabled: true,
  workload_identity_enabled: true,
  default_node_pool: [{ ...pool, ...poolChanges }],
  identity: [{ type: 'SystemAssigned' }],
  ...changes,
});

/** What Azure computed, for every value a create planned unknown: a sample of the attribute's type. */
function applied(block: BlockSchema, planned: Attributes, computed: Attributes = {}): Attributes {
  const sample = (type: unknown): Value =>
    type === 'string'
      ? 'computed'
      : type === 'number'
        ? 1
        : type === 'bool'
          ? false
          : Array.isArray(type) && type[0] === 'map'
            ? {}
            : [];
  const out: Attributes = { ...planned };
  for (const [name, a] of Object.entries(block.attributes))
    if (planned[name] === UNKNOWN) out[name] = computed[name] ?? sample(a.type);
  for (const [name, nested] of Object.entries(block.blocks)) {
    const v = planned[name];
    if (name in computed) out[name] = computed[name] as Value;
    else if (Array.isArray(v)) out[name] = v.map((i) => applied(nested.block, i as Attributes));
    else if (isObject(v)) out[name] = applied(nested.block, v);
  }
  return out;
}

/** The state of a cluster made from `clusterConfig(changes, poolChanges)`, as the planner planned its create. */
async function clusterState(changes: Attributes = {}, poolChanges: Attributes = {}) {
  const block = PROVIDER_SCHEMAS.azurerm?.resources.azurerm_kubernetes_cluster
    ?.block as BlockSchema;
  const { planned } = await plan(
    'azurerm',
    'azurerm_kubernetes_cluster',
    null,
    clusterConfig(changes, poolChanges),
  );
  return applied(block, planned, {
    id: `${GROUP}/providers/Microsoft.ContainerService/managedClusters/aks`,
    oidc_issuer_url:
      changes.oidc_issuer_enabled === false ? '' : 'https://westeurope.oic.prod-aks.azure.com/t/g/',
    kubelet_identity: [{ client_id: 'c', object_id: 'o', user_assigned_identity_id: 'u' }],
  });
}

describe('the generic planner (PlanResourceChange)', () => {
  it('plans a replacement when a ForceNew argument of an azurerm resource changes, against a prior state', async () => {
    const { replace, errors } = await plan(
      'azurerm',
      'azurerm_user_assigned_identity',
      identityState,
      {
        ...identityConfig,
        name: 'id-renamed',
      },
    );
    expect(errors).toEqual([]);
    expect(replace).toEqual([['name']]);
  });

  it('plans a replacement when a ForceNew argument of an azuread resource changes, against a prior state', async () => {
    const credential = {
      application_id: '/applications/00000000-0000-0000-0000-00000000000a',
      display_name: 'kubernetes',
      audiences: ['api://AzureADTokenExchange'],
      issuer: 'https://issuer/',
      subject: 'system:serviceaccount:demo:demo',
    };
    const { replace } = await plan(
      'azuread',
      'azuread_application_federated_identity_credential',
      { ...credential, id: 'x', credential_id: 'c' },
      { ...credential, display_name: 'kubernetes-2' },
    );
    expect(replace).toEqual([['display_name']]);
  });

  it('plans a replacement when the new value of a ForceNew argument is unknown (the identity it names is replaced)', async () => {
    const credential = {
      name: 'fic',
      resource_group_name: 'rg',
      parent_id: identityState.id,
      audience: ['api://AzureADTokenExchange'],
      issuer: 'https://issuer/',
      subject: 'system:serviceaccount:demo:demo',
    };
    const { replace } = await plan(
      'azurerm',
      'azurerm_federated_identity_credential',
      { ...credential, id: `${identityState.id}/federatedIdentityCredentials/fic` },
      { ...credential, parent_id: UNKNOWN },
    );
    expect(replace).toEqual([['parent_id']]);
  });

  it('plans an update, not a replacement, for an argument with Update code (the credential subject)', async () => {
    const credential = {
      name: 'fic',
      resource_group_name: 'rg',
      parent_id: identityState.id,
      audience: ['api://AzureADTokenExchange'],
      issuer: 'https://issuer/',
      subject: 'system:serviceaccount:demo:demo',
    };
    const { replace, planned } = await plan(
      'azurerm',
      'azurerm_federated_identity_credential',
      { ...credential, id: 'x' },
      { ...credential, subject: 'system:serviceaccount:demo:other' },
    );
    expect(replace).toEqual([]);
    expect(planned.subject).toBe('system:serviceaccount:demo:other');
  });

  it('plans computed attributes unknown, defaults, and the state form of a location on create', async () => {
    const { planned } = await plan('azurerm', 'azurerm_key_vault', null, {
      name: 'kv-demo',
      resource_group_name: 'rg',
      location: 'West Europe',
      tenant_id: '33333333-3333-3333-3333-333333333333',
      sku_name: 'standard',
    });
    expect(planned).toMatchObject({
      location: 'westeurope',
      soft_delete_retention_days: 90,
      public_network_access_enabled: true,
      vault_uri: UNKNOWN,
      id: UNKNOWN,
      purge_protection_enabled: null,
    });
  });

  it('plans no change where a difference is suppressed: location spelling, role name case', async () => {
    const identity = await plan(
      'azurerm',
      'azurerm_user_assigned_identity',
      identityState,
      identityConfig,
    );
    expect(identity.replace).toEqual([]);
    expect(identity.planned.location).toBe('westeurope');
    const assignment = {
      scope: GROUP,
      role_definition_name: 'Key Vault Secrets User',
      principal_id: identityState.principal_id,
    };
    const role = await plan(
      'azurerm',
      'azurerm_role_assignment',
      {
        ...assignment,
        id: `${GROUP}/providers/Microsoft.Authorization/roleAssignments/x`,
        name: 'x',
      },
      { ...assignment, role_definition_name: 'key vault secrets user' },
    );
    expect(role.replace).toEqual([]);
    expect(role.planned.role_definition_name).toBe('Key Vault Secrets User');
  });

  it('replaces a resource without Update code for any changed argument (role assignment)', async () => {
    const assignment = {
      scope: GROUP,
      role_definition_name: 'Key Vault Secrets User',
      principal_id: identityState.principal_id,
    };
    const { replace } = await plan(
      'azurerm',
      'azurerm_role_assignment',
      {
        ...assignment,
        id: 'x',
        name: 'x',
        skip_service_principal_aad_check: false,
      },
      { ...assignment, skip_service_principal_aad_check: true },
    );
    expect(replace).toEqual([['skip_service_principal_aad_check']]);
  });

  it('plans oidc_issuer_url unknown when the issuer is turned on, as an update', async () => {
    const { planned, replace } = await plan(
      'azurerm',
      'azurerm_kubernetes_cluster',
      await clusterState({
        oidc_issuer_enabled: false,
        workload_identity_enabled: false,
        oidc_issuer_url: '',
      }),
      clusterConfig(),
    );
    expect(replace).toEqual([]);
    expect(planned.oidc_issuer_url).toBe(UNKNOWN);
    // Nothing else Azure computed changes: the kubelet identity is kept.
    expect(planned.kubelet_identity).toEqual([
      { client_id: 'c', object_id: 'o', user_assigned_identity_id: 'u' },
    ]);
  });

  it('plans the kubelet identity unknown on create, as AKS makes it', async () => {
    const { planned } = await plan('azurerm', 'azurerm_kubernetes_cluster', null, clusterConfig());
    expect(planned.kubelet_identity).toEqual([
      { client_id: UNKNOWN, object_id: UNKNOWN, user_assigned_identity_id: UNKNOWN },
    ]);
    expect(planned.oidc_issuer_url).toBe(UNKNOWN);
    expect(planned.role_based_access_control_enabled).toBe(true);
  });

  it('replaces the cluster for the attributes that replace it on Azure', async () => {
    const name = await plan(
      'azurerm',
      'azurerm_kubernetes_cluster',
      await clusterState(),
      clusterConfig({}, { name: 'system2' }),
    );
    expect(name.replace).toEqual([['default_node_pool', 0, 'name']]);
    const rbac = await plan(
      'azurerm',
      'azurerm_kubernetes_cluster',
      await clusterState(),
      clusterConfig({ role_based_access_control_enabled: false }),
    );
    expect(rbac.replace).toEqual([['role_based_access_control_enabled']]);
    const plugin = await plan(
      'azurerm',
      'azurerm_kubernetes_cluster',
      await clusterState({ network_profile: [{ network_plugin: 'kubenet' }] }),
      clusterConfig({ network_profile: [{ network_plugin: 'azure' }] }),
    );
    expect(plugin.replace).toContainEqual(['network_profile', 0, 'network_plugin']);
    // network_policy: ForceNewIfChange when a policy was set (azurerm's CustomizeDiff); setting a first one updates.
    const policy = await plan(
      'azurerm',
      'azurerm_kubernetes_cluster',
      await clusterState({
        network_profile: [{ network_plugin: 'azure', network_policy: 'calico' }],
      }),
      clusterConfig({ network_profile: [{ network_plugin: 'azure', network_policy: 'azure' }] }),
    );
    expect(policy.replace).toContainEqual(['network_profile', 0, 'network_policy']);
    // A cluster made without a policy: Azure reports none ("").
    const noPolicy = await clusterState({ network_profile: [{ network_plugin: 'azure' }] });
    (noPolicy.network_profile as Attributes[])[0] = {
      ...(noPolicy.network_profile as Attributes[])[0],
      network_policy: '',
    };
    const first = await plan(
      'azurerm',
      'azurerm_kubernetes_cluster',
      noPolicy,
      clusterConfig({ network_profile: [{ network_plugin: 'azure', network_policy: 'azure' }] }),
    );
    expect(first.replace).toEqual([]);
    // Back from temporary_name_for_rotation after a failed resize: azurerm's ForceNewIf lets it update.
    const back = await plan(
      'azurerm',
      'azurerm_kubernetes_cluster',
      await clusterState({}, { name: 'systemtmp', temporary_name_for_rotation: 'systemtmp' }),
      clusterConfig({}, { name: 'system', temporary_name_for_rotation: 'systemtmp' }),
    );
    expect(back.replace).toEqual([]);
  });

  it("changes a node pool's os_sku in place between Ubuntu and AzureLinux, and replaces it for another SKU", async () => {
    const block = PROVIDER_SCHEMAS.azurerm?.resources.azurerm_kubernetes_cluster_node_pool
      ?.block as BlockSchema;
    const config = (os_sku: string) => ({
      name: 'user',
      kubernetes_cluster_id: `${GROUP}/providers/Microsoft.ContainerService/managedClusters/aks`,
      vm_size: 'Standard_D2s_v5',
      os_sku,
    });
    const created = await plan(
      'azurerm',
      'azurerm_kubernetes_cluster_node_pool',
      null,
      config('Ubuntu'),
    );
    const prior = applied(block, created.planned);
    const azureLinux = await plan(
      'azurerm',
      'azurerm_kubernetes_cluster_node_pool',
      prior,
      config('AzureLinux'),
    );
    expect(azureLinux.replace).toEqual([]);
    const windows = await plan(
      'azurerm',
      'azurerm_kubernetes_cluster_node_pool',
      prior,
      config('Windows2022'),
    );
    expect(windows.replace).toEqual([['os_sku']]);
  });

  it('resizes the default pool as an update: the refusal without temporary_name_for_rotation is Update code, at apply', async () => {
    const { replace, errors } = await plan(
      'azurerm',
      'azurerm_kubernetes_cluster',
      await clusterState(),
      clusterConfig({}, { vm_size: 'Standard_D4s_v5' }),
    );
    expect(errors).toEqual([]);
    expect(replace).toEqual([]);
  });

  it('keeps time_sleep id on a duration change (UseStateForUnknown) and replaces it for new triggers', async () => {
    const prior = { create_duration: '1s', id: '2026-01-01T00:00:00Z', triggers: { a: '1' } };
    const durations = await plan('time', 'time_sleep', prior, {
      create_duration: '2s',
      triggers: { a: '1' },
    });
    expect(durations.replace).toEqual([]);
    expect(durations.planned.id).toBe('2026-01-01T00:00:00Z');
    const triggers = await plan('time', 'time_sleep', prior, {
      create_duration: '1s',
      triggers: { a: '2' },
    });
    expect(triggers.replace).toEqual([['triggers']]);
  });

  it("names metadata.namespace among kubernetes_manifest's replacing paths only for a namespaced kind, as its plan code does", () => {
    const kubernetes = PROVIDER_FACTS.kubernetes as ProviderFacts;
    const block = PROVIDER_SCHEMAS.kubernetes?.resources.kubernetes_manifest?.block as BlockSchema;
    const replacing = (kind: string) => {
      const manifest = { apiVersion: 'v1', kind, metadata: { name: 'x', namespace: 'a' } };
      const value = { manifest, object: null, computed_fields: null, wait_for: null };
      return planChange({
        provider: kubernetes,
        facts: kubernetes.resources.kubernetes_manifest,
        block,
        prior: { ...value, manifest: { ...manifest, metadata: { name: 'x' } } },
        proposed: value,
        config: value,
      }).requiresReplace.map((p) => p.join('.'));
    };
    // manifest/provider/plan.go: apiVersion, kind and name always; the namespace when IsResourceNamespaced
    expect(replacing('ServiceAccount')).toContain('manifest.metadata.namespace');
    expect(replacing('Namespace')).not.toContain('manifest.metadata.namespace');
    expect(replacing('Namespace')).toEqual([
      'manifest.apiVersion',
      'manifest.kind',
      'manifest.metadata.name',
    ]);
  });
});

describe('validation with the provider’s own messages (ValidateResourceConfig)', () => {
  it('fails when soft_delete_retention_days is outside 7-90', async () => {
    expect(
      await validate('azurerm', 'azurerm_key_vault', {
        name: 'kv-demo',
        resource_group_name: 'rg',
        location: 'westeurope',
        tenant_id: '33333333-3333-3333-3333-333333333333',
        sku_name: 'standard',
        soft_delete_retention_days: 5,
      }),
    ).toEqual(['expected soft_delete_retention_days to be in the range (7 - 90), got 5']);
  });

  it('fails when a federated credential has two audiences', async () => {
    const credential = {
      name: 'fic',
      resource_group_name: 'rg',
      parent_id: identityState.id,
      audience: ['api://AzureADTokenExchange', 'api://other'],
      issuer: 'https://issuer/',
      subject: 'system:serviceaccount:demo:demo',
    };
    expect(await validate('azurerm', 'azurerm_federated_identity_credential', credential)).toEqual([
      'Too many list items: Attribute audience supports 1 item maximum, but config has 2 declared.',
    ]);
    expect(
      await validate('azuread', 'azuread_application_federated_identity_credential', {
        application_id: '/applications/x',
        display_name: 'k',
        audiences: ['api://AzureADTokenExchange', 'api://other'],
        issuer: 'https://issuer/',
        subject: 'system:serviceaccount:demo:demo',
      }),
    ).toEqual([
      'Too many list items: Attribute audiences supports 1 item maximum, but config has 2 declared.',
    ]);
  });

  it('fails when a role assignment name is not a UUID', async () => {
    expect(
      await validate('azurerm', 'azurerm_role_assignment', {
        name: 'reader',
        scope: GROUP,
        role_definition_name: 'Key Vault Secrets User',
        principal_id: identityState.principal_id,
      }),
    ).toEqual(['expected "name" to be a valid UUID, got reader']);
  });

  it('fails when a role assignment names both a role and a role id, or neither', async () => {
    const assignment = { scope: GROUP, principal_id: identityState.principal_id };
    expect(await validate('azurerm', 'azurerm_role_assignment', assignment)).toEqual([
      'Invalid combination of arguments: "role_definition_id": one of `role_definition_id,role_definition_name` must be specified',
      'Invalid combination of arguments: "role_definition_name": one of `role_definition_id,role_definition_name` must be specified',
    ]);
  });

  it('fails when a time_sleep duration is not a number and a unit', async () => {
    expect(await validate('time', 'time_sleep', { create_duration: '1m30s' })).toEqual([
      'Invalid Attribute Value Match: Attribute create_duration must be a number immediately followed by ms (milliseconds), s (seconds), m (minutes), or h (hours). For example, "30s" for 30 seconds., got: 1m30s',
    ]);
    expect(await validate('time', 'time_sleep', {})).toEqual([
      'Invalid Attribute Combination: At least one attribute out of [destroy_duration,create_duration] must be specified',
      'Invalid Attribute Combination: At least one attribute out of [create_duration,destroy_duration] must be specified',
    ]);
  });

  it('fails when a node pool name has "_"', async () => {
    const message =
      'the "name" must begin with a lowercase letter, contain only lowercase letters and numbers and be between 1 and 12 characters in length, got "user_pool"';
    expect(
      await validate('azurerm', 'azurerm_kubernetes_cluster_node_pool', {
        name: 'user_pool',
        kubernetes_cluster_id: 'x',
        vm_size: 'Standard_D2s_v5',
      }),
    ).toEqual([message]);
    expect(
      await validate(
        'azurerm',
        'azurerm_kubernetes_cluster',
        clusterConfig({}, { name: 'user_pool' }),
      ),
    ).toEqual([message.replace('"name"', '"default_node_pool.0.name"')]);
  });

  it('fails when a DNS prefix ends with a hyphen, and accepts one letter (the validator checks by length)', async () => {
    expect(
      await validate(
        'azurerm',
        'azurerm_kubernetes_cluster',
        clusterConfig({ dns_prefix: 'aks-' }),
      ),
    ).toEqual([
      'the "dns_prefix" must begin and end with a letter or number, contain only letters, numbers, and hyphens and be between 1 and 54 characters in length, got "aks-"',
    ]);
    expect(
      await validate('azurerm', 'azurerm_kubernetes_cluster', clusterConfig({ dns_prefix: 'a' })),
    ).toEqual([]);
  });

  it('fails when value_wo is set without value_wo_version', async () => {
    expect(
      await validate('azurerm', 'azurerm_key_vault_secret', {
        name: 's',
        key_vault_id: `${GROUP}/providers/Microsoft.KeyVault/vaults/kv`,
        value_wo: 'secret',
      }),
    ).toEqual([
      'Missing required argument: "value_wo": all of `value_wo,value_wo_version` must be specified',
    ]);
  });

  it('refuses the same at plan time, when the value becomes known only then', async () => {
    const { errors } = await plan('azurerm', 'azurerm_key_vault', null, {
      name: 'kv-demo',
      resource_group_name: 'rg',
      location: 'westeurope',
      tenant_id: '33333333-3333-3333-3333-333333333333',
      sku_name: 'standard',
      soft_delete_retention_days: 91,
    });
    expect(errors).toEqual([
      'expected soft_delete_retention_days to be in the range (7 - 90), got 91',
    ]);
  });
});

describe('refined unknowns (cty msgpack extension 12)', () => {
  // cty sends an unknown that it knows more about (not null, a string prefix) as extension 12 with its refinements;
  // { 1: true } says "not null". Terraform 1.11 sends them for values such as "${var.prefix}-${random}".
  const refined = Buffer.from([0xc7, 0x03, 0x0c, 0x81, 0x01, 0xc3]);
  const str = (s: string) => Buffer.concat([Buffer.from([0xa0 | s.length]), Buffer.from(s)]);

  it('decodes a refined unknown as unknown, never as null, at any depth', () => {
    const type = ['object', { name: 'string', ids: ['list', 'string'] }] as const;
    const bytes = Buffer.concat([
      Buffer.from([0x82]),
      str('name'),
      refined,
      str('ids'),
      Buffer.from([0x92]),
      str('a'),
      refined,
    ]);
    expect(decodeValue(bytes, type as never)).toEqual({ name: UNKNOWN, ids: ['a', UNKNOWN] });
  });

  it('plans a ForceNew argument whose new value is a refined unknown as a replacement', async () => {
    const block = PROVIDER_SCHEMAS.azurerm?.resources.azurerm_user_assigned_identity
      ?.block as BlockSchema;
    const type = blockType(block);
    const server = new LocalProvider(PROVIDER_SCHEMAS.azurerm as never, HANDLERS.azurerm as never);
    // The configuration with `name` refined unknown: encode it with a plain unknown, then swap the extension.
    const config = full(block, { ...identityConfig, name: UNKNOWN });
    const plainUnknown = Buffer.from([0xd4, 0x00, 0x00]);
    const withRefined = (value: Attributes) => {
      const bytes = Buffer.from(encodeValue(value, type));
      const at = bytes.indexOf(plainUnknown);
      return {
        msgpack: Buffer.concat([bytes.subarray(0, at), refined, bytes.subarray(at + 3)]),
      };
    };
    const prior = full(block, identityState);
    const answer = await server.call('PlanResourceChange', {
      type_name: 'azurerm_user_assigned_identity',
      prior_state: { msgpack: Buffer.from(encodeValue(prior, type)) },
      proposed_new_state: withRefined({
        ...config,
        ...pick(prior, ['id', 'client_id', 'principal_id', 'tenant_id']),
      }),
      config: withRefined(config),
    });
    expect(answer.diagnostics).toBeUndefined();
    expect(decodeValue(answer.planned_state.msgpack, type)).toMatchObject({ name: UNKNOWN });
    expect(answer.requires_replace).toEqual([{ steps: [{ attribute_name: 'name' }] }]);
  });
});

function pick(o: Attributes, names: string[]): Attributes {
  return Object.fromEntries(names.map((n) => [n, o[n] ?? null]));
}
