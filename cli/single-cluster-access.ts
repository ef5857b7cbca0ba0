// An existing cluster with Entra ID integration has no client certificate in its kube config: kubectl (deploy, destroy)
// and Terraform's kubernetes provider (deploy --single) sign in through kubelogin, with az's login.
import { homedir } from 'node:os';
import { delimiter, join } from 'node:path';
import { KUBELOGIN } from '../config/aks';
import type { Config } from '../config/schema';
import { az } from './az';
import type { KubeTarget } from './kubectl';
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

/** How a cluster signs kubectl in, as `az aks show` answers. */
export interface ClusterSignIn {
  /** Entra ID integration: the kube config holds no client certificate, kubelogin gets a token. */
  readonly entraId: boolean;
  readonly localAccountsDisabled: boolean;
}

/** Parse the answer of `aksAuthenticationCommand`; undefined when it is not one. */
export function parseSignIn(stdout: string): ClusterSignIn | undefined {
  try {
    const answer = JSON.parse(stdout) as { entraId?: unknown; localAccountsDisabled?: unknown };
    return typeof answer.entraId === 'boolean'
      ? { entraId: answer.entraId, localAccountsDisabled: answer.localAccountsDisabled === true }
      : undefined;
  } catch {
    return undefined;
  }
}

/** What signs in to the cluster: kubectl (deploy, destroy), or Terraform's kubernetes provider (deploy --single). */
export type SignInPath = 'kubectl' | 'single';

const SIGNER: Record<SignInPath, string> = {
  kubectl: 'kubectl',
  single: "Terraform's kubernetes provider",
};

/** Why kubelogin is needed for a cluster, in words. */
function entraReason(config: Config, signIn: ClusterSignIn, path: SignInPath): string {
  return `cluster ${config.cluster.name} uses Entra ID for Kubernetes sign-in${signIn.localAccountsDisabled ? ' with local accounts disabled' : ''}: its kube config holds no client certificate, so ${SIGNER[path]} signs in through ${KUBELOGIN} (exec, with az's login)`;
}

/**
 * Throw when a cluster with Entra ID sign-in meets a machine without kubelogin. `name` starts the message (empty
 * inside a step, whose failure names the command already).
 */
export function requireKubelogin(
  name: string,
  config: Config,
  signIn: ClusterSignIn,
  path: SignInPath,
): void {
  if (!signIn.entraId || findProgram(KUBELOGIN) !== undefined) return;
  throw new CommandError(
    `${name ? `${name}: ` : ''}${path === 'single' ? '--single' : 'kubectl'} cannot sign in: ${entraReason(config, signIn, path)}, which is not on PATH: install it ("az aks install-cli")${path === 'single' ? ', or deploy without --single' : ''}`,
  );
}

/**
 * Before `deploy` on an existing cluster, before anything changes: make sure kubectl (and, with `--single`,
 * Terraform's kubernetes provider) will get working credentials. Returns how the cluster signs in.
 *
 * A cluster with Entra ID integration gives a kube config without a client certificate (and, with local accounts
 * disabled, no admin config at all): kubectl and the provider then sign in through kubelogin with az's login, so
 * kubelogin must be on PATH; without it the command refuses, saying why. A new cluster has local accounts.
 */
export async function requireClusterAccess(
  name: string,
  config: Config,
  subscription: string,
  print: (line: string) => void,
  single: boolean | undefined,
): Promise<ClusterSignIn> {
  const local: ClusterSignIn = { entraId: false, localAccountsDisabled: false };
  if (!config.cluster.existing) return local;
  const command = aksAuthenticationCommand(config, subscription);
  print(formatCommand(command));
  const { code, stdout } = await runCommand(command, { capture: true, showErrors: true });
  const signIn = code === 0 ? parseSignIn(stdout) : undefined;
  if (!signIn)
    throw new CommandError(
      `${name}: cannot read existing cluster ${config.cluster.name} ("az aks show" failed): is it in resource group ${config.cluster.resourceGroup ?? config.resourceGroup} of subscription ${subscription}?`,
    );
  const path: SignInPath = single ? 'single' : 'kubectl';
  if (!signIn.entraId) {
    print(
      `${name}: cluster ${config.cluster.name} has local accounts: ${SIGNER[path]} signs in with its kube config's client certificate`,
    );
    return signIn;
  }
  requireKubelogin(name, config, signIn, path);
  print(
    `${name}: ${entraReason(config, signIn, path)}; your Entra account needs a Kubernetes role on the cluster that may create the objects (e.g. Azure Kubernetes Service RBAC Writer)`,
  );
  return signIn;
}

/**
 * The kubeconfig `az aks get-credentials` writes without `--file`: the first entry of `KUBECONFIG`, else
 * `~/.kube/config` (Azure/azure-cli, src/azure-cli/azure/cli/command_modules/acs/custom.py, aks_get_credentials).
 */
export function defaultKubeconfig(env: NodeJS.ProcessEnv = process.env): string {
  return env.KUBECONFIG?.split(delimiter)[0] || join(homedir(), '.kube', 'config');
}

/**
 * `kubelogin convert-kubeconfig -l azurecli --kubeconfig <file> --context <cluster>`: the context az just wrote
 * signs in with az's login instead of kubelogin's default device code; `--context` converts that context only.
 * @see https://azure.github.io/kubelogin/cli/convert-kubeconfig.html
 */
export function convertKubeconfigCommand(target: KubeTarget, kubeconfig: string): ExternalCommand {
  return {
    program: KUBELOGIN,
    args: [
      'convert-kubeconfig',
      '-l',
      'azurecli',
      '--kubeconfig',
      target.kubeconfig ?? kubeconfig,
      '--context',
      target.context,
    ],
  };
}
