/**
 * The lab, end to end on one machine: synthesize, "deploy" into the local cloud, admit the pod through the webhook,
 * and run the real workload program against the local Entra and Key Vault.
 *
 * A demo and test harness: product code never imports it.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '../config/load-config';
import { AZURE_STACK_NAME, readOutputs, secretVariableName } from '../config/outputs';
import type { Config } from '../config/schema';
import { synthAzure, synthManifests } from '../synth';
import {
  objectsOf,
  readSynthesizedPair,
  type SynthesizedPair,
  type TerraformJson,
} from '../verify/synthesized-pair';
import { DEMO_SECRET_VALUES, deployTerraform, variablesFromEnv } from './deploy';
import type { RunningPod } from './kubelet';
import type { ServiceAccount, Workload } from './kubernetes';
import { type LocalCloud, startLocalCloud } from './local-cloud';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

/** The node flags of the image's entrypoint (app/Dockerfile), so the local pod runs the program as the image does. */
export function imageNodeFlags(): string[] {
  const dockerfile = readFileSync(join(ROOT, 'app', 'Dockerfile'), 'utf8');
  const entrypoint = /^ENTRYPOINT\s+(\[.*\])\s*$/m.exec(dockerfile)?.[1];
  if (!entrypoint) throw new Error('app/Dockerfile has no ENTRYPOINT ["node", ...] line');
  const [command, ...args] = JSON.parse(entrypoint) as string[];
  if (command !== 'node') throw new Error(`app/Dockerfile ENTRYPOINT runs ${command}, not node`);
  return args.filter((a) => a.startsWith('--'));
}

/** The Node that runs the workload program: `WI_APP_NODE` (CI points it at the image's Node 24), else this one. */
export function appNode(): string {
  return process.env.WI_APP_NODE || process.execPath;
}

/**
 * The workload program compiled to one JavaScript file (build/app/main.mjs, by `npm run build`), as the image runs
 * compiled code: a pod then starts in about 0.2 s of CPU instead of 1.2 s through a TypeScript loader, and the demo
 * needs no bundler at run time (it runs from a production install).
 */
export async function buildApp(): Promise<string> {
  const program = join(ROOT, 'build', 'app', 'main.mjs');
  if (!existsSync(program)) throw new Error(`${program} not found: run npm run build first`);
  return program;
}

/** Where the lab's synthesized files are. */
export interface LabFiles {
  readonly config: Config;
  readonly terraformFile: string;
  readonly manifestsDir: string;
  readonly outputsFile: string;
  /** The values the secrets were "deployed" with, by Terraform variable name. */
  readonly variables: Readonly<Record<string, string>>;
  /** `TF_VAR_*` that were not set, so the lab's demo values stood in. */
  readonly demoValuesFor: readonly string[];
  /** Secret values already in an existing vault (`keyVault.existing`), by secret name. */
  readonly existingSecrets: Readonly<Record<string, string>>;
}

/**
 * Synthesize the Azure side, deploy it into the local cloud to get its outputs, then synthesize the manifests bound to
 * those outputs: the same order as `cdktf deploy --outputs-file` followed by `npm run synth`.
 */
