import type { NameRule } from './rules';

/**
 * Rules of AKS that a config must meet before Azure sees it.
 *
 * @see https://learn.microsoft.com/azure/aks/upgrade-windows-os
 */

/** The DNS prefix of a cluster's API server (azurerm's validation of `dns_prefix`). */
export const aksDnsPrefix: NameRule = {
  test: (v) => /^[a-zA-Z\d][-a-zA-Z\d]{0,52}[a-zA-Z\d]$/.test(v),
  description:
    'an AKS DNS prefix: 2-54 letters, digits and "-", starting and ending with a letter or digit',
};

/** The last Kubernetes minor version with Windows Server 2022 nodes (AKS release notes, 2026-06-19). */
export const WINDOWS_2022_LAST_KUBERNETES_MINOR = 36;

/** Why a Windows Server 2022 pool cannot run this Kubernetes version, or undefined when it can. */
export function windows2022VersionProblem(kubernetesVersion: string): string | undefined {
  const [major, minor] = kubernetesVersion.split('.').map(Number);
  if (major > 1 || (major === 1 && minor > WINDOWS_2022_LAST_KUBERNETES_MINOR))
    return `Kubernetes ${kubernetesVersion} has no Windows Server 2022 nodes (AKS supports them up to 1.${WINDOWS_2022_LAST_KUBERNETES_MINOR}), and azurerm 4.55 offers no newer Windows node image: pin kubernetesVersion to 1.${WINDOWS_2022_LAST_KUBERNETES_MINOR} or lower, or drop windowsNodePool`;
  return undefined;
}

/** The program that gets an Entra token for a cluster with Entra ID integration (`az aks install-cli` installs it). */
export const KUBELOGIN = 'kubelogin';
/**
 * `kubelogin get-token` with the Azure CLI's login, for the AKS Entra server application (a fixed id, the same in
 * every tenant).
 * @see https://azure.github.io/kubelogin/concepts/login-modes/azurecli.html
 */
export const KUBELOGIN_ARGS = [
  'get-token',
  '--login',
  'azurecli',
  '--server-id',
  '6dae42f8-4368-4678-94ff-3960e28e3630',
];
