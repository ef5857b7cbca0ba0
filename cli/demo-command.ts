import { readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { AZURE_STACK_NAME, readOutputs } from '../config/outputs';
import { startLab, synthLab, TerraformFailed } from '../lab/lab';
import { demoValuesLine } from '../lab/lab-terraform';
import { AcrBuildError, lockWorkDir, type RunningPod, resetWorkDir } from '../local-cloud';
import { checkPair } from '../verify/check-pair';
import { readSynthesizedPair } from '../verify/synthesized-pair';
import { summarize } from './synth-command';

/** Options of the `demo` command. */
export interface DemoOptions {
  readonly config?: string;
  /** Where the demo's files go (synthesized stack, Terraform state, the local cloud's store). @default ".local-cloud" */
  readonly workDir?: string;
  /** `CREDENTIAL_MODE` of the workload program. @default "default" (DefaultAzureCredential, as the lab's sample) */
  readonly credentialMode?: string;
  /** Seconds to wait for each pod's first secret. @default 30 */
  readonly timeoutSeconds?: number;
  /** Start the work directory over: the local cloud, its state and outputs go first. @default false */
  readonly reset?: boolean;
}

/** Azure's answer when a resource exists that the state does not hold (azurerm's `tf.ImportAsExistsError`), as wrapped by Terraform. */
const NEEDS_IMPORT =
  /already\s+exists\s+-\s+to\s+be\s+managed\s+via\s+Terraform\s+this\s+resource\s+needs\s+to\s+be\s+imported/;

/** A numbered step with its duration, so the long ones show progress. */
async function step<T>(
  index: number,
  total: number,
  title: string,
  work: () => T | Promise<T>,
): Promise<T> {
  process.stdout.write(`[${index}/${total}] ${title} ... `);
  const started = performance.now();
  let result: T;
  try {
    result = await work();
  } catch (err) {
    // The step's line ends before the error's lines start.
    console.log('failed');
    throw err;
  }
  console.log(`${((performance.now() - started) / 1000).toFixed(1)}s`);
  return result;
}

/** Exit codes of a run stopped by a signal, as a shell reports them: 128 + the signal's number. */
const SIGNAL_EXIT_CODES = { SIGINT: 130, SIGTERM: 143 } as const;
type StopSignal = keyof typeof SIGNAL_EXIT_CODES;

/**
 * Run the lab on this machine: synthesize, deploy the Azure side with the real Terraform into the local cloud,
 * verify, apply the manifests (pods admitted through the webhook), run the workload program in each pod, print its
 * logs, and stop. Returns the exit code.
 *
 * SIGINT (Ctrl-C) and SIGTERM stop it in order: Terraform is interrupted as Ctrl-C interrupts it, the pods and the
 * local cloud's servers stop, their temporary files (CA and server keys, projected tokens) go, and the exit code is
 * 130 or 143.
 */
export async function runDemo(options: DemoOptions = {}): Promise<number> {
  const workDir = options.workDir ?? '.local-cloud';
  const where = (file: string) => relative(process.cwd(), file) || file;
  const stop = new AbortController();
  const onSignal = (name: StopSignal) => {
    if (stop.signal.aborted) return;
    console.error(`\n${name}: stopping Terraform, the pods and the local cloud`);
    stop.abort(name);
  };
  for (const name of Object.keys(SIGNAL_EXIT_CODES) as StopSignal[]) process.on(name, onSignal);
  const unlock = lockWorkDir(workDir, { report: (line) => console.error(line) });
  try {
    if (options.reset) {
      const left = resetWorkDir(workDir);
      console.log(`Started ${workDir} over: an empty local cloud, no state, no outputs`);
      if (left.length > 0)
        console.log(`Left ${left.join(', ')} in ${workDir}: the demo did not write them`);
    }
    return await demo(workDir, where, options, stop.signal);
  } catch (err) {
    if (stop.signal.aborted) {
      const name = stop.signal.reason as StopSignal;
      console.error(`${name}: stopped; nothing of this run is left running`);
      return SIGNAL_EXIT_CODES[name];
    }
    if (err instanceof AcrBuildError) {
      console.error('az acr build (local cloud) failed:');
      for (const line of err.lines) console.error(`      ${line}`);
      return 1;
    }
    if (!(err instanceof TerraformFailed)) throw err;
    for (const line of err.lines) console.error(line.replace(/^/gm, '      '));
    if (err.lines.some((line) => NEEDS_IMPORT.test(line)))
      console.error(
        `The local cloud in ${workDir} holds resources that its Terraform state does not (a run was stopped during apply): on Azure you would import them (terraform import <address> <id>); here, run the demo again with --reset to start the work directory over.`,
      );
    return 1;
  } finally {
    // Terraform's provider process of this run goes with it.
    const { stopSharedProviders } = await import('../local-cloud');
    await stopSharedProviders();
    unlock();
    for (const name of Object.keys(SIGNAL_EXIT_CODES) as StopSignal[]) process.off(name, onSignal);
  }
}

/** Rejects with the signal's reason once it aborts: race a wait against it. */
function whenAborted(signal: AbortSignal): Promise<never> {
  return new Promise((_, reject) => {
    if (signal.aborted) reject(signal.reason);
    signal.addEventListener('abort', () => reject(signal.reason), { once: true });
  });
}

async function demo(
  workDir: string,
  where: (file: string) => string,
  options: DemoOptions,
  signal: AbortSignal,
): Promise<number> {
  const files = await step(
    1,
    4,
    'Synthesizing the Azure side and deploying it with terraform init + apply into the local cloud',
    () => synthLab({ workDir, config: options.config, signal }),
  );
  for (const line of files.terraformLines) console.log(line.replace(/^/gm, '      '));
  const demoValues = demoValuesLine(files.demoValuesFor);
  if (demoValues) console.log(`      ${demoValues}`);
  // Left in place, as any Terraform run leaves them, for `terraform -chdir=... state list` and friends.
  const state = readdirSync(files.workDir).find(
    (f) => f === `terraform.${AZURE_STACK_NAME}.tfstate`,
  );
  // With state: in the config, the state is a blob of the local cloud's storage, and no file.
  const stateAt = files.stateLocation ?? (state ? where(join(files.workDir, state)) : '(none)');
  console.log(
    `      Terraform working directory ${where(files.stackDir)}/, state ${stateAt}, local cloud ${where(files.storeFile)}`,
  );

  const pair = readSynthesizedPair({
    terraformFile: files.terraformFile,
    manifestsDir: files.manifestsDir,
  });
  const summary = summarize({
    pair,
    bindingsSource: 'outputs',
    outputsFile: where(files.outputsFile),
    secretVariables: Object.keys(files.variables).map((v) => `TF_VAR_${v}`),
  });
  console.log(summary.replace(/^/gm, '      '));
  const findings = await step(2, 4, 'Verifying the pair before applying the manifests', () =>
    checkPair(pair, {
      bindings: readOutputs(files.outputsFile, files.config),
      forApply: true,
      secretValues: Object.values(files.variables),
    }),
  );
  for (const f of findings)
    console.error(`      ${f.severity}: ${f.check}: ${f.subject}: ${f.message}. Fix: ${f.fix}`);
  if (findings.some((f) => f.severity === 'error')) return 1;

  const lab = await step(
    3,
    4,
    `Starting the local cloud and applying ${where(files.manifestsDir)}/ (pods admitted through the webhook)`,
    () => startLab(files),
  );
  for (const line of lab.applied) console.log(`      ${line}`);
  try {
    signal.throwIfAborted();
    const pods = await step(4, 4, 'Running the pods with the workload program', () =>
      Promise.all(
        files.config.workloads.map((w) =>
          lab.runPod({
            pod: w.pod,
            env: options.credentialMode ? { CREDENTIAL_MODE: options.credentialMode } : {},
          }),
        ),
      ),
    );
    const timeoutInMs = (options.timeoutSeconds ?? 30) * 1000;
    const results = await Promise.race([
      Promise.all(pods.map((pod) => firstRead(pod, timeoutInMs))),
      whenAborted(signal),
    ]);
    for (const [i, pod] of pods.entries()) {
      console.log(`\nReading logs from [${pod.name}] pod...\n`);
      console.log(pod.logs().trimEnd());
      if (!results[i])
        console.error(`pod ${pod.name}: no secret read within ${timeoutInMs / 1000}s`);
    }
    const stats = lab.cloud.stats();
    console.log(
      `\nLocal cloud: ${stats.tokenRequests} token request(s), ${stats.secretReads} secret read(s), ${stats.challenges} challenge(s).`,
    );
    return results.every(Boolean) ? 0 : 1;
  } finally {
    await lab.close();
  }
}

/** Wait for the pod's first secret line (true), or its exit or the timeout (false); then stop it. */
async function firstRead(pod: RunningPod, timeoutInMs: number): Promise<boolean> {
  const read = pod.waitForLog(/^Your secret is /, timeoutInMs).then(
    () => true,
    () => false,
  );
  const ok = await Promise.race([read, pod.exited.then(() => read)]);
  await pod.stop();
  return ok;
}
