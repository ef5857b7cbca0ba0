/**
 * The Azure SDK for the workload program's tests, from the program's own install (app/node_modules, locked by
 * app/package-lock.json): the copy that app/'s modules load, so that a test's SecretClient or headers are the
 * program's. Tests import the SDK from here, never by name: from test/, a name resolves in the root's node_modules,
 * which has no @azure/identity, and other copies of the core packages (azurite's).
 *
 * Each path is the package's ES module entry, where its `exports` send an `import` from app/ (test/unit/app/install.test.ts
 * checks that they still do): the same file, hence the same module and classes, as in the program.
 */
export type {
  AccessToken,
  TokenCredential,
} from '../../app/node_modules/@azure/core-auth/dist/esm/index.js';
export {
  createHttpHeaders,
  createPipelineRequest,
  type HttpClient,
  type PipelineRequest,
  type PipelineResponse,
} from '../../app/node_modules/@azure/core-rest-pipeline/dist/esm/index.js';
export {
  type KeyVaultSecret,
  SecretClient,
} from '../../app/node_modules/@azure/keyvault-secrets/dist/esm/index.js';

/** The packages above, by name, as their paths name them. */
export const SDK_ENTRIES = {
  '@azure/core-auth': 'app/node_modules/@azure/core-auth/dist/esm/index.js',
  '@azure/core-rest-pipeline': 'app/node_modules/@azure/core-rest-pipeline/dist/esm/index.js',
  '@azure/keyvault-secrets': 'app/node_modules/@azure/keyvault-secrets/dist/esm/index.js',
} as const;
