// What the deployer must be allowed to do, checked before anything changes: creating role assignments (Azure RBAC),
// and, for `identity: application`, registering applications (Microsoft Entra roles).
import type { Config } from '../config/schema';
import { CommandError, type ExternalCommand, formatCommand, runCommand } from './run-step';

/** The action every role assignment needs on its scope. */
export const ROLE_ASSIGNMENTS_WRITE = 'Microsoft.Authorization/roleAssignments/write';

/** The built-in roles that hold `ROLE_ASSIGNMENTS_WRITE` (Contributor excludes it in its notActions). */
export const ROLES_THAT_ASSIGN =
  'Owner, User Access Administrator or Role Based Access Control Administrator';

/** The Entra roles that may create an application's service principal and federated credentials. */
export const ENTRA_APPLICATION_ROLES =
  'Application Administrator, Cloud Application Administrator or Global Administrator (or, for a service principal, the Microsoft Graph application permission Application.ReadWrite.All)';

/** One entry of the permissions API's answer: what a role lets the caller do on a scope. */
export interface Permission {
  readonly actions?: readonly string[];
  readonly notActions?: readonly string[];
}

/**
 * Whether the permissions allow `action`: some entry has an action matching it, and none of that entry's
 * notActions does. Patterns use `*` as Azure does, and compare case-insensitively.
 *
 * @see https://learn.microsoft.com/azure/role-based-access-control/role-definitions#actions
 */
export function allows(permissions: readonly Permission[], action: string): boolean {
  return permissions.some(
    (p) =>
      (p.actions ?? []).some((pattern) => matches(pattern, action)) &&
      !(p.notActions ?? []).some((pattern) => matches(pattern, action)),
  );
}

function matches(pattern: string, action: string): boolean {
  const regex = pattern
    .split('*')
    .map((part) => part.replace(/[.+?^${}()|[\]\\/]/g, '\\$&'))
    .join('.*');
  return new RegExp(`^${regex}$`, 'i').test(action);
}

/** A scope the Azure stack creates role assignments on, and why. */
export interface AssignmentScope {
  /** The resource group's id. */
  readonly scope: string;
  /** Its subscription: where the group is created when it does not exist yet. */
  readonly subscription: string;
  /** The assignments made there, for the message. */
  readonly why: string;
  /** In another tenant than the one az is logged in to: checked only when az is logged in to that tenant too. */
  readonly otherTenant?: string;
}

/**
 * Every resource group the Azure stack assigns roles in: the vault's (Key Vault roles), and the registry's (AcrPull for
 * the cluster's kubelet identity). Two in the same group are checked once.
 */
export function assignmentScopes(config: Config, subscription: string): AssignmentScope[] {
  const vault = config.keyVault;
  const vaultSubscription = vault.subscriptionId ?? subscription;
  const scopes: AssignmentScope[] = [
    {
      scope: `/subscriptions/${vaultSubscription}/resourceGroups/${vault.resourceGroup ?? config.resourceGroup}`,
      subscription: vaultSubscription,
      why: vault.existing
        ? 'Key Vault Secrets User for each workload identity on the existing vault'
        : 'Key Vault Secrets Officer for you and Key Vault Secrets User for each workload identity on the vault',
      otherTenant: vault.tenantId,
    },
  ];
  if (config.registry) {
    const registry: AssignmentScope = {
      scope: `/subscriptions/${subscription}/resourceGroups/${config.registry.resourceGroup ?? config.resourceGroup}`,
      subscription,
      why: "AcrPull for the cluster's kubelet identity on the registry",
    };
    const same = scopes.findIndex(
      (s) => s.scope.toLowerCase() === registry.scope.toLowerCase() && !s.otherTenant,
    );
    if (same >= 0) scopes[same] = { ...scopes[same], why: `${scopes[same].why}; ${registry.why}` };
    else scopes.push(registry);
  }
  return scopes;
}

/** The action azurerm needs at subscription scope to find, and recover, a soft-deleted vault of the same name. */
export const DELETED_VAULTS_READ = 'Microsoft.KeyVault/locations/deletedVaults/read';

/**
 * `az account get-access-token --tenant <id>`: whether az is logged in to that tenant. Only the expiry is printed:
 * the token never reaches this process' output.
 */
export function tenantLoginCommand(tenantId: string): ExternalCommand {
  return {
    program: 'az',
    args: [
      'account',
      'get-access-token',
      '--tenant',
      tenantId,
      '--query',
      'expiresOn',
      '--output',
      'tsv',
    ],
  };
}

/**
 * `az rest` GET of the permissions API on a scope.
 *
 * `az rest` takes no `--subscription`: the subscription is in the URL, so the call acts on it all the same.
 * @see https://learn.microsoft.com/rest/api/authorization/permissions/list-for-resource-group
 */
export function permissionsCommand(scope: string): ExternalCommand {
  return {
    program: 'az',
    args: [
      'rest',
      '--method',
      'get',
      '--url',
      `https://management.azure.com${scope}/providers/Microsoft.Authorization/permissions?api-version=2022-04-01`,
      '--output',
      'json',
    ],
  };
}

