/**
 * The local cloud's public API: a stand-in for AKS's issuer and webhook, Entra and Key Vault, for tests and demos.
 */
export * from './certificates';
export * from './entra';
export * from './example-model';
export * from './faults';
export * from './issuer';
export * from './key-vault';
export * from './key-vault-rules';
export * from './kubelet';
export * from './kubernetes';
export * from './local-cloud';
export type * from './model';
export * from './proxy';
export * from './registries';
export * from './stats';
export * from './webhook';
