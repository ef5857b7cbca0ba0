import type { WorkloadBindings } from '../config/outputs';
import type { PairModel } from './pair-model';
import type { SynthesizedPair } from './synthesized-pair';

/**
 * What a check needs besides the synthesized pair, and so when it can run.
 *
 * - `nothing`: always; these run before `deploy` changes anything.
 * - `outputs`: the deployed values, from an outputs file.
 * - `secretValues`: the values of the `TF_VAR_secret_*` variables.
 * - `forApply`: the manifests are about to be applied (`verify --for-apply`).
 * - `kubernetesStack`: the Kubernetes stack was synthesized beside the Azure one.
 */
export type CheckNeed = 'nothing' | 'outputs' | 'secretValues' | 'forApply' | 'kubernetesStack';

/** What a check is given. */
export interface CheckInput {
  readonly pair: SynthesizedPair;
  /** What several checks read from the pair (credentials, workload pods), derived once. */
  readonly model: PairModel;
  /** Deployed values per workload; present for the checks that need `outputs`. */
  readonly bindings?: ReadonlyMap<string, WorkloadBindings>;
  /** Secret values that must appear in no file; empty when none is known. */
  readonly secretValues: readonly string[];
  /** The manifests are about to be applied. */
  readonly forApply: boolean;
}

/** One problem a check found, before the runner adds the check's id and what it prevents. */
export interface Problem {
  /** The object or resource at fault, e.g. `Pod workload-id-test/demo-pod`. */
  readonly subject: string;
  readonly message: string;
  readonly fix: string;
  /** @default "error" */
  readonly severity?: 'error' | 'warning';
}

/** One check of a synthesized pair: a module of `verify/checks/` exports these fields. */
export interface Check {
  /** Stable id, e.g. `credential-subject`: named in reports, docs/verify.md and `--json`. */
  readonly id: string;
  /** What the check makes sure of, in one line. */
  readonly title: string;
  readonly needs: CheckNeed;
  /** The failure at run time (or at deploy) this check prevents, as Azure or Kubernetes reports it. */
  readonly prevents: string;
  /** Every problem found; none when the pair is right. */
  readonly run: (input: CheckInput) => readonly Problem[];
}

/** One problem found in a synthesized pair: what, where, the failure it prevents and the fix. */
export interface Finding {
  /** Stable id of the check, e.g. `credential-subject`. */
  readonly check: string;
  readonly severity: 'error' | 'warning';
  /** The object or resource at fault, e.g. `Pod workload-id-test/demo-pod`. */
  readonly subject: string;
  readonly message: string;
  /** The failure at run time this check prevents. */
  readonly prevents: string;
  readonly fix: string;
}
