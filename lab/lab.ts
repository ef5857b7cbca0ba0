/**
 * The lab, end to end on one machine: synthesize, deploy the Azure side with the real Terraform into the local cloud,
 * apply the manifests (pods admitted through the webhook), and run the real workload program against the local Entra
 * and Key Vault.
 *
 * A demo and test harness: product code never imports it.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';
import { loadConfig } from '../config/load-config';
import {
  APP_REPOSITORY,
  AZURE_STACK_NAME,
  readOutputs,
  readRegistryOutputs,
} from '../config/outputs';
import type { Config } from '../config/schema';
import { readTextFile } from '../lib/read-file';
import {
  acrBuild,
  applyObject,
  CloudStore,
  type CloudStoreData,
  type LocalCloud,
  liveModel,
  MAX_STACK_FILE_BYTES,
  type RunningPod,
  runTerraform,
  type StoredKubernetesObject,
  sameId,
  serviceAccountOf,
  startLocalCloud,
  TerraformError,
  terraformOutputsAsCdktf,
  type Workload,
} from '../local-cloud';
import { synthAzure, synthManifests } from '../synth';
import { labTerraformEnv, prepareLabTerraform } from './lab-terraform';
import {
  type BootstrapResult,
  bootstrapLab,
  removeToken,
  stateBackendEnv,
  stateUrl,
} from './remote-state';

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
 * The workload program compiled to one JavaScript file (build/app/main.cjs, by `npm run build`), as the image runs
 * compiled code: a pod then starts in about 0.2 s of CPU instead of 1.2 s through a TypeScript loader, and the demo
 * needs no bundler at run time (it runs from a production install).
 */
export async function buildApp(): Promise<string> {
  const program = join(ROOT, 'build', 'app', 'main.cjs');
  if (!existsSync(program)) throw new Error(`${program} not found: run npm run build first`);
  return program;
}

/** Where the lab's files are: the synthesized stack, its Terraform state, the local cloud's store, the manifests. */
export interface LabFiles {
  readonly config: Config;
  /** The lab's work directory (`.local-cloud/` for the demo). */
  readonly workDir: string;
  readonly terraformFile: string;
  /** The stack's Terraform working directory (`cdktf.out/stacks/<stack>`). */
  readonly stackDir: string;
  readonly manifestsDir: string;
  /** `terraform output -json` in cdktf's outputs-file shape. */
  readonly outputsFile: string;
  /** The local cloud's store: Azure and the cluster as the deploy left them. */
  readonly storeFile: string;
  /** The values the secrets were deployed with, by Terraform variable name. */
  readonly variables: Readonly<Record<string, string>>;
  /** `TF_VAR_*` that were not set, so the lab's demo values stood in. */
  readonly demoValuesFor: readonly string[];
  /** Terraform's result lines of the last apply, condensed (e.g. `Apply complete! Resources: 9 added, ...`). */
  readonly terraformLines: readonly string[];
  /** With `state:` in the config: what the bootstrap made (the deployer Terraform signs in as). */
  readonly bootstrap?: BootstrapResult;
  /** Where the Azure stack's state is: its blob URL with `state:`, else undefined (a file in `workDir`). */
  readonly stateLocation?: string;
}

/** How to synthesize and deploy a lab. */
export interface LabOptions {
  readonly workDir: string;
  readonly config?: string;
  /** Where `TF_VAR_*` come from. @default process.env */
  readonly env?: NodeJS.ProcessEnv;
  /** Change the world before the deploy (e.g. an existing cluster whose issuer is off). */
  readonly seed?: (data: CloudStoreData) => void;
  /** Interrupts Terraform (as Ctrl-C does); the deploy then rejects with the signal's reason. */
  readonly signal?: AbortSignal;
}

/** A Terraform run that failed: Terraform's own condensed error lines. */
export class TerraformFailed extends Error {
  constructor(
    readonly command: string,
    readonly lines: readonly string[],
  ) {
    super(`terraform ${command} failed:\n${lines.join('\n')}`);
    this.name = 'TerraformFailed';
  }
}

/**
 * Synthesize the Azure side, deploy it with `terraform init` and `terraform apply` into the local cloud, write its
 * outputs, then synthesize the manifests bound to those outputs: the order of `cdktf deploy --outputs-file`
 * followed by `npm run synth`.
 */
