#!/usr/bin/env node
// The command line: `npx tsx cli/main.ts <command>` (npm scripts wrap the common ones).
import { Command } from 'commander';
import { synthBoth, summarize } from './synth-command';

const program = new Command('workload-id')
  .description('Microsoft Entra Workload ID on AKS as code: synthesize, run locally, verify')
  .showHelpAfterError();

program
  .command('synth')
  .description('Write the Azure side (cdktf.out/) and the Kubernetes side (dist/) from one config')
  .option('-c, --config <file>', 'config file (default: $WI_CONFIG or config/workload-identity.yaml)')
  .option('-o, --outputs <file>', 'cdktf outputs file with the deployed values (default: $WI_OUTPUTS or outputs.json)')
  .action((options: { config?: string; outputs?: string }) => {
    console.log(summarize(synthBoth(options)));
  });

try {
  await program.parseAsync();
} catch (err) {
  console.error(`error: ${(err as Error).message}`);
  process.exitCode = 1;
}
