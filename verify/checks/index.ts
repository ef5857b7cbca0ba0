// The checks of `verify`: one module per check, each with its id, title, needs, what it prevents and `run`.
// This list is the set of checks; add a module and export it here.
export * as clientIdAnnotation from './client-id-annotation';
export * as clientIdDeployed from './client-id-deployed';
export * as clusterFeatures from './cluster-features';
export * as credentialAudience from './credential-audience';
export * as credentialIssuer from './credential-issuer';
export * as credentialLimit from './credential-limit';
export * as credentialSerialized from './credential-serialized';
export * as credentialSubject from './credential-subject';
export * as kubeConfigOutput from './kube-config-output';
export * as kubernetesStack from './kubernetes-stack';
export * as namespace from './namespace';
export * as placeholders from './placeholders';
export * as roleLeastPrivilege from './role-least-privilege';
export * as roleScope from './role-scope';
export * as secretInState from './secret-in-state';
export * as secretValue from './secret-value';
export * as serviceAccount from './service-account';
export * as tokenExpiration from './token-expiration';
export * as vaultUrl from './vault-url';
export * as workloadLabel from './workload-label';