export async function synthLab(options: LabOptions): Promise<LabFiles> {
  const config = loadConfig(options.config);
  const workDir = resolve(options.workDir);
  const cdktfOut = join(workDir, 'cdktf.out');
  mkdirSync(workDir, { recursive: true });
  synthAzure(config, cdktfOut);
  const stackDir = join(cdktfOut, 'stacks', AZURE_STACK_NAME);
  const terraformFile = join(stackDir, 'cdk.tf.json');
  const prepared = prepareLabTerraform({
    config,
    workDir,
    terraformFile,
    env: options.env ?? process.env,
    seed: options.seed,
  });
  const files: LabFiles = {
    ...prepared,
    config,
    workDir,
    terraformFile,
    stackDir,
    manifestsDir: join(workDir, 'dist'),
    outputsFile: join(workDir, 'outputs.json'),
    terraformLines: [],
    // With remote state: the bootstrap first, with its own local state, as a team runs it once.
    bootstrap: config.state
      ? await bootstrapLab(
          workDir,
          config,
          new CloudStore(prepared.storeFile),
          labTerraformEnv({ variables: {} }),
        )
      : undefined,
    stateLocation: config.state ? stateUrl(config, AZURE_STACK_NAME) : undefined,
  };
  return applyLab(files, { init: true, signal: options.signal });
}

export { labTerraformEnv };

/**
 * `terraform apply` the lab's stack (again, after an edit of its `cdk.tf.json`), then its outputs and manifests.
 * Fails with Terraform's own lines when Terraform fails.
 */
export async function applyLab(
  files: LabFiles,
  options: { init?: boolean; signal?: AbortSignal } = {},
): Promise<LabFiles> {
  return withStateBackend(files, (backend, cloud) =>
    applyWith(
      files,
      { ...labTerraformEnv(files), ...backend },
      {
        ...options,
        // A failure of the blob storage stops Terraform at once, instead of its backend retrying a 500 for 10 minutes.
        signal: AbortSignal.any([options.signal, cloud?.failed].filter((s) => s !== undefined)),
      },
    ),
  );
}

/**
 * Run `work` with the environment Terraform's backend needs: with `state:`, the local cloud runs meanwhile (its blob
 * storage keeps the state, in `<workDir>/blob-storage`) and the environment signs Terraform in as the deployer;
 * without, nothing is started and the environment is empty.
 */
export async function withStateBackend<T>(
  files: Pick<LabFiles, 'workDir' | 'storeFile' | 'config' | 'bootstrap'>,
  work: (env: NodeJS.ProcessEnv, cloud?: LocalCloud) => Promise<T>,
): Promise<T> {
  if (!files.bootstrap) return work({});
  const cloud = await startLocalCloud(liveModel(new CloudStore(files.storeFile)), {
    blobDir: join(files.workDir, 'blob-storage'),
  });
  const tokenFile = join(files.workDir, 'terraform', 'github-actions-token');
  try {
    return await work(
      await stateBackendEnv(cloud, files.config, files.bootstrap, tokenFile, files.storeFile),
      cloud,
    );
  } finally {
    removeToken(tokenFile);
    await cloud.close();
  }
}

async function applyWith(
  files: LabFiles,
  env: NodeJS.ProcessEnv,
  options: { init?: boolean; signal?: AbortSignal },
): Promise<LabFiles> {
  const terraform = { workDir: files.workDir, env, signal: options.signal };
  const run = async (args: string[]) => {
    try {
      return await runTerraform(files.stackDir, args, terraform);
    } catch (err) {
      if (err instanceof TerraformError) throw new TerraformFailed(args[0], err.result.summary);
      throw err;
    }
  };
  if (options.init) await run(['init', '-input=false']);
  const applied = await run(['apply', '-auto-approve', '-input=false']);
  const outputs = await terraformOutputsAsCdktf(files.stackDir, AZURE_STACK_NAME, terraform);
  writeFileSync(files.outputsFile, `${JSON.stringify(outputs, null, 2)}\n`);
  synthManifests(
    files.config,
    readOutputs(files.outputsFile, files.config),
    files.manifestsDir,
    buildLabImages(files),
  );
  return { ...files, terraformLines: applied.summary };
}

/**
 * deploy's build step on the local cloud: `build: app` is built from app/ into the registry the stack made, as
 * `az acr build` does (local-cloud/azure/acr-build.ts), and pinned by the digest the registry then holds. Throws an
 * `AcrBuildError` with the build's lines when a `COPY` source is not in the context.
 */
function buildLabImages(files: LabFiles): ReadonlyMap<string, string> | undefined {
  if (!files.config.workloads.some((w) => w.build === 'app')) return undefined;
  const registry = readRegistryOutputs(files.outputsFile);
  const digest = acrBuild(new CloudStore(files.storeFile), {
    registry: registry.registryName,
    image: `${APP_REPOSITORY}:local`,
    contextDir: join(ROOT, 'app'),
  });
  return new Map([['app', `${registry.loginServer}/${APP_REPOSITORY}@${digest}`]]);
}

