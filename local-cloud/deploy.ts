import { createHash } from 'node:crypto';
import { secretFromEnv, secretVariableName } from '../config/outputs';
import { parseReference, resourcesOf, type TerraformJson } from '../verify/synthesized-pair';
import { secretValueRefusal } from './key-vault-rules';
import type { CloudImage, CloudModel } from './model';
import { evaluateExpression } from './terraform-expression';

/** What `terraform apply` would leave behind: the model the local cloud serves and the stack's outputs. */
export interface LocalDeployment {
  readonly model: CloudModel;
  /** Output name to value, as `cdktf deploy --outputs-file` writes them under the stack name. */
  readonly outputs: Readonly<Record<string, unknown>>;
}

/** Options of `deployTerraform`. */
export interface DeployOptions {
  /** Values of the Terraform variables, by variable name (`secret_username`). */
  readonly variables: Readonly<Record<string, string>>;
  /** @default - a fixed tenant, so runs are repeatable */
  readonly tenantId?: string;
  /** Secrets already in the vaults the stack only reads (`data.azurerm_key_vault`), by secret name. */
  readonly existingSecrets?: Readonly<Record<string, string>>;
  /** Images pushed to the stack's registries once they exist (`az acr build`), by login server. @default - none */
  readonly images?: Readonly<Record<string, readonly CloudImage[]>>;
}

