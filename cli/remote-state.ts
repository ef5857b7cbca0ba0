// Remote state (state.azurerm): check that the state is reachable before anything changes, and read the outputs
// from it with `terraform output -json`, so a CI runner with no file of an earlier run binds the manifests.
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { PassThrough } from 'node:stream';
import { STATE_ROLE } from '../config/built-in-roles';
import { echo } from '../config/echo';
import { AZURE_STACK_NAME } from '../config/outputs';
import type { StateConfig } from '../config/state';
import { captureCapped, MAX_CAPTURED_OUTPUT_BYTES, tooMuchOutput } from '../lib/capped-output';
import { findProgram, PROJECT_ROOT, type Step } from './run-step';

/** The Resource Manager id of the state container: the scope of `Storage Blob Data Contributor`. */
export function stateContainerId(state: StateConfig, subscription: string): string {
  const { resourceGroup, storageAccount, container } = state.azurerm;
  return `/subscriptions/${subscription}/resourceGroups/${resourceGroup}/providers/Microsoft.Storage/storageAccounts/${storageAccount}/blobServices/default/containers/${container}`;
}

/**
 * One line saying what is missing when Terraform's azurerm backend could not reach the state, and what to run; undefined
 * when the output shows none of these causes.
 *
 * The causes, as Terraform prints them: the account's host name does not resolve (no such account), the Blob
 * service answers `ContainerNotFound`, or `AuthorizationPermissionMismatch` (the token is valid, the role is missing).
 * @see https://learn.microsoft.com/rest/api/storageservices/blob-service-error-codes
 */
export function stateAccessProblem(
  output: string,
  state: StateConfig,
  subscription: string,
): string | undefined {
  const { storageAccount, container } = state.azurerm;
  const host = `${storageAccount}.blob.core.windows.net`;
  // Directly: DNS has no such name. Through a proxy (CI behind one, or the local cloud): the proxy cannot connect.
  if (
    output.includes(host) &&
    /no such host|server misbehaving|Bad Gateway|Service Unavailable/.test(output)
  )
    return `the state's storage account ${storageAccount} does not exist (${host} has no address): create it with "workload-id bootstrap"`;
  if (/ContainerNotFound/.test(output))
    return `the state's container ${container} does not exist in storage account ${storageAccount}: create it with "workload-id bootstrap"`;
  if (/AuthorizationPermissionMismatch|AuthorizationFailure/.test(output))
    return `the signed-in identity may not read and write blobs in ${storageAccount}/${container}: it needs "${STATE_ROLE}" on the container: az role assignment create --role "${STATE_ROLE}" --assignee <its object id> --scope ${stateContainerId(state, subscription)} (workload-id bootstrap grants it to whoever runs it)`;
  return undefined;
}

/** How long Terraform has to stop after a SIGTERM before it is killed. */
const TERRAFORM_STOP_GRACE_MS = 10_000;

/**
 * Run `terraform -chdir=<dir> <args>`, capturing stdout, and stdout and stderr together, each up to
 * `MAX_CAPTURED_OUTPUT_BYTES`: past it, Terraform is stopped (SIGTERM, as a CI runner stops it, then SIGKILL) and the
 * promise rejects with one line naming the command and the cap.
 */