/** How the workload program runs in a lab pod. */
export interface LabPodOptions {
  /** Name of the Pod (or Deployment) in the cluster. */
  readonly pod: string;
  /** Extra environment for the program, e.g. `CREDENTIAL_MODE`, `RUN_ONCE`, `READ_INTERVAL_MS`. */
  readonly env?: Readonly<Record<string, string>>;
  /** @default now - in the past to start with an expired token */
  readonly tokenIssuedAt?: Date;
}

/** A running lab: the local cloud serving what the deploy left in the store. */
export interface Lab {
  readonly cloud: LocalCloud;
  readonly store: CloudStore;
  /** What applying the manifests did, as kubectl prints it (`pod/demo-pod created`); empty without manifests. */
  readonly applied: readonly string[];
  /** Run the workload program in a pod (or a Deployment's pod) the cluster holds. */
  runPod(options: LabPodOptions): Promise<RunningPod>;
  close(): Promise<void>;
}

/** The cluster the lab's config names, as the store holds it. */
function labCluster(data: CloudStoreData, config: Config) {
  const group = config.cluster.resourceGroup ?? config.resourceGroup;
  const cluster = data.clusters.find(
    (c) =>
      c.name === config.cluster.name && c.resourceGroupName.toLowerCase() === group.toLowerCase(),
  );
  if (!cluster)
    throw new Error(
      `the local cloud has no cluster ${config.cluster.name} in resource group ${group}: deploy first`,
    );
  return cluster;
}

/**
 * `kubectl apply -f <manifestsDir>`: namespaces first, then service accounts, then the rest, into the lab's cluster,
 * with kubectl's three-way merge (see applyObject). Returns kubectl's lines, e.g. `namespace/demo unchanged`.
 */
export function applyManifests(
  files: Pick<LabFiles, 'storeFile' | 'manifestsDir' | 'config'>,
): string[] {
  const objects = readdirSync(files.manifestsDir)
    .filter((f) => /\.ya?ml$/.test(f))
    .sort()
    .flatMap((f) =>
      parseAllDocuments(
        readTextFile(join(files.manifestsDir, f), { maxBytes: MAX_STACK_FILE_BYTES }),
      ).map((d) => d.toJS() as StoredKubernetesObject['object']),
    )
    .filter((o) => o && typeof o === 'object' && typeof o.kind === 'string');
  const rank = (kind: string) => (kind === 'Namespace' ? 0 : kind === 'ServiceAccount' ? 1 : 2);
  objects.sort((a, b) => rank(a.kind) - rank(b.kind));
  return new CloudStore(files.storeFile).update((data) => {
    const cluster = labCluster(data, files.config);
    return objects.map((object) => {
      const { outcome } = applyObject(data, cluster, object);
      // kubectl names an object <resource>[.<group>]/<name>: pod/demo-pod, deployment.apps/api
      const group = object.apiVersion.includes('/') ? `.${object.apiVersion.split('/')[0]}` : '';
      return `${object.kind.toLowerCase()}${group}/${object.metadata.name} ${outcome}`;
    });
  });
}

/**
 * Start the local cloud on the lab's store, with the lab's manifests applied to its cluster (unless the objects are
 * there already, e.g. applied by Terraform's `kubernetes_manifest`: no `manifestsDir`).
 */
export async function startLab(
  files: Pick<LabFiles, 'storeFile' | 'config'> & { readonly manifestsDir?: string },
): Promise<Lab> {
  const applied = files.manifestsDir
    ? applyManifests({ ...files, manifestsDir: files.manifestsDir })
    : [];
  const store = new CloudStore(files.storeFile);
  const [cloud, program] = await Promise.all([startLocalCloud(liveModel(store)), buildApp()]);
  return {
    cloud,
    store,
    applied,
    async runPod(options) {
      const data = store.read();
      const cluster = labCluster(data, files.config);
      const workload = data.kubernetesObjects.find(
        (o) =>
          sameId(o.clusterId, cluster.id) &&
          (o.object.kind === 'Pod' || o.object.kind === 'Deployment') &&
          o.object.metadata.name === options.pod,
      )?.object as unknown as Workload | undefined;
      if (!workload)
        throw new Error(
          `no Pod or Deployment named ${JSON.stringify(options.pod)} in cluster ${cluster.name}`,
        );
      // A Deployment's pods are created (and pass the webhook) when they start; a Pod passed it when applied.
      let admitted = workload;
      if (workload.kind === 'Deployment') {
        const namespace = workload.metadata.namespace ?? 'default';
        const accountName = workload.spec.template.spec.serviceAccountName || 'default';
        const account = serviceAccountOf(data, cluster.id, namespace, accountName);
        if (!account)
          throw new Error(
            `pods are forbidden: error looking up service account ${namespace}/${accountName}: serviceaccount "${accountName}" not found`,
          );
        admitted = cloud.mutatePod(workload, account).object;
      }
      return cloud.runPod({
        pod: admitted,
        cluster: cluster.name,
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