/** Deterministic GUID from a seed: the same Terraform always deploys to the same ids. */
export function guidFrom(seed: string): string {
  const h = createHash('sha256').update(seed).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/**
 * Play `terraform apply` of a synthesized Azure stack: give each resource the attributes Azure would compute, and
 * resolve every `${...}` reference, so the local cloud runs exactly what the Terraform describes.
 *
 * Only plain references (`${type.name.attribute}`, `${var.name}`) are supported: anything else is refused by name.
 */
export function deployTerraform(terraform: TerraformJson, options: DeployOptions): LocalDeployment {
  const tenantId = options.tenantId ?? guidFrom('tenant');
  const subscriptionId = guidFrom('subscription');
  // Aliased providers name other tenants (cross-tenant vaults): `<provider>.<alias>` -> tenant id.
  const tenants = new Map<string, string>();
  for (const [name, configs] of Object.entries(
    (terraform.provider ?? {}) as Record<string, Record<string, string>[]>,
  )) {
    for (const config of configs)
      if (config.alias) tenants.set(`${name}.${config.alias}`, config.tenant_id ?? tenantId);
  }
  const tenantOf = (values: Record<string, any>) => tenants.get(values.provider) ?? tenantId;
  const state = new Map<string, Record<string, any>>();
  const pending = [
    ...Object.keys(terraform.data ?? {}).flatMap((type) => resourcesOf(terraform, `data.${type}`)),
    ...Object.keys(terraform.resource ?? {}).flatMap((type) => resourcesOf(terraform, type)),
  ];

  const resolve = (value: unknown, where: string): unknown => {
    if (Array.isArray(value)) return value.map((v) => resolve(v, where));
    if (value && typeof value === 'object')
      return Object.fromEntries(
        Object.entries(value)
          .filter(([k]) => !META_ARGUMENTS.has(k))
          .map(([k, v]) => [k, resolve(v, where)]),
      );
    if (typeof value !== 'string' || !value.includes('${')) return value;
    return value.replace(/\$\{([^}]*)\}/g, (_all, expression: string) => {
      if (expression.startsWith('var.')) {
        const name = expression.slice(4);
        const variable = options.variables[name];
        if (variable === undefined)
          throw new Error(`${where}: variable ${name} has no value: set TF_VAR_${name}`);
        return variable;
      }
      // A nested block's attribute (`kubelet_identity[0].object_id`) is read from the list the resource computed.
      const nested = /^((?:data\.)?[\w-]+\.[\w-]+)\.(\w+)\[(\d+)\]\.(\w+)$/.exec(expression);
      const reference = nested
        ? { address: nested[1], attribute: `${nested[2]}[${nested[3]}].${nested[4]}` }
        : parseReference(`\${${expression}}`);
      if (!reference) return String(evaluateExpression(expression, attributeOf(where)));
      const target = state.get(reference.address);
      if (!target) throw new NotYet();
      const attribute = nested
        ? target[nested[2]]?.[Number(nested[3])]?.[nested[4]]
        : target[reference.attribute];
      if (attribute === undefined)
        throw new Error(
          `${where}: ${reference.address} has no attribute ${reference.attribute} in the local cloud`,
        );
      return String(attribute);
    });
  };

  // A reference inside a function call: `type.name.attribute` or `data.type.name.attribute`.
  const attributeOf = (where: string) => (path: string) => {
    const parts = path.split('.');
    const cut = parts[0] === 'data' ? 3 : 2;
    const address = parts.slice(0, cut).join('.');
    const attribute = parts.slice(cut).join('.');
    const target = state.get(address);
    if (!target) {
      if (pending.some((r) => r.address === address)) throw new NotYet();
      throw new Error(`${where}: ${path} names no resource of the stack`);
    }
    if (target[attribute] === undefined)
      throw new Error(`${where}: ${address} has no attribute ${attribute} in the local cloud`);
    return target[attribute];
  };

  while (pending.length > 0) {
    const before = pending.length;
    for (const resource of [...pending]) {
      let values: Record<string, any>;
      try {
        values = resolve(resource.values, resource.address) as Record<string, any>;
      } catch (err) {
        if (err instanceof NotYet) continue;
        throw err;
      }
      state.set(resource.address, {
        ...values,
        ...computed(
          resource.type,
          resource.address,
          values,
          tenantOf(resource.values),
          subscriptionId,
          tenantId,
        ),
      });
      pending.splice(pending.indexOf(resource), 1);
    }
    if (pending.length === before)
      throw new Error(
        `cannot resolve the references of ${pending.map((r) => r.address).join(', ')} (a cycle, or a reference to a resource that does not exist)`,
      );
  }

  const all = (type: string) =>
    [...state.entries()].filter(([address]) => address.startsWith(`${type}.`)).map(([, v]) => v);
  const identities = all('azurerm_user_assigned_identity');
  const applications = all('azuread_application');
  const servicePrincipals = [...state.entries()].filter(([address]) =>
    address.startsWith('azuread_service_principal.'),
  );
  const model: CloudModel = {
    tenantId,
    subscriptionId,
    clusters: [...all('azurerm_kubernetes_cluster'), ...all('data.azurerm_kubernetes_cluster')].map(
      (c) => ({
        name: c.name,
        oidcIssuerUrl: c.oidc_issuer_url,
        kubeletPrincipalId: c.kubelet_identity[0].object_id,
      }),
    ),
    identities: [
      ...[...state.entries()]
        .filter(([address]) => address.startsWith('azurerm_user_assigned_identity.'))
        .map(([address, i]) => ({
          address,
          name: i.name,
          clientId: i.client_id,
          principalId: i.principal_id,
          tenantId: i.tenant_id,
        })),
      // An application signs in through its service principal in the tenant it is asked for.
      ...servicePrincipals.map(([address, sp]) => ({
        address,
        name: applications.find((a) => a.client_id === sp.client_id)?.display_name ?? address,
        clientId: sp.client_id,
        principalId: sp.object_id,
        tenantId: sp.tenant,
      })),
    ],
    federatedCredentials: [
      ...all('azurerm_federated_identity_credential').map((c) => {
        const parent = identities.find((i) => i.id === c.parent_id);
        if (!parent)
          throw new Error(
            `federated credential ${c.name}: parent_id ${c.parent_id} is no identity of this stack`,
          );
        return {
          name: c.name,
          clientId: parent.client_id,
          issuer: c.issuer,
          subject: c.subject,
          audiences: c.audience,
        };
      }),
      ...all('azuread_application_federated_identity_credential').map((c) => {
        const application = applications.find((a) => a.id === c.application_id);
        if (!application)
          throw new Error(
            `federated credential ${c.display_name}: application_id ${c.application_id} is no application of this stack`,
          );
        return {
          name: c.display_name,
          clientId: application.client_id,
          issuer: c.issuer,
          subject: c.subject,
          audiences: c.audiences,
        };
      }),
    ],
    roleAssignments: all('azurerm_role_assignment').map((r) => ({
      principalId: r.principal_id,
      roleDefinitionName: r.role_definition_name,
      scope: r.scope,
    })),
    keyVaults: [
      ...all('azurerm_key_vault'),
      ...all('data.azurerm_key_vault').map((v): Record<string, any> => ({ ...v, existing: true })),
    ].map((v) => ({
      name: v.name,
      id: v.id,
      vaultUri: v.vault_uri,
      tenantId: v.tenant_id,
      secrets: v.existing
        ? new Map(Object.entries(options.existingSecrets ?? {}))
        : new Map(
            all('azurerm_key_vault_secret')
              .filter((s) => s.key_vault_id === v.id)
              .map((s) => [s.name, s.value_wo ?? s.value]),
          ),
    })),
    registries: [
      ...all('azurerm_container_registry'),
      ...all('data.azurerm_container_registry'),
    ].map((r) => ({
      id: r.id,
      loginServer: r.login_server,
      images: options.images?.[r.login_server] ?? [],
    })),
  };
  const outputs = Object.fromEntries(
    Object.entries(terraform.output ?? {}).map(([name, o]) => [
      name,
      resolve(o.value, `output ${name}`),
    ]),
  );
  return { model, outputs };
}

/** Terraform variable values from the environment (`TF_VAR_<name>`), with fallbacks for the ones not set. */
export function variablesFromEnv(
  names: readonly string[],
  env: NodeJS.ProcessEnv,
  fallback: Readonly<Record<string, string>> = {},
): { values: Record<string, string>; fromFallback: string[] } {
  const values: Record<string, string> = {};
  const fromFallback: string[] = [];
  for (const name of names) {
    // An empty value counts as not set, as for a real deploy's preflight (secretFromEnv decides for both).
    const given = secretFromEnv(`TF_VAR_${name}`, env);
    const value = given ?? fallback[name];
    if (value === undefined) throw new Error(`variable ${name} has no value: set TF_VAR_${name}`);
    if (given === undefined) fromFallback.push(`TF_VAR_${name}`);
    values[name] = value;
  }
  return { values, fromFallback };
}

