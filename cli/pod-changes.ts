// Pods are immutable: `kubectl apply` of a changed Pod spec is refused, and what the webhook injects is fixed at
// creation. This module tells which running Pods must be deleted and created again.
import type { KubeObject } from '../config/kubernetes-object';
import { CLIENT_ID_ANNOTATION, TENANT_ID_ANNOTATION } from '../config/webhook';

/** Where `kubectl apply` keeps what it applied last: the exact object, before defaults and webhooks. */
export const LAST_APPLIED_ANNOTATION = 'kubectl.kubernetes.io/last-applied-configuration';

/** The webhook's variables that carry the identity, and the service account annotation each comes from. */
const INJECTED_IDENTITY = [
  ['AZURE_CLIENT_ID', CLIENT_ID_ANNOTATION],
  ['AZURE_TENANT_ID', TENANT_ID_ANNOTATION],
] as const;

/**
 * Why the running Pod `live` cannot become `desired` in place; empty when nothing that matters changed.
 *
 * Compares with what was applied last (spec, labels, annotations) when `kubectl apply` made the Pod, else the
 * images, variables and service account; and the identity the webhook injected at creation with the one the
 * service account now names (`account`: the service account as it will be applied).
 */
export function podChanges(desired: KubeObject, live: KubeObject, account?: KubeObject): string[] {
  const reasons: string[] = [];
  const lastApplied = parseLastApplied(live);
  if (lastApplied) {
    for (const [path, before, after] of [
      ['spec', lastApplied.spec, desired.spec],
      ['metadata.labels', lastApplied.metadata?.labels, desired.metadata.labels],
      ['metadata.annotations', lastApplied.metadata?.annotations, desired.metadata.annotations],
    ] as const) {
      const difference = firstDifference(before ?? {}, after ?? {}, path);
      if (difference) reasons.push(difference);
    }
  } else {
    if (live.spec?.serviceAccountName !== desired.spec?.serviceAccountName)
      reasons.push(
        `spec.serviceAccountName: ${show(live.spec?.serviceAccountName)} -> ${show(desired.spec?.serviceAccountName)}`,
      );
    for (const container of desired.spec?.containers ?? []) {
      const running = live.spec?.containers?.find((c) => c.name === container.name);
      const where = `container ${container.name}`;
      if (!running) {
        reasons.push(`${where}: not in the running pod`);
        continue;
      }
      if (running.image !== container.image)
        reasons.push(`${where}: image ${show(running.image)} -> ${show(container.image)}`);
      const names = new Set([
        ...(container.env ?? []).map((e) => e.name),
        ...(running.env ?? [])
          .map((e) => e.name)
          .filter((name) => !INJECTED_IDENTITY.some(([v]) => v === name) && !isInjected(name)),
      ]);
      for (const name of names) {
        const before = running.env?.find((e) => e.name === name)?.value;
        const after = container.env?.find((e) => e.name === name)?.value;
        if (before !== after)
          reasons.push(`${where}: env ${name} ${show(before)} -> ${show(after)}`);
      }
    }
  }
  for (const [variable, annotation] of INJECTED_IDENTITY) {
    const wanted = account?.metadata.annotations?.[annotation];
    for (const container of live.spec?.containers ?? []) {
      const injected = container.env?.find((e) => e.name === variable)?.value;
      if (wanted !== undefined && injected !== undefined && injected !== wanted) {
        reasons.push(
          `container ${container.name}: ${variable} ${show(injected)} was injected at creation; the service account now says ${show(wanted)}`,
        );
        break;
      }
    }
  }
  return reasons;
}

// Variables the webhook adds besides the identity: never in our manifests, so not a change.
function isInjected(name: string): boolean {
  return name === 'AZURE_FEDERATED_TOKEN_FILE' || name === 'AZURE_AUTHORITY_HOST';
}

function parseLastApplied(live: KubeObject): KubeObject | undefined {
  const text = live.metadata.annotations?.[LAST_APPLIED_ANNOTATION];
  if (!text) return undefined;
  try {
    return JSON.parse(text) as KubeObject;
  } catch {
    return undefined;
  }
}

/** `path: before -> after` at the first place two JSON values differ, or undefined when they are equal. */
export function firstDifference(before: unknown, after: unknown, path: string): string | undefined {
  if (before === after) return undefined;
  const bothArrays = Array.isArray(before) && Array.isArray(after);
  const bothObjects =
    typeof before === 'object' &&
    typeof after === 'object' &&
    before !== null &&
    after !== null &&
    !Array.isArray(before) &&
    !Array.isArray(after);
  if (bothArrays) {
    const length = Math.max(before.length, after.length);
    for (let i = 0; i < length; i++) {
      const difference = firstDifference(before[i], after[i], `${path}[${i}]`);
      if (difference) return difference;
    }
    return undefined;
  }
  if (bothObjects) {
    const b = before as Record<string, unknown>;
    const a = after as Record<string, unknown>;
    for (const key of [...new Set([...Object.keys(b), ...Object.keys(a)])].sort()) {
      const difference = firstDifference(b[key], a[key], `${path}.${key}`);
      if (difference) return difference;
    }
    return undefined;
  }
  return `${path}: ${show(before)} -> ${show(after)}`;
}

function show(value: unknown): string {
  if (value === undefined) return '(none)';
  const text = JSON.stringify(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}
