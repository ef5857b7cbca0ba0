import { Command } from 'commander';
import { loadConfig } from '../config/load-config';
import type { Config, WorkloadConfig } from '../config/schema';
import { kubectl } from './kubectl';
import { requireTools } from './preflight';
import { CommandError, type ExternalCommand, formatCommand, runCommand } from './run-step';

/** Options of the `logs` command. */
export interface LogsOptions {
  readonly config?: string;
  /** @default - the first workload of the config */
  readonly workload?: string;
  /** Keep printing as the pod writes (`kubectl logs -f`). */
  readonly follow?: boolean;
  readonly dryRun?: boolean;
}

/** The workload named, or the first; throws naming the workloads when there is no such one. */
export function workloadNamed(config: Config, name: string | undefined): WorkloadConfig {
  const workload =
    name === undefined ? config.workloads[0] : config.workloads.find((w) => w.name === name);
  if (!workload)
    throw new CommandError(
      `logs: no workload ${JSON.stringify(name)} in the config (workloads: ${config.workloads.map((w) => w.name).join(', ')})`,
    );
  return workload;
}

/** `kubectl --context <cluster> logs -n <namespace> <pod>`, with `-f` to follow: the context deploy wrote. */
export function logsCommandLine(
  config: Config,
  workload: WorkloadConfig,
  follow: boolean | undefined,
): ExternalCommand {
  return kubectl({ context: config.cluster.name }, [
    'logs',
    '-n',
    workload.namespace,
    workload.pod,
    ...(follow ? ['-f'] : []),
  ]);
}

/** The lab's 03-list-secret.sh: print the workload pod's logs. */
export async function logs(options: LogsOptions): Promise<void> {
  const config = loadConfig(options.config);
  const workload = workloadNamed(config, options.workload);
  const command = logsCommandLine(config, workload, options.follow);
  if (!options.dryRun) requireTools('logs', ['kubectl']);
  console.log(`Reading logs from [${workload.pod}] pod...`);
  console.log(formatCommand(command));
  if (options.dryRun) return;
  const { code } = await runCommand(command);
  if (code !== 0)
    throw new CommandError(
      `logs: "kubectl logs" failed (exit ${code}): is the pod deployed (npm run cli -- deploy, which also writes kubectl's context ${config.cluster.name})?`,
      code,
    );
}

/** `logs`: read the workload's output, where it prints the secret it read. */
export function logsCommand(): Command {
  return new Command('logs')
    .description(
      "Print the logs of a workload pod (kubectl --context <cluster> logs -n <namespace> <pod>), as the lab's 03-list-secret.sh",
    )
    .option(
      '-c, --config <file>',
      'config file (default: $WI_CONFIG or config/workload-identity.yaml)',
    )
    .option('-w, --workload <name>', 'the workload (default: the first of the config)')
    .option('-f, --follow', 'keep printing as the pod writes')
    .option('--dry-run', 'print the kubectl command without running it')
    .action((options: LogsOptions) => logs(options));
}
