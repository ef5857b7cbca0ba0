import { existsSync } from 'node:fs';
import { Command } from 'commander';
import { loadConfig } from '../config/load-config';
import {
  DEFAULT_OUTPUTS_FILE,
  readOutputs,
  secretFromEnv,
  type WorkloadBindings,
} from '../config/outputs';
import {
  CHECKS,
  type Check,
  checkPair,
  checksRun,
  type Finding,
  skipReason,
} from '../verify/check-pair';
import { locatePair, readSynthesizedPair, type SynthesizedPair } from '../verify/synthesized-pair';
import { CommandError } from './run-step';

/** Options of the `verify` command. */
export interface VerifyOptions {
  readonly config?: string;
  /**
   * Outputs file to compare the client ids with; `false`: none (before a deploy, an old one may not fit the config).
   * @default - `$WI_OUTPUTS` or `outputs.json`, when it exists
   */
  readonly outputs?: string | false;
  /** The manifests are about to be applied: placeholders are errors. */
  readonly forApply?: boolean;
  /** @default "cdktf.out" */
  readonly cdktfOut?: string;
  /** @default "dist" */
  readonly dist?: string;
  /** Where `TF_VAR_secret_*` values are read from. @default process.env */
  readonly env?: NodeJS.ProcessEnv;
}

/** What one verification found. */
export interface VerifyReport {
  readonly pair: SynthesizedPair;
  /** The checks that ran. */
  readonly checks: readonly Check[];
  /** The checks that did not run, each with the reason. */
  readonly skipped: readonly { readonly check: Check; readonly reason: string }[];
  readonly findings: readonly Finding[];
  readonly errors: number;
  readonly warnings: number;
  /** The outputs file whose bindings were compared; undefined when there was none. */
  readonly outputsFile?: string;
  readonly forApply: boolean;
}

/** Exit code when the pair or the outputs file cannot be read (1 is for findings). */
export const VERIFY_UNREADABLE_EXIT_CODE = 2;

/** The values of every `TF_VAR_secret_*` variable: none of them may appear in a synthesized file. */
export function secretValuesFromEnv(env: NodeJS.ProcessEnv = process.env): string[] {
  return Object.keys(env).flatMap((name) => {
    const value = name.startsWith('TF_VAR_secret_') ? secretFromEnv(name, env) : undefined;
    return value === undefined ? [] : [value];
  });
}

