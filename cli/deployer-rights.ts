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
  /** In another tenant than the one az is logged in to: az cannot read the permissions there. */
  readonly otherTenant?: string;
}

/** The resource groups the Azure stack assigns roles in (the vault's; more when the config adds resources). */
export function assignmentScopes(config: Config, subscription: string): AssignmentScope[] {
  const vault = config.keyVault;
  const vaultSubscription = vault.subscriptionId ?? subscription;
  return [
    {
      scope: `/subscriptions/${vaultSubscription}/resourceGroups/${vault.resourceGroup ?? config.resourceGroup}`,
      subscription: vaultSubscription,
      why: vault.existing
        ? 'Key Vault Secrets User for each workload identity on the existing vault'
        : 'Key Vault Secrets Officer for you and Key Vault Secrets User for each workload identity on the vault',
      otherTenant: vault.tenantId,
    },
  ];
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
 */
export async function requireRoleAssignmentRights(
  name: string,
  config: Config,
  subscription: string,
  print: (line: string) => void,
): Promise<void> {
  for (const target of assignmentScopes(config, subscription)) {
    if (target.otherTenant) {
      print(
        `${name}: in tenant ${target.otherTenant} you need ${ROLE_ASSIGNMENTS_WRITE} on ${target.scope} (${ROLES_THAT_ASSIGN}): not checked, az reads permissions in its own tenant only`,
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
}

/** The Entra roles `identity: application` needs, in one line; undefined when no workload uses an application. */
export function applicationRolesNote(config: Config, name: string): string | undefined {
  if (!config.workloads.some((w) => w.identity === 'application')) return undefined;
  const home = `${name}: identity: application registers Entra applications with you as their owner (your tenant must let you register applications, else you need ${ENTRA_APPLICATION_ROLES}); an owner adds the service principal and the federated credentials`;
  return config.keyVault.tenantId
    ? `${home}; in the vault's tenant ${config.keyVault.tenantId} you own nothing, and creating the multi-tenant application's service principal there needs ${ENTRA_APPLICATION_ROLES} in that tenant`
    : home;
}
