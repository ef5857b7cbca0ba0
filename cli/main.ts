#!/usr/bin/env node
// The command line: `npm run cli -- <command>` in this repository, `npx workload-id <command>` where it is installed.
import { Command, Option } from 'commander';
import { CREDENTIAL_MODES } from '../config/credential-modes';
import { bootstrapCommand } from './bootstrap-command';
import { deployCommand } from './deploy-command';
import { destroyCommand } from './destroy-command';
import { logsCommand } from './logs-command';
import { CommandError } from './run-step';
import { tflocalCommand } from './tflocal-command';
import { verifyCommand } from './verify-command';

const program = new Command('workload-id')
  .description(
    'Microsoft Entra Workload ID on AKS as code: synthesize, verify, deploy, read the logs, destroy',
  )
  .showHelpAfterError();

program
  .command('synth')
  .description(
    'Write the Azure side and the Kubernetes stack (cdktf.out/) and the Kubernetes side (dist/) from one config',
  )
  .option(
    '-c, --config <file>',
    'config file (default: $WI_CONFIG or config/workload-identity.yaml)',
  )
  .option(
    '-o, --outputs <file>',
    'cdktf outputs file with the deployed values (default: $WI_OUTPUTS or outputs.json)',
  )
  .action(async (options: { config?: string; outputs?: string }) => {
    // Loaded when needed: cdktf, cdk8s and the provider bindings are most of the start-up time of the other commands.
    const { synthBoth, summarize } = await import('./synth-command');
    console.log(summarize(synthBoth(options)));
  });
// The other commands, one file each, in the order a user meets them.
program.addCommand(bootstrapCommand());
program.addCommand(verifyCommand());
program.addCommand(deployCommand());
program.addCommand(logsCommand());
program.addCommand(destroyCommand());
program.addCommand(tflocalCommand());
program
  .command('demo')
  .description(
    'Run the lab on this machine: synthesize, deploy into the local cloud, run the workload program, print its logs',
  )
  .option(
    '-c, --config <file>',
    'config file (default: $WI_CONFIG or config/workload-identity.yaml)',
  )
  .option('--work-dir <dir>', 'where the demo writes its files', '.local-cloud')
  .option(
    '--reset',
    'start the work directory over: an empty local cloud, no Terraform state, no outputs',
  )
  .addOption(
    new Option('--credential-mode <mode>', 'CREDENTIAL_MODE of the workload program').choices(
      CREDENTIAL_MODES,
    ),
  )
  .addHelpText(
    'after',
    "\nSecret values come from TF_VAR_secret_<name> as for a real deploy; the lab's demo values stand in for unset ones.",
  )
  .action(
    async (options: {
      config?: string;
      workDir: string;
      credentialMode?: string;
      reset?: boolean;
    }) => {
      const { runDemo } = await import('./demo-command');
      process.exitCode = await runDemo(options);
    },
  );

try {
  await program.parseAsync();
} catch (err) {
  // A CommandError is already one line that names the command; anything else gets the generic prefix.
  console.error(err instanceof CommandError ? err.message : `error: ${(err as Error).message}`);
  process.exitCode = err instanceof CommandError ? err.exitCode : 1;
}
