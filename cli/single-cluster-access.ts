// `deploy --single` applies the manifests through Terraform's kubernetes provider, which signs in with the kube config
// the azurerm data source reads. An existing cluster with Entra ID integration has no client certificate in it.

import { KUBELOGIN } from '../config/aks';
import type { Config } from '../config/schema';
import { az } from './az';
import {
  CommandError,
  type ExternalCommand,
  findProgram,
  formatCommand,
  runCommand,
} from './run-step';

/** `az aks show` of the existing cluster: whether it uses Entra ID, and whether its local accounts are off. */
export function aksAuthenticationCommand(config: Config, subscription: string): ExternalCommand {
  return az(subscription, [
    'aks',
    'show',
    '--resource-group',
    config.cluster.resourceGroup ?? config.resourceGroup,
    '--name',
    config.cluster.name,
    '--query',
    '{entraId: aadProfile != null, localAccountsDisabled: disableLocalAccounts}',
    '--output',
    'json',
  ]);
}

/**
 * Before `deploy --single` on an existing cluster: make sure the kubernetes provider will get working credentials.
 *
 * A cluster with Entra ID integration gives a kube config without a client certificate (and, with local accounts
 * disabled, no admin config at all): the stack's provider then signs in through kubelogin with az's login, so
 * kubelogin must be on PATH; without it the command refuses, saying why. A new cluster has local accounts.
 */
export async function requireSingleClusterAccess(
  name: string,
  config: Config,
  subscription: string,
  print: (line: string) => void,
): Promise<void> {
  if (!config.cluster.existing) return;
  const command = aksAuthenticationCommand(config, subscription);
  print(formatCommand(command));
  const { code, stdout } = await runCommand(command, { capture: true, showErrors: true });
  let answer: { entraId?: boolean; localAccountsDisabled?: boolean | null } | undefined;
  try {
    answer = code === 0 ? JSON.parse(stdout) : undefined;
  } catch {
    answer = undefined;
  }
  if (!answer)
    throw new CommandError(
      `${name}: cannot read existing cluster ${config.cluster.name} ("az aks show" failed): is it in resource group ${config.cluster.resourceGroup ?? config.resourceGroup} of subscription ${subscription}?`,
    );
  if (!answer.entraId) {
    print(
      `${name}: cluster ${config.cluster.name} has local accounts: Terraform's kubernetes provider signs in with its kube config's client certificate`,
    );
    return;
  }
  const why = `cluster ${config.cluster.name} uses Entra ID for Kubernetes sign-in${answer.localAccountsDisabled ? ' with local accounts disabled' : ''}: its kube config holds no client certificate, so Terraform's kubernetes provider signs in through ${KUBELOGIN} (exec, with az's login)`;
  if (findProgram(KUBELOGIN) === undefined)
    throw new CommandError(
      `${name}: --single cannot sign in: ${why}, which is not on PATH: install it ("az aks install-cli"), or deploy without --single`,
    );
  print(
    `${name}: ${why}; your Entra account needs a Kubernetes role on the cluster that may create the objects (e.g. Azure Kubernetes Service RBAC Writer)`,
  );
}
