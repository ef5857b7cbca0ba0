import { echo } from '../../config/echo';
import {
  outputName,
  PLACEHOLDER_BINDINGS,
  PLACEHOLDER_IMAGE,
  type WorkloadBindings,
} from '../../config/outputs';
import type { CheckInput, Problem } from '../check';
import { refOf } from '../pair-model';
import { resourcesOf } from '../synthesized-pair';

export const id = 'kubernetes-stack';
export const title =
  "the Kubernetes stack applies exactly the objects of the manifests, bound to the Azure stack's outputs";
export const needs = 'kubernetesStack';
export const prevents =
  'deploy --single applies other objects than the ones verified and applied by kubectl';

const FIX = 'synthesize both sides from the same config (npm run synth)';

/** One `kubernetes_manifest` per object of the manifests, equal to it but for output references. */
export function run({ pair, bindings }: CheckInput): Problem[] {
  const tf = pair.kubernetesTerraform;
  if (!tf) return [];
  const where = pair.kubernetesTerraformFile ?? 'the Kubernetes stack';
  const manifests = new Map(
    resourcesOf(tf, 'kubernetes_manifest').map((r) => [keyOf(r.values.manifest), r]),
  );
  const bound = boundOutputs(bindings);
  const problems: Problem[] = [];
  for (const object of pair.objects) {
    const key = keyOf(object);
    const resource = manifests.get(key);
    manifests.delete(key);
    if (!resource) {
      problems.push({
        subject: refOf(object),
        message: `no kubernetes_manifest of ${where} applies this object`,
        fix: FIX,
      });
      continue;
    }
    const difference = firstDifference(object, resource.values.manifest, bound);
    if (difference)
      problems.push({
        subject: refOf(object),
        message: `${resource.address} differs at ${difference}`,
        fix: FIX,
      });
  }
  for (const resource of manifests.values()) {
    problems.push({
      subject: resource.address,
      message: `applies ${keyOf(resource.values.manifest)}, which is not in the manifests`,
      fix: FIX,
    });
  }
  return problems;
}

function keyOf(value: unknown): string {
  const o = (value ?? {}) as {
    apiVersion?: unknown;
    kind?: unknown;
    metadata?: Record<string, unknown>;
  };
  return `${o.apiVersion} ${o.kind} ${o.metadata?.namespace ?? ''}/${o.metadata?.name}`;
}

/** Whether a Terraform output may stand for a value of the manifests: a placeholder of its kind, or the deployed value of that very output. */
function boundOutputs(
  bindings: ReadonlyMap<string, WorkloadBindings> = new Map(),
): (value: string, output: string) => boolean {
  const keys = Object.keys(PLACEHOLDER_BINDINGS) as (keyof WorkloadBindings)[];
  // Every (deployed value, output name) pair, built once: the lookup runs for each output reference of each manifest.
  // Output names never hold a line break, so the key cannot be ambiguous.
  const deployed = new Set(
    [...bindings].flatMap(([workload, b]) =>
      keys.map((key) => `${b[key]}\n${outputName(workload, key)}`),
    ),
  );
  return (value, output) =>
    keys.some(
      (key) => value === PLACEHOLDER_BINDINGS[key] && output.endsWith(outputName('', key)),
    ) || deployed.has(`${value}\n${output}`);
}

/** The path of the first difference between a manifest object and a Terraform one, where a binding may be an output reference. */
function firstDifference(
  expected: unknown,
  actual: unknown,
  bound: (value: string, output: string) => boolean,
  path = '',
): string | undefined {
  const differs = () =>
    `${path || '<root>'}: ${echo(expected)} in the manifests, ${echo(actual)} in Terraform`;
  if (typeof expected === 'string' && typeof actual === 'string') {
    const output = /^\$\{data\.terraform_remote_state\.[\w-]+\.outputs\.([\w-]+)\}$/.exec(
      actual,
    )?.[1];
    if (expected === actual || (output !== undefined && bound(expected, output))) return undefined;
    // An image deploy built is known only to the two-step path (--single refuses build workloads): the stack keeps
    // the placeholder where the manifests pin the digest.
    if (actual === PLACEHOLDER_IMAGE && /@sha256:[0-9a-f]{64}$/.test(expected)) return undefined;
    return differs();
  }
  if (
    expected &&
    actual &&
    typeof expected === 'object' &&
    typeof actual === 'object' &&
    Array.isArray(expected) === Array.isArray(actual)
  ) {
    const e = expected as Record<string, unknown>;
    const a = actual as Record<string, unknown>;
    for (const k of new Set([...Object.keys(e), ...Object.keys(a)])) {
      const step = Array.isArray(expected)
        ? `[${k}]`
        : /^[A-Za-z_]\w*$/.test(k)
          ? `${path ? '.' : ''}${k}`
          : `[${JSON.stringify(k)}]`;
      const found = firstDifference(e[k], a[k], bound, path + step);
      if (found) return found;
    }
    return undefined;
  }
  return expected === actual ? undefined : differs();
}
