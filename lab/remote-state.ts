/**
 * Remote state on the local cloud, as a team has it: the bootstrap stack applied with its own local state, then
 * Terraform's real `azurerm` backend keeping the stacks' state in the local cloud's blob storage, signed in as CI
 * signs in: a GitHub Actions OIDC token (from the local stand-in for GitHub's issuer) that Terraform itself exchanges
 * with the local Entra for the deployer identity, through its federated credential.
 *
 * A demo and test harness: product code never imports it.
 */
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Config } from '../config/schema';
import { BOOTSTRAP_STACK_NAME, stateKey } from '../config/state';
import { TOKEN_AUDIENCE } from '../config/webhook';
import {
  actionsSubject,
  CloudStore,
  githubRepository,
  type LocalCloud,
  localMs,
  runTerraform,
  terraformOutputsAsCdktf,
} from '../local-cloud';
import { synthBootstrap } from '../synth';

/** What the bootstrap left: the values the pipeline needs. */
export interface BootstrapResult {
  readonly deployerClientId: string;
  readonly tenantId: string;
  readonly subscriptionId: string;
  /** Terraform's result lines of the bootstrap's apply. */
  readonly lines: readonly string[];
}

/** The config's `state` and `deployer`, or an error naming what the local cloud needs. */
function teamSettings(config: Config) {
  if (!config.state || !config.deployer)
    throw new Error(
      'remote state on the local cloud needs state: and deployer: in the config: Terraform signs in to the blob storage as the deployer, through its federated credential, as CI does',
    );
  return { state: config.state, deployer: config.deployer };
}

/**
 * `workload-id bootstrap` on the local cloud: synthesize the bootstrap stack into `<workDir>/cdktf.out`, `terraform
 * init` + `apply` it with its local state, then wait until its role assignments reach the data plane (as Azure
 * RBAC propagates: the backend's first read would be refused before).
 */
export async function bootstrapLab(
  workDir: string,
  config: Config,
  store: CloudStore,
  env: NodeJS.ProcessEnv,
): Promise<BootstrapResult> {
  teamSettings(config);
  const cdktfOut = join(workDir, 'cdktf.out');
  synthBootstrap(config, cdktfOut);
  const dir = join(cdktfOut, 'stacks', BOOTSTRAP_STACK_NAME);
  const terraform = { workDir, env };
  await runTerraform(dir, ['init', '-input=false'], terraform);
  const applied = await runTerraform(dir, ['apply', '-auto-approve', '-input=false'], terraform);
  const result = await readBootstrap(workDir, env);
  if (!result)
    throw new Error(
      `the bootstrap stack applied, but its state has no deployer_client_id output (${dir})`,
    );
  await propagation(store);
  return { ...result, lines: applied.summary };
}

/**
 * What an earlier bootstrap of the work directory made, from its local state (`terraform output -json`, which starts
 * no provider), or undefined when the work directory was never bootstrapped.
 */
export async function readBootstrap(
  workDir: string,
  env: NodeJS.ProcessEnv,
): Promise<BootstrapResult | undefined> {
  const dir = join(workDir, 'cdktf.out', 'stacks', BOOTSTRAP_STACK_NAME);
  if (!existsSync(join(dir, '.terraform'))) return undefined;
  const outputs = (await terraformOutputsAsCdktf(dir, BOOTSTRAP_STACK_NAME, { workDir, env }))[
    BOOTSTRAP_STACK_NAME
  ] as Record<string, string> | undefined;
  if (!outputs?.deployer_client_id) return undefined;
  return {
    deployerClientId: outputs.deployer_client_id,
    tenantId: outputs.tenant_id,
    subscriptionId: outputs.subscription_id,
    lines: [],
  };
}

/** Resolves once every role assignment of the store has reached the data planes. */
async function propagation(store: CloudStore): Promise<void> {
  const data = store.read();
  const last = Math.max(0, ...data.roleAssignments.map((a) => a.createdAt));
  const wait = last + localMs(data.rbacPropagationSeconds) - Date.now();
  if (wait > 0) await new Promise((done) => setTimeout(done, wait));
}

/**
 * The environment that points Terraform's `azurerm` backend at the local cloud, signed in as the deployer: the proxy
 * and the local CA (`HTTPS_PROXY`, `SSL_CERT_FILE`), and OIDC (`ARM_USE_OIDC`, `ARM_OIDC_TOKEN_FILE_PATH`) with a
 * GitHub Actions token for the config's repository and environment, written to `tokenFile`.
 */
export async function stateBackendEnv(
  cloud: LocalCloud,
  config: Config,
  bootstrap: Pick<BootstrapResult, 'deployerClientId' | 'tenantId'>,
  tokenFile: string,
  storeFile: string,
): Promise<NodeJS.ProcessEnv> {
  const { deployer } = teamSettings(config);
  const { repository, environment } = deployer.github;
  // GitHub writes the subject its repository's settings give (the store's), not the one the deployer trusts.
  const held = githubRepository(new CloudStore(storeFile).read(), repository);
  if (!held)
    throw new Error(`the local GitHub holds no repository ${repository}: the lab seeds it`);
  // The claims GitHub puts in a job's token besides iss/sub/aud (a few of them).
  const token = await cloud.githubActions.issueToken(
    actionsSubject(held, environment),
    TOKEN_AUDIENCE,
    { repository, environment, repository_owner: repository.split('/')[0], ref: 'refs/heads/main' },
    3600,
  );
  mkdirSync(join(tokenFile, '..'), { recursive: true });
  writeFileSync(tokenFile, token, { mode: 0o600 });
  return {
    HTTPS_PROXY: cloud.proxyUrl,
    SSL_CERT_FILE: cloud.caCertPath,
    ARM_USE_OIDC: 'true',
    ARM_OIDC_TOKEN_FILE_PATH: tokenFile,
    ARM_CLIENT_ID: bootstrap.deployerClientId,
    ARM_TENANT_ID: bootstrap.tenantId,
    ARM_USE_CLI: 'false',
  };
}

/** Remove the token file (a credential, however short-lived). */
export function removeToken(tokenFile: string): void {
  if (existsSync(tokenFile)) rmSync(tokenFile);
}

/** `https://<account>.blob.core.windows.net/<container>/<key>`: where a stack's state is. */
export function stateUrl(config: Config, stack: string): string {
  const { state } = teamSettings(config);
  return `https://${state.azurerm.storageAccount}.blob.core.windows.net/${state.azurerm.container}/${stateKey(state, stack)}`;
}
