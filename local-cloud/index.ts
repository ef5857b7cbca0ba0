/**
 * The local cloud's face: the one module the lab and the command line import. Everything else in `local-cloud/` is
 * its inside, free to move.
 *
 * What it stands in for, one folder each: `azure/` (Entra, the cluster's OIDC issuer, Key Vault, Blob Storage, the
 * container registries and ACR build), `kubernetes/` (the API objects, the kubelet, the workload identity webhook,
 * strategic merge), `terraform/` (the providers Terraform runs: a plugin server, a planner driven by facts read from
 * the real providers' source, a handler per resource), and `core/` (the store they all read, the proxy, certificates,
 * work directories, locks). It imports nothing of the product: what it needs of a config comes to it as plain data.
 */
export * from './azure/acr-build';
export * from './azure/entra';
export * from './azure/issuer';
export * from './azure/key-vault';
export * from './azure/key-vault-rules';
export * from './azure/registries';
export * from './core/certificates';
export * from './core/cloud-store';
export * from './core/faults';
export type * from './core/model';
export * from './core/proxy';
export * from './core/stats';
export * from './core/store-model';
export * from './core/work-dir';
export * from './example-model';
export * from './github/actions';
export * from './kubernetes/cluster-objects';
export * from './kubernetes/kubelet';
export * from './kubernetes/objects';
export * from './kubernetes/webhook';
export * from './local-cloud';
export { addCluster, clusterSecrets } from './terraform/handlers/azurerm-kubernetes-cluster';
export {
  execTerraform,
  ignoredCliConfigLine,
  runTerraform,
  TerraformError,
  terraformOutputsAsCdktf,
} from './terraform/run';
export { stopSharedProviders } from './terraform/shared-providers';
export { localStackDir, MAX_STACK_FILE_BYTES } from './terraform/stack-dir';