function terraform(
  dir: string,
  args: readonly string[],
  env: Readonly<Record<string, string>>,
  hint?: string,
): Promise<{ code: number; stdout: string; output: string }> {
  return new Promise((done, fail) => {
    const child = spawn(findProgram('terraform') ?? 'terraform', [`-chdir=${dir}`, ...args], {
      env: { ...process.env, ...env, TF_IN_AUTOMATION: '1', TF_INPUT: '0' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const stop = () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      setTimeout(() => child.kill('SIGKILL'), TERRAFORM_STOP_GRACE_MS).unref();
    };
    const max = MAX_CAPTURED_OUTPUT_BYTES;
    const stdout = captureCapped(child.stdout, max, stop);
    // stdout and stderr interleaved, as a terminal shows them: what the error lines are read from.
    const both = new PassThrough();
    child.stdout.pipe(both, { end: false });
    child.stderr.pipe(both, { end: false });
    const output = captureCapped(both, max, stop);
    const text = () => ({ stdout: stdout.text(), output: output.text() });
    child.on('error', (err) => done({ code: 127, stdout: '', output: err.message }));
    child.on('close', (code) => {
      both.end();
      if (stdout.overflowed || output.overflowed)
        fail(new Error(tooMuchOutput(`terraform ${args.join(' ')}`, max, hint)));
      else done({ code: code ?? 1, ...text() });
    });
  });
}

/** The Azure stack's folder as cdktf writes it: `<cdktfOut>/stacks/workload-identity`. */
function azureStackDir(cdktfOut: string): string {
  return join(resolve(cdktfOut), 'stacks', AZURE_STACK_NAME);
}

/**
 * A step that runs `terraform init` on the synthesized Azure stack: the backend reads the state's container, so a
 * missing storage account, container or role fails here, before anything changes, in one line.
 */
export function stateCheckStep(
  state: StateConfig,
  subscription: string,
  cdktfOut = 'cdktf.out',
): Step {
  const { storageAccount, container } = state.azurerm;
  return {
    title: 'terraform init (remote state)',
    describe: `terraform init in ${azureStackDir(cdktfOut)}: reach the state in ${storageAccount}/${container} with an Entra token (az login, or ARM_USE_OIDC in CI)`,
    run: async () => {
      const { code, output } = await terraform(
        azureStackDir(cdktfOut),
        ['init', '-input=false', '-no-color'],
        { ARM_SUBSCRIPTION_ID: subscription },
      );
      if (code === 0) return;
      const problem = stateAccessProblem(output, state, subscription);
      const errors = output.split('\n').filter((l) => l.startsWith('Error') || /Error:/.test(l));
      throw new Error(problem ?? (errors.join(' ').trim() || `terraform init exit ${code}`));
    },
  };
}

/**
 * A step that writes `outputs` from the remote state (`terraform output -json`), in the shape of cdktf's outputs
 * file; sensitive outputs are left out, as cdktf leaves them out.
 */
export function outputsFromStateStep(
  outputs: string,
  subscription: string,
  cdktfOut = join(PROJECT_ROOT, 'cdktf.out'),
): Step {
  return {
    title: 'terraform output -json (remote state)',
    describe: `read the Azure stack's outputs from the remote state into ${outputs}`,
    run: async () => {
      const dir = azureStackDir(cdktfOut);
      const { code, stdout, output } = await terraform(
        dir,
        ['output', '-json', '-no-color'],
        { ARM_SUBSCRIPTION_ID: subscription },
        `the outputs of a stack are a few KB: see what "terraform -chdir=${dir} output" prints`,
      );
      if (code !== 0)
        throw new Error(`terraform output failed: ${output.trim().split('\n').at(-1)}`);
      const text = `${JSON.stringify(cdktfOutputs(stdout), null, 2)}\n`;
      try {
        writeFileSync(outputs, text);
      } catch (err) {
        throw new Error(
          `cannot write outputs file ${outputs}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
        );
      }
    },
  };
}

/** `terraform output -json` as cdktf writes its outputs file: `{ "workload-identity": { name: value } }`. */
export function cdktfOutputs(terraformJson: string): Record<string, Record<string, unknown>> {
  const isObject = (v: unknown): v is Record<string, unknown> =>
    typeof v === 'object' && v !== null && !Array.isArray(v);
  let outputs: unknown;
  try {
    outputs = JSON.parse(terraformJson || '{}');
  } catch (err) {
    throw new Error(
      `terraform output -json printed no JSON (${(err as Error).message.slice(0, 100)}), not the outputs of a stack`,
    );
  }
  if (!isObject(outputs) || !Object.values(outputs).every(isObject))
    throw new Error(`terraform output -json printed ${echo(outputs)}, not the outputs of a stack`);
  const values: Record<string, unknown> = {};
  for (const [name, o] of Object.entries(outputs as Record<string, Record<string, unknown>>))
    if (!o.sensitive) values[name] = o.value;
  return { [AZURE_STACK_NAME]: values };
}
