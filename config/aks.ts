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

/**
 * The last Kubernetes minor version with Windows Server 2022 nodes: "Windows Server 2022 is not supported in Kubernetes
 * version 1.37 and above" (Azure/AKS CHANGELOG.md, Release Notes - 2026-06-19, commit 8d1c8909). azurerm 4.55 accepts
 * no newer Windows `os_sku` than Windows2022 (kubernetes_cluster_node_pool_resource.go:305-312 at v4.55.0).
 */
export const WINDOWS_2022_LAST_KUBERNETES_MINOR = 36;

/**
 * Why a Windows Server 2022 pool cannot run this Kubernetes version, or undefined when it can.
 *
 * No version is a problem too: AKS then creates the cluster on its default version, and its default moves to 1.37
 * and later (1.37 is expected in October 2026: Azure/AKS CHANGELOG.md, Release Notes - 2026-07-17).
 */
export function windows2022VersionProblem(
  kubernetesVersion: string | undefined,
): string | undefined {
  const fix = `pin kubernetesVersion to 1.${WINDOWS_2022_LAST_KUBERNETES_MINOR} or lower, or drop windowsNodePool`;
  if (kubernetesVersion === undefined)
    return `a Windows node pool needs a pinned kubernetesVersion: without one AKS creates the cluster on its default version, which becomes 1.37 or later, where AKS does not support Windows Server 2022, the newest Windows image azurerm 4.55 offers; ${fix}`;
  const [major, minor] = kubernetesVersion.split('.').map(Number);
  if (major > 1 || (major === 1 && minor > WINDOWS_2022_LAST_KUBERNETES_MINOR))
    return `Kubernetes ${kubernetesVersion} has no Windows Server 2022 nodes (AKS supports them up to 1.${WINDOWS_2022_LAST_KUBERNETES_MINOR}), and azurerm 4.55 offers no newer Windows node image: ${fix}`;
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

/**
 * The CPU architecture of an Azure VM size's nodes, as `az acr build --platform` names it: among the lower-case
 * additive features after the vCPU count, "p" is an ARM CPU (`Standard_D2ps_v5`, `Standard_D4plds_v6`); every other
 * size is x86-64 (MicrosoftDocs/azure-compute-docs, articles/virtual-machines/vm-naming-conventions.md, "p = ARM Cpu",
 * read 2026-12-07).
 */
export function vmArchitecture(vmSize: string): 'arm64' | 'amd64' {
  const features = /^[A-Za-z]+_[A-Z]+\d+(?:-\d+)?([a-z]*)/.exec(vmSize)?.[1] ?? '';
  return features.includes('p') ? 'arm64' : 'amd64';
}