/** The lab's demo values (`00-variables.sh`), used by the demo for any secret whose TF_VAR_ is not set. */
export const DEMO_SECRET_VALUES: Readonly<Record<string, string>> = {
  [secretVariableName('username')]: 'admin',
  [secretVariableName('password')]: 'trustno1',
};

class NotYet extends Error {}

// Terraform's own arguments, not the resource's: ordering and plan-time conditions play no part in the local cloud.
const META_ARGUMENTS = new Set(['//', 'depends_on', 'lifecycle']);

function computed(
  type: string,
  address: string,
  v: Record<string, any>,
  tenantId: string,
  subscriptionId: string,
  homeTenantId: string,
): Record<string, unknown> {
  const group = (name: string) => `/subscriptions/${subscriptionId}/resourceGroups/${name}`;
  switch (type) {
    case 'azurerm_client_config':
      return {
        tenant_id: tenantId,
        subscription_id: subscriptionId,
        object_id: guidFrom(`deployer`),
        client_id: guidFrom('deployer-app'),
      };
    case 'azuread_client_config':
      return {
        tenant_id: tenantId,
        object_id: guidFrom('deployer'),
        client_id: guidFrom('deployer-app'),
      };
    case 'azurerm_resource_group':
      return { id: group(v.name) };
    case 'azurerm_kubernetes_cluster':
      return {
        // An existing cluster has the issuer on: its data source's postcondition refuses one without.
        oidc_issuer_enabled: true,
        id: `${group(v.resource_group_name)}/providers/Microsoft.ContainerService/managedClusters/${v.name}`,
        oidc_issuer_url: `https://${v.location ?? 'westeurope'}.oic.prod-aks.azure.com/${tenantId}/${guidFrom(address)}/`,
        // AKS makes the kubelet identity in the node resource group; it is what pulls images.
        kubelet_identity: [
          {
            client_id: guidFrom(`${address}/kubelet/client`),
            object_id: guidFrom(`${address}/kubelet/principal`),
            user_assigned_identity_id: `${group(`MC_${v.resource_group_name}_${v.name}_${v.location ?? 'westeurope'}`)}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/${v.name}-agentpool`,
          },
        ],
      };
    case 'azurerm_container_registry':
      return {
        id: `${group(v.resource_group_name)}/providers/Microsoft.ContainerRegistry/registries/${v.name}`,
        login_server: `${String(v.name).toLowerCase()}.azurecr.io`,
      };
    case 'azurerm_user_assigned_identity':
      return {
        id: `${group(v.resource_group_name)}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/${v.name}`,
        client_id: guidFrom(`${address}/client`),
        principal_id: guidFrom(`${address}/principal`),
        tenant_id: tenantId,
      };
    case 'azuread_application': {
      const objectId = guidFrom(`${address}/object`);
      return {
        id: `/applications/${objectId}`,
        object_id: objectId,
        client_id: guidFrom(`${address}/client`),
      };
    }
    case 'azuread_service_principal': {
      const objectId = guidFrom(`${address}/principal`);
      // `tenant` is the local cloud's own note of where the principal lives; application_tenant_id is the app's home.
      return {
        id: `/servicePrincipals/${objectId}`,
        object_id: objectId,
        application_tenant_id: homeTenantId,
        tenant: tenantId,
      };
    }
    case 'azurerm_key_vault':
      return {
        id: `${group(v.resource_group_name)}/providers/Microsoft.KeyVault/vaults/${v.name}`,
        vault_uri: `https://${v.name}.vault.azure.net/`,
        tenant_id: v.tenant_id ?? tenantId,
        rbac_authorization_enabled: true,
      };
    case 'azurerm_key_vault_secret': {
      const vaultName = String(v.key_vault_id).split('/').at(-1);
      // Key Vault refuses the write itself, so the apply fails at this resource, as it would on Azure.
      const refused = secretValueRefusal(v.name, String(v.value_wo ?? v.value ?? ''));
      if (refused) {
        throw new Error(
          `${address}: creating Secret "${v.name}" (Key Vault "https://${vaultName}.vault.azure.net/"): ${refused.status} ${refused.code}: ${refused.message}`,
        );
      }
      const version = guidFrom(`${address}/${v.value_wo_version ?? 0}`).replaceAll('-', '');
      return {
        id: `https://${vaultName}.vault.azure.net/secrets/${v.name}/${version}`,
        versionless_id: `https://${vaultName}.vault.azure.net/secrets/${v.name}`,
        resource_id: `${v.key_vault_id}/secrets/${v.name}/versions/${version}`,
        resource_versionless_id: `${v.key_vault_id}/secrets/${v.name}`,
      };
    }
    default:
      return { id: `${group('local')}/providers/${type}/${guidFrom(address)}` };
  }
}