export function synthLab(options: {
  readonly workDir: string;
  readonly config?: string;
  readonly env?: NodeJS.ProcessEnv;
}): LabFiles {
  const config = loadConfig(options.config);
  const cdktfOut = join(options.workDir, 'cdktf.out');
  const manifestsDir = join(options.workDir, 'dist');
  const outputsFile = join(options.workDir, 'outputs.json');
  mkdirSync(options.workDir, { recursive: true });
  synthAzure(config, cdktfOut);
  const terraformFile = join(cdktfOut, 'stacks', AZURE_STACK_NAME, 'cdk.tf.json');
  const terraform = JSON.parse(readFileSync(terraformFile, 'utf8')) as TerraformJson;
  const env = options.env ?? process.env;
  const { values, fromFallback } = variablesFromEnv(
    Object.keys(terraform.variable ?? {}),
    env,
    DEMO_SECRET_VALUES,
  );
  // An existing vault already holds its secrets: the local cloud fills it from the same variables a deploy would use.
  const existingNames = config.keyVault.existing ? config.keyVault.secrets.map((s) => s.name) : [];
  const existing = variablesFromEnv(existingNames.map(secretVariableName), env, DEMO_SECRET_VALUES);
  const existingSecrets = Object.fromEntries(
    existingNames.map((name) => [name, existing.values[secretVariableName(name)]]),
  );
  const { outputs } = deployTerraform(terraform, { variables: values, existingSecrets });
  writeFileSync(outputsFile, `${JSON.stringify({ [AZURE_STACK_NAME]: outputs }, null, 2)}\n`);
  synthManifests(config, readOutputs(outputsFile, config), manifestsDir);
  return {
    config,
    terraformFile,
    manifestsDir,
    outputsFile,
    variables: values,
    demoValuesFor: [...fromFallback, ...existing.fromFallback],
    existingSecrets,
  };
}

/** How the workload program runs in a lab pod. */
export interface LabPodOptions {
  /** Name of the Pod (or Deployment) in the manifests. */
  readonly pod: string;
  /** Extra environment for the program, e.g. `CREDENTIAL_MODE`, `RUN_ONCE`, `READ_INTERVAL_MS`. */
  readonly env?: Readonly<Record<string, string>>;
  /** @default now - in the past to start with an expired token */
  readonly tokenIssuedAt?: Date;
}

/** A running lab: the local cloud serving the deployed files. */
export interface Lab {
  readonly cloud: LocalCloud;
  readonly pair: SynthesizedPair;
  /** Admit the pod through the webhook (throws what the webhook refuses) and run the workload program in it. */
  runPod(options: LabPodOptions): Promise<RunningPod>;
  close(): Promise<void>;
}

/** Start the local cloud from synthesized files alone (plus the secret values a deploy would use). */
export async function startLab(
  files: Pick<LabFiles, 'terraformFile' | 'manifestsDir' | 'variables' | 'existingSecrets'>,
): Promise<Lab> {
  const pair = readSynthesizedPair({
    terraformFile: files.terraformFile,
    manifestsDir: files.manifestsDir,
  });
  const { model } = deployTerraform(pair.terraform, {
    variables: files.variables,
    existingSecrets: files.existingSecrets,
  });
  const [cloud, program] = await Promise.all([startLocalCloud(model), buildApp()]);
  return {
    cloud,
    pair,
    async runPod(options) {
      const workload = pair.objects.find(
        (o) => (o.kind === 'Pod' || o.kind === 'Deployment') && o.metadata.name === options.pod,
      ) as unknown as Workload | undefined;
      if (!workload)
        throw new Error(
          `no Pod or Deployment named ${JSON.stringify(options.pod)} in ${files.manifestsDir}`,
        );
      const template = workload.kind === 'Deployment' ? workload.spec.template : workload;
      const accountName = template.spec.serviceAccountName ?? 'default';
      const namespace = workload.metadata.namespace ?? 'default';
      const account = (objectsOf(pair, 'ServiceAccount').find(
        (a) => a.metadata.name === accountName && (a.metadata.namespace ?? 'default') === namespace,
      ) as unknown as ServiceAccount | undefined) ?? {
        apiVersion: 'v1',
        kind: 'ServiceAccount',
        metadata: { name: accountName, namespace },
      };
      const admitted = cloud.mutatePod(workload, account).object;
      return cloud.runPod({
        pod: admitted,
        command: appNode(),
        args: [...imageNodeFlags(), program],
        cwd: ROOT,
        env: options.env,
        tokenIssuedAt: options.tokenIssuedAt,
      });
    },
    close: () => cloud.close(),
  };
}
