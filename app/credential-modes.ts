// The credential modes of the program, in a module of their own without imports: the command line repeats them
// (`demo --credential-mode`) through config/credential-modes.ts, and nothing else of the program comes with them.

/** How the program authenticates to Key Vault: one of the lab's variants. */
export type CredentialMode = 'default' | 'chained' | 'workload-identity' | 'client-assertion';

/** The credential modes accepted by `CREDENTIAL_MODE`, the default first. */
export const CREDENTIAL_MODES: readonly CredentialMode[] = [
  'default',
  'chained',
  'workload-identity',
  'client-assertion',
];
