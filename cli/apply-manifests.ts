// deploy's last step: apply the manifests without adopting a namespace deploy did not make, and create again the
// Pods whose spec or injected identity changed (pods are immutable).
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { MANAGED_BY, MANAGED_BY_LABEL } from '../config/cluster-objects';
import type { KubeObject } from '../config/kubernetes-object';
import { kubeObjectsOf } from '../verify/synthesized-pair';
import { type KubeTarget, kubectl } from './kubectl';
import { podChanges } from './pod-changes';
import { type ExternalCommand, formatCommand, runCommand } from './run-step';

/** Options of `applyManifests`. */
export interface ApplyManifestsOptions {
  readonly target: KubeTarget;
  /** The synthesized manifests folder, as given to `kubectl apply -f`. */
  readonly dist: string;
  readonly print: (line: string) => void;
}

/** What `applyManifests` does, in one line. */
export function describeApply(target: KubeTarget, dist: string): string {
  return `${formatCommand(kubectl(target, ['apply', '-f', dist])).slice(2)}, leaving out namespaces that exist and were not made by deploy, after deleting the Pods whose spec or identity changed (pods are immutable)`;
}

/** The objects of every manifest file in `dist`. */
export function readManifests(dist: string): KubeObject[] {
  return readdirSync(dist)
    .filter((file) => file.endsWith('.yaml') || file.endsWith('.yml'))
    .sort()
    .flatMap((file) => kubeObjectsOf(join(dist, file), readFileSync(join(dist, file), 'utf8')));
}

const madeByDeploy = (object: KubeObject) =>
  object.metadata.labels?.[MANAGED_BY_LABEL] === MANAGED_BY;

/**
 * Apply the manifests of `dist` to the target cluster.
 *
 * 1. Namespaces of the manifests that already exist without deploy's label are left out, so applying does not
 *    adopt them (and destroy, which deletes only what carries the label, never deletes them).
 * 2. Running Pods of the manifests that differ from them are deleted first, and created again by the apply.
 * 3. `kubectl apply`; Deployments roll their pods as usual.
 */
export async function applyManifests(options: ApplyManifestsOptions): Promise<void> {
  const { target, dist, print } = options;
  const objects = readManifests(dist);
  const namespaces = objects.filter((o) => o.kind === 'Namespace').map((o) => o.metadata.name);
  const existing =
    namespaces.length > 0
      ? await getObjects(target, ['get', 'namespaces', ...namespaces], print)
      : [];
  const foreign = new Set(existing.filter((ns) => !madeByDeploy(ns)).map((ns) => ns.metadata.name));
  for (const name of foreign)
    print(
      `kubectl apply: namespace ${name} exists and was not made by deploy: used as it is, not applied (destroy leaves it)`,
    );
  const existingNames = new Set(existing.map((ns) => ns.metadata.name));

  const pods = objects.filter((o) => o.kind === 'Pod');
  const byNamespace = new Map<string, KubeObject[]>();
  for (const pod of pods) {
    const namespace = pod.metadata.namespace ?? 'default';
    byNamespace.set(namespace, [...(byNamespace.get(namespace) ?? []), pod]);
  }
  for (const [namespace, desired] of byNamespace) {
    // A namespace the manifests create, which does not exist yet, holds no pod.
    if (namespaces.includes(namespace) && !existingNames.has(namespace)) continue;
    const live = await getObjects(
      target,
      ['get', 'pods', '--namespace', namespace, ...desired.map((p) => p.metadata.name)],
      print,
    );
    const replace: string[] = [];
    for (const running of live) {
      const pod = desired.find((p) => p.metadata.name === running.metadata.name);
      if (!pod) continue;
      const account = objects.find(
        (o) =>
          o.kind === 'ServiceAccount' &&
          o.metadata.name === (pod.spec?.serviceAccountName ?? 'default') &&
          (o.metadata.namespace ?? 'default') === namespace,
      );
      const reasons = podChanges(pod, running, account);
      if (reasons.length === 0) continue;
      if (!madeByDeploy(running))
        throw new Error(
          `pod ${namespace}/${running.metadata.name} exists and was not made by deploy (no ${MANAGED_BY_LABEL}=${MANAGED_BY} label): rename the workload's pod, or delete that pod yourself`,
        );
      print(
        `kubectl apply: pod ${namespace}/${running.metadata.name} is created again (pods are immutable): ${reasons.join('; ')}`,
      );
      replace.push(running.metadata.name);
    }
    if (replace.length > 0)
      await run(
        kubectl(target, ['delete', 'pod', '--namespace', namespace, ...replace, '--wait=true']),
        print,
      );
  }

  if (foreign.size === 0) {
    await run(kubectl(target, ['apply', '-f', dist]), print);
    return;
  }
  const dir = mkdtempSync(join(tmpdir(), 'workload-id-apply-'));
  try {
    const file = join(dir, 'objects.yaml');
    const kept = objects.filter((o) => !(o.kind === 'Namespace' && foreign.has(o.metadata.name)));
    writeFileSync(file, kept.map((o) => stringify(o)).join('---\n'));
    await run(kubectl(target, ['apply', '-f', file]), print);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function run(command: ExternalCommand, print: (line: string) => void): Promise<void> {
  print(formatCommand(command));
  const { code } = await runCommand(command);
  if (code !== 0) throw new Error(`"kubectl ${verbOf(command)}" failed (exit ${code})`);
}

/** `kubectl get <kind> <names> --ignore-not-found --output json`: the objects that exist (none is not an error). */
async function getObjects(
  target: KubeTarget,
  args: readonly string[],
  print: (line: string) => void,
): Promise<KubeObject[]> {
  const command = kubectl(target, [...args, '--ignore-not-found', '--output', 'json']);
  print(formatCommand(command));
  const { code, stdout } = await runCommand(command, { capture: true, showErrors: true });
  if (code !== 0)
    throw new Error(
      `"kubectl ${verbOf(command)}" failed (exit ${code}): can the credentials of context ${target.context} read the cluster?`,
    );
  if (stdout.trim() === '') return [];
  let parsed: { kind?: string; items?: KubeObject[] };
  try {
    parsed = JSON.parse(stdout);
  } catch {
    throw new Error(`"kubectl ${verbOf(command)}" printed something other than JSON`);
  }
  // One name gives the object itself, several give a List.
  return parsed.kind === 'List' || Array.isArray(parsed.items)
    ? (parsed.items ?? [])
    : [parsed as KubeObject];
}

function verbOf(command: ExternalCommand): string {
  const args = [...command.args];
  while (args[0]?.startsWith('--')) args.splice(0, 2);
  return args.slice(0, 2).join(' ');
}