/** Read the caller's permissions on a scope; undefined when az fails (e.g. a group that does not exist yet). */
async function readPermissions(
  scope: string,
  print: (line: string) => void,
): Promise<Permission[] | undefined> {
  const command = permissionsCommand(scope);
  print(formatCommand(command));
  const { code, stdout } = await runCommand(command, { capture: true });
  if (code !== 0) return undefined;
  try {
    const answer = JSON.parse(stdout) as { value?: Permission[] };
    return Array.isArray(answer.value) ? answer.value : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Refuse before anything changes when the caller cannot create the role assignments the stack makes: checked on
 * each resource group, else (a group the stack creates) on its subscription. Throws one line naming the scope, the
 * missing action and the roles that hold it.
 *
 * A scope in another tenant is checked when az is logged in to that tenant as well (`az rest` takes its token from
 * the tenant of the subscription in the URL: Azure/azure-cli, src/azure-cli-core/azure/cli/core/util.py,
 * send_raw_request); otherwise the line says plainly that it is not checked. For a new vault, a missing
 * `DELETED_VAULTS_READ` on the vault's subscription is said, with what a re-deploy within the retention days does.
 */
export async function requireRoleAssignmentRights(
  name: string,
  config: Config,
  subscription: string,
  print: (line: string) => void,
): Promise<void> {
  const loggedIn = new Map<string, boolean>();
  const reachable = async (tenant: string | undefined): Promise<boolean> => {
    if (!tenant) return true;
    const known = loggedIn.get(tenant);
    if (known !== undefined) return known;
    const command = tenantLoginCommand(tenant);
    print(formatCommand(command));
    const { code } = await runCommand(command, { capture: true });
    loggedIn.set(tenant, code === 0);
    return code === 0;
  };
  for (const target of assignmentScopes(config, subscription)) {
    if (!(await reachable(target.otherTenant))) {
      print(
        `${name}: in tenant ${target.otherTenant} you need ${ROLE_ASSIGNMENTS_WRITE} on ${target.scope} (${ROLES_THAT_ASSIGN}): not checked, az is not logged in to that tenant ("az account get-access-token --tenant ${target.otherTenant}" failed); run "az login --tenant ${target.otherTenant}" (az keeps both logins) and deploy again to have it checked`,
      );
      continue;
    }
    const subscriptionScope = `/subscriptions/${target.subscription}`;
    let scope = target.scope;
    let permissions = await readPermissions(scope, print);
    if (!permissions) {
      scope = subscriptionScope;
      permissions = await readPermissions(scope, print);
    }
    if (!permissions)
      throw new CommandError(
        `${name}: cannot read your permissions on ${target.scope} nor on ${subscriptionScope} ("az rest" of the permissions API failed): is az logged in with access to subscription ${target.subscription}?`,
      );
    if (!allows(permissions, ROLE_ASSIGNMENTS_WRITE))
      throw new CommandError(
        `${name}: you cannot create role assignments on ${scope} (${target.why}): ${ROLE_ASSIGNMENTS_WRITE} is not among your permissions there (Contributor excludes it); ask for ${ROLES_THAT_ASSIGN} on ${target.scope} or its subscription`,
      );
    print(`${name}: you may create role assignments on ${scope} (${ROLE_ASSIGNMENTS_WRITE})`);
  }
  if (!config.keyVault.existing)
    await checkDeletedVaultsRead(
      name,
      config,
      subscription,
      print,
      await reachable(config.keyVault.tenantId),
    );
}

/** What a re-deploy within the retention days does without `DELETED_VAULTS_READ`, in one sentence. */
export function deletedVaultsReadNote(config: Config, subscription: string): string {
  const vault = config.keyVault;
  const days = vault.softDeleteRetentionDays;
  return `azurerm then cannot see a soft-deleted vault (it takes the 403 for "not found": key_vault_resource.go at v4.55.0), so a deploy within ${days} days (keyVault.softDeleteRetentionDays) of a destroy does not recover the vault and its secrets: it fails with 409 VaultAlreadyExists; purge it first (az keyvault purge --name ${vault.name ?? '<vault name>'} --location ${config.location} --subscription ${vault.subscriptionId ?? subscription}, needs Microsoft.KeyVault/locations/deletedVaults/purge/action${vault.purgeProtection ? ', impossible with purge protection' : ''}), or wait the ${days} days`;
}

/** Say whether the deployer may read deleted vaults on the vault's subscription; never refuses. */
async function checkDeletedVaultsRead(
  name: string,
  config: Config,
  subscription: string,
  print: (line: string) => void,
  reachable: boolean,
): Promise<void> {
  const scope = `/subscriptions/${config.keyVault.subscriptionId ?? subscription}`;
  const permissions = reachable ? await readPermissions(scope, print) : undefined;
  if (permissions && allows(permissions, DELETED_VAULTS_READ)) {
    print(
      `${name}: you may read soft-deleted vaults on ${scope} (${DELETED_VAULTS_READ}): a re-deploy after destroy recovers the vault`,
    );
    return;
  }
  const why = permissions
    ? `you lack ${DELETED_VAULTS_READ} on ${scope} (Reader, Contributor or Key Vault Contributor there hold it)`
    : `${DELETED_VAULTS_READ} on ${scope} is not checked (${reachable ? 'its permissions could not be read' : "az is not logged in to the vault's tenant"}); without it`;
  print(`${name}: ${why}: ${deletedVaultsReadNote(config, subscription)}`);
}

/** The Entra roles `identity: application` needs, in one line; undefined when no workload uses an application. */
export function applicationRolesNote(config: Config, name: string): string | undefined {
  if (!config.workloads.some((w) => w.identity === 'application')) return undefined;
  const home = `${name}: identity: application registers Entra applications with you as their owner (your tenant must let you register applications, else you need ${ENTRA_APPLICATION_ROLES}); an owner adds the service principal and the federated credentials`;
  return config.keyVault.tenantId
    ? `${home}; in the vault's tenant ${config.keyVault.tenantId} you own nothing, and creating the multi-tenant application's service principal there needs ${ENTRA_APPLICATION_ROLES} in that tenant`
    : home;
}