/** Read the synthesized pair and run every check on it (`checkPair`), with the outputs and secret values at hand. */
export function verifyPair(options: VerifyOptions = {}): VerifyReport {
  const env = options.env ?? process.env;
  let pair: SynthesizedPair;
  let outputsFile: string | undefined;
  let bindings: ReadonlyMap<string, WorkloadBindings> | undefined;
  try {
    const config = loadConfig(options.config);
    if (typeof options.outputs === 'string' && !existsSync(options.outputs))
      throw new Error(`outputs file ${options.outputs} not found`);
    const candidate =
      options.outputs === false
        ? undefined
        : (options.outputs ?? env.WI_OUTPUTS ?? DEFAULT_OUTPUTS_FILE);
    if (candidate !== undefined && existsSync(candidate)) {
      outputsFile = candidate;
      bindings = readOutputs(candidate, config);
    }
    pair = readSynthesizedPair(locatePair(options.cdktfOut, options.dist));
  } catch (err) {
    throw new CommandError(`verify: ${(err as Error).message}`, VERIFY_UNREADABLE_EXIT_CODE);
  }
  const checkOptions = {
    bindings,
    secretValues: secretValuesFromEnv(env),
    forApply: options.forApply === true,
  };
  const findings = checkPair(pair, checkOptions);
  const checks = checksRun(pair, checkOptions);
  const skipped = CHECKS.flatMap((check) => {
    const reason = skipReason(check, pair, checkOptions);
    return reason === undefined ? [] : [{ check, reason }];
  });
  const errors = findings.filter((f) => f.severity === 'error').length;
  return {
    pair,
    checks,
    skipped,
    findings,
    errors,
    warnings: findings.length - errors,
    outputsFile,
    forApply: checkOptions.forApply,
  };
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

/** The files a report read, as given (relative when the folders were). */
function filesOf(report: VerifyReport): string[] {
  return [
    report.pair.terraformFile,
    ...(report.pair.kubernetesTerraformFile ? [report.pair.kubernetesTerraformFile] : []),
    ...report.pair.manifestFiles,
  ];
}

/** The report for a person: what was read, one block per finding, and a last line with the counts. */
export function formatVerifyReport(report: VerifyReport): string {
  const lines = [
    `verify: ${filesOf(report).join(', ')}`,
    `        bindings ${report.outputsFile ? `from ${report.outputsFile}` : 'not compared (no outputs file)'}${report.forApply ? '; manifests meant for apply' : ''}`,
  ];
  if (report.skipped.length > 0)
    lines.push(
      `        skipped: ${report.skipped.map((s) => `${s.check.id} (${s.reason})`).join(', ')}`,
    );
  for (const f of report.findings) {
    lines.push(
      '',
      `${f.severity}  ${f.check}  ${f.subject}`,
      `  ${f.message}`,
      `  prevents: ${f.prevents}`,
      `  fix: ${f.fix}`,
    );
  }
  lines.push('');
  lines.push(
    report.findings.length === 0
      ? `verify: all ${report.checks.length} checks passed`
      : `${plural(report.errors, 'error')}, ${plural(report.warnings, 'warning')}`,
  );
  return lines.join('\n');
}

/** The report as a JSON document (no secret value in it: only where one was found). */
export function verifyReportJson(report: VerifyReport): object {
  const failed = new Set(report.findings.map((f) => f.check));
  return {
    ok: report.errors === 0,
    errors: report.errors,
    warnings: report.warnings,
    files: filesOf(report),
    outputs: report.outputsFile ?? null,
    forApply: report.forApply,
    checks: report.checks.map((c) => ({
      id: c.id,
      title: c.title,
      needs: c.needs,
      prevents: c.prevents,
      passed: !failed.has(c.id),
    })),
    skipped: report.skipped.map((s) => ({
      id: s.check.id,
      title: s.check.title,
      reason: s.reason,
    })),
    findings: report.findings,
  };
}

/** `verify`: cross-check the synthesized pair; exit 1 when an error is found. */
export function verifyCommand(): Command {
  return new Command('verify')
    .description(
      'Check that the synthesized Azure and Kubernetes sides agree; exit 1 when an error is found',
    )
    .option(
      '-c, --config <file>',
      'config file (default: $WI_CONFIG or config/workload-identity.yaml)',
    )
    .option(
      '-o, --outputs <file>',
      'cdktf outputs file: the client-id annotations must equal its client ids (default: $WI_OUTPUTS or outputs.json, when it exists)',
    )
    .option('--for-apply', 'the manifests are about to be applied: placeholder bindings are errors')
    .option('--json', 'print a JSON document instead of text')
    .option('--cdktf-out <dir>', 'where the cdktf stacks were synthesized', 'cdktf.out')
    .option('--dist <dir>', 'where the manifests were synthesized', 'dist')
    .addHelpText(
      'after',
      `\nChecks:\n${CHECKS.map((c) => `  ${c.id.padEnd(22)} ${c.title}${c.needs === 'nothing' ? '' : ` (needs ${c.needs})`}`).join('\n')}\n\nSecret values are taken from the TF_VAR_secret_* variables, when set.\nExit status: 0 all checks passed, 1 an error was found, ${VERIFY_UNREADABLE_EXIT_CODE} the files could not be read.`,
    )
    .action((options: VerifyOptions & { json?: boolean }) => {
      const report = verifyPair(options);
      console.log(
        options.json
          ? JSON.stringify(verifyReportJson(report), null, 2)
          : formatVerifyReport(report),
      );
      if (report.errors > 0) process.exitCode = 1;
    });
}
