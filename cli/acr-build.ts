// deploy's build step: the project's workload program (app/) built in Azure with `az acr build` (no local Docker),
// then pinned by the digest the registry reports.
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { APP_REPOSITORY, type RegistryOutputs } from '../config/outputs';
import type { Config } from '../config/schema';
import { az } from './az';
import { type ExternalCommand, formatCommand, PROJECT_ROOT, runCommand } from './run-step';

/** The folder `az acr build` sends: the workload program and its Dockerfile. */
export const APP_DIR = join(PROJECT_ROOT, 'app');

/** Files of `dir` that make the image, in a stable order (dependencies and build output left out, as .dockerignore). */
function sourceFiles(dir: string): string[] {
  return readdirSync(dir)
    .filter((name) => !['node_modules', 'dist', 'build', '.git'].includes(name))
    .sort()
    .flatMap((name) => {
      const path = join(dir, name);
      return statSync(path).isDirectory() ? sourceFiles(path) : [path];
    });
}

/**
 * The tag of this build: the program's version and a hash of its sources, so that the same sources give the same
 * tag, and the digest read after the build is the image of these sources.
 */
export function appImageTag(dir = APP_DIR): string {
  const hash = createHash('sha256');
  for (const file of sourceFiles(dir))
    hash.update(relative(dir, file)).update('\0').update(readFileSync(file));
  const { version } = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as {
    version?: string;
  };
  return `${version ?? '0.0.0'}-${hash.digest('hex').slice(0, 12)}`;
}

/**
 * What preflight says when the config builds the program: `az acr build` runs on ACR Tasks, which Azure pauses for
 * subscriptions on free credits ("ACR is temporarily pausing ACR Tasks runs from Azure free credits", ACR Tasks
 * overview), and the ways out. Undefined when nothing is built.
 * @see https://learn.microsoft.com/azure/container-registry/container-registry-tasks-overview
 */
export function acrTasksNote(config: Config): string | undefined {
  if (!config.workloads.some((w) => w.build)) return undefined;
  return `preflight: build: app runs "az acr build" on ACR Tasks, which Azure pauses for subscriptions on free credits (https://learn.microsoft.com/azure/container-registry/container-registry-tasks-overview). On such a subscription: upgrade it to pay-as-you-go, or build and push the image yourself (docker build -t <registry>.azurecr.io/${APP_REPOSITORY}:<tag> app; az acr login --name <registry>; docker push ...) and set image: <registry>.azurecr.io/${APP_REPOSITORY}@sha256:<digest> instead of build: app`;
}

/**
 * `az acr build --registry <name> --image workload-id-app:<tag> --platform linux/<arch> --file app/Dockerfile app/`.
 * The platform is always named: ACR Tasks build linux/amd64 unless told otherwise, and an amd64 image on arm64 nodes
 * fails at start with `exec format error`.
 * @see https://learn.microsoft.com/cli/azure/acr#az-acr-build (`--platform`, in os/arch/variant form)
 */
export function acrBuildCommand(
  registry: RegistryOutputs,
  tag: string,
  subscription: string,
  architecture: 'amd64' | 'arm64',
): ExternalCommand {
  return az(subscription, [
    'acr',
    'build',
    '--registry',
    registry.registryName,
    '--image',
    `${APP_REPOSITORY}:${tag}`,
    '--platform',
    `linux/${architecture}`,
    '--file',
    join(APP_DIR, 'Dockerfile'),
    APP_DIR,
  ]);
}

/** `az acr repository show ... --query digest`: the digest the registry holds for the tag just pushed. */
export function digestCommand(
  registry: RegistryOutputs,
  tag: string,
  subscription: string,
): ExternalCommand {
  return az(subscription, [
    'acr',
    'repository',
    'show',
    '--name',
    registry.registryName,
    '--image',
    `${APP_REPOSITORY}:${tag}`,
    '--query',
    'digest',
    '--output',
    'tsv',
  ]);
}

/**
 * Build the program into the registry and return its reference pinned by digest:
 * `<login server>/workload-id-app@sha256:<hex>`. Throws naming the command that failed.
 */
export async function buildApp(
  registry: RegistryOutputs,
  subscription: string,
  print: (line: string) => void,
  architecture: 'amd64' | 'arm64',
): Promise<string> {
  const tag = appImageTag();
  const build = acrBuildCommand(registry, tag, subscription, architecture);
  print(formatCommand(build));
  const built = await runCommand(build);
  if (built.code !== 0) throw new Error(`"az acr build" failed (exit ${built.code})`);
  const show = digestCommand(registry, tag, subscription);
  print(formatCommand(show));
  const { code, stdout } = await runCommand(show, { capture: true, showErrors: true });
  const digest = stdout.trim();
  if (code !== 0 || !/^sha256:[0-9a-f]{64}$/.test(digest))
    throw new Error(
      `"az acr repository show" gave no digest for ${APP_REPOSITORY}:${tag} (exit ${code}${digest ? `, printed ${JSON.stringify(digest.slice(0, 80))}` : ''})`,
    );
  const image = `${registry.loginServer}/${APP_REPOSITORY}@${digest}`;
  print(`az acr build: ${image} (the manifests pin this digest)`);
  return image;
}
