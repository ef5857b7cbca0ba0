// One source for the workload program's credential modes: the program (app/, its own package) owns them.
export { CREDENTIAL_MODES, type CredentialMode } from '../app/credential-modes';
