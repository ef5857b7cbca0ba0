import type { WorkloadBindings } from '../config/outputs';
import type { Check, CheckInput, CheckNeed, Finding } from './check';
import * as modules from './checks/index';
import { modelOf } from './pair-model';
import type { SynthesizedPair } from './synthesized-pair';

export type { Check, CheckNeed, Finding } from './check';

/** Every check of `verify/checks/`, in the order of their ids: the order findings are reported in. */
export const CHECKS: readonly Check[] = Object.values(modules satisfies Record<string, Check>).sort(
  (a, b) => a.id.localeCompare(b.id),
);

/** Id of one check of `CHECKS`. */
export type CheckId = (typeof modules)[keyof typeof modules]['id'];

function cap(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max)}... (${text.length} characters)` : text;
}

/** What else the checks may know. */
export interface CheckOptions {
  /** Deployed values per workload, from the outputs file: the checks that need `outputs` run. */
  readonly bindings?: ReadonlyMap<string, WorkloadBindings>;
  /** Secret values that must appear in no file: the checks that need `secretValues` run. */
  readonly secretValues?: readonly string[];
  /** The manifests are about to be applied: the checks that need `forApply` run. */
  readonly forApply?: boolean;
}

/** Whether a check can run on this pair with these options, or why not. */
export function skipReason(
  check: Check,
  pair: SynthesizedPair,
  options: CheckOptions = {},
): string | undefined {
  const reasons: Record<CheckNeed, string | undefined> = {
    nothing: undefined,
    outputs: options.bindings ? undefined : 'no outputs file',
    secretValues: (options.secretValues ?? []).some((v) => v !== '')
      ? undefined
      : 'no TF_VAR_secret_* set',
    forApply: options.forApply ? undefined : 'without --for-apply',
    kubernetesStack: pair.kubernetesTerraform ? undefined : 'no Kubernetes stack synthesized',
  };
  return reasons[check.needs];
}

/** The checks that run on this pair with these options (the others need something not given). */
export function checksRun(pair: SynthesizedPair, options: CheckOptions = {}): Check[] {
  return CHECKS.filter((c) => skipReason(c, pair, options) === undefined);
}

/** Run every check that can run; the findings in the order of `CHECKS`. */
export function checkPair(pair: SynthesizedPair, options: CheckOptions = {}): Finding[] {
  const input: CheckInput = {
    pair,
    model: modelOf(pair),
    bindings: options.bindings,
    secretValues: options.secretValues ?? [],
    forApply: options.forApply === true,
  };
  return checksRun(pair, options).flatMap((check) =>
    check.run(input).map((problem) => ({
      check: check.id,
      severity: problem.severity ?? 'error',
      // A name or a value of the files can be of any size: a finding stays a few lines.
      subject: cap(problem.subject, 300),
      message: cap(problem.message, 2000),
      prevents: check.prevents,
      fix: problem.fix,
    })),
  );
}
