import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { Command } from 'commander';
import { vmArchitecture } from '../config/aks';
import { configPath, loadConfig } from '../config/load-config';
import {
  AZURE_STACK_NAME,
  BOTH_STACKS,
  type ClusterOutputs,
  DEFAULT_OUTPUTS_FILE,
  readRegistryOutputs,
} from '../config/outputs';
import type { Config } from '../config/schema';
import { buildApp } from './acr-build';
import { applyManifests, describeApply } from './apply-manifests';
import {
  applicationRolesNote,
  assignmentScopes,
  DELETED_VAULTS_READ,
  permissionsCommand,
  ROLE_ASSIGNMENTS_WRITE,
  requireRoleAssignmentRights,
  tenantLoginCommand,
} from './deployer-rights';
import { getCredentials, kubeTargetOf, targetCluster } from './kubectl';
import { preflight, requireOutputsFile } from './preflight';
import { outputsFromStateStep, stateCheckStep } from './remote-state';
import {
  CommandError,
  type ExternalCommand,
  formatCommand,
  PROJECT_ROOT,
  runSteps,
  type Step,
} from './run-step';
import {
  type ClusterSignIn,
  convertKubeconfigCommand,
  defaultKubeconfig,
  requireClusterAccess,
} from './single-cluster-access';
import { formatVerifyReport, verifyPair } from './verify-command';

/** Options of the `deploy` command. */
export interface DeployOptions {
  readonly config?: string;
  /** Where cdktf writes the outputs. @default - `$WI_OUTPUTS` or `outputs.json` */
  readonly outputs?: string;
  /** Print the steps and their commands, run nothing. */
  readonly dryRun?: boolean;
  /** Both stacks with one `cdktf deploy workload-identity workload-identity-k8s`: Terraform applies the manifests too. */
  readonly single?: boolean;
  /** Do not ask before deploying. */
  readonly yes?: boolean;
}

/** The manifests folder the steps write and apply, relative to the current folder as `synth` writes it. */
const DIST = 'dist';

/** How `cdktf` runs: in the project folder (where cdktf.json is), with the chosen config and subscription. */
export function cdktfCommand(
  args: readonly string[],
  config: string | undefined,
  subscription: string | undefined,
): ExternalCommand {
  const env = {
    ...(subscription ? { ARM_SUBSCRIPTION_ID: subscription } : {}),
    ...(config ? { WI_CONFIG: config } : {}),
  };
  return {
    program: 'cdktf',
    args,
    cwd: PROJECT_ROOT,
    env: Object.keys(env).length > 0 ? env : undefined,
  };
}

/** The config file to hand to `cdktf` (which runs elsewhere), as an absolute path; undefined for the default. */
export function configForCdktf(config: string | undefined): string | undefined {
  return config !== undefined || process.env.WI_CONFIG !== undefined
    ? resolve(configPath(config))
    : undefined;
}

/**
 * The steps of a deploy, in order; `subscription` becomes cdktf's `ARM_SUBSCRIPTION_ID` and every az call's
 * `--subscription`. `signIn` is how an existing cluster signs kubectl in, as preflight read it.
 */
export function deploySteps(
  options: DeployOptions,
  config: Config,
  subscription: string,
  signIn?: ClusterSignIn,
): Step[] {
  const outputs = outputsFileOf(options);
  const cdktfConfig = configForCdktf(options.config);
  const print = (text: string) => console.log(text);

  // The project's program, built into the registry between the Azure stack and the manifests.
  const builds = [...new Set(config.workloads.flatMap((w) => (w.build ? [w.build] : [])))];
  let builtImages: ReadonlyMap<string, string> | undefined;
  if (options.single && builds.length > 0)
    throw new CommandError(
      `deploy: --single cannot build the program (build: ${builds.join(', ')}): the image must be built after the registry exists and before the manifests are applied, which one "cdktf deploy workload-identity workload-identity-k8s" cannot do; deploy without --single`,
    );
  if (options.single) {
    return [
      {
        title: 'synth',
        describe:
          "write both stacks and the manifests from the config (the Kubernetes stack binds them to the Azure stack's outputs)",
        run: async () =>
          void (await import('./synth-command')).synthBoth({ config: options.config, outputs }),
      },
      {
        title: 'verify',
        describe:
          'check the pair, and that the Kubernetes stack applies exactly the objects of dist/',
        run: () => {
          const report = verifyPair({
            config: options.config,
            outputs: existsSync(outputs) ? outputs : undefined,
          });
          print(formatVerifyReport(report));
          if (!report.pair.kubernetesTerraform)
            throw new Error('the Kubernetes stack was not synthesized');
          if (report.errors > 0)
            throw new Error(`${report.errors} verify error${report.errors === 1 ? '' : 's'}`);
        },
      },
      {
        title: `cdktf deploy ${BOTH_STACKS.join(' ')}`,
        command: cdktfCommand(
          ['deploy', ...BOTH_STACKS, '--auto-approve', '--outputs-file', outputs],
          cdktfConfig,
          subscription,
        ),
      },
    ];
  }

  // Read when the step starts: cdktf deploy has just written the outputs, which must name the config's cluster.
  const cluster = (): ClusterOutputs => targetCluster('', config, outputs, subscription);
  return [
    {
      title: 'check',
      describe:
        'synthesize and run every check that needs no outputs, before anything changes (the deployed values are not known yet)',
      run: async () => {
        (await import('./synth-command')).synthBoth({ config: options.config, placeholders: true });
        const report = verifyPair({ config: options.config, outputs: false });
        print(formatVerifyReport(report));
        if (report.errors > 0)
          throw new Error(
            `${report.errors} verify error${report.errors === 1 ? '' : 's'}; nothing was changed`,
          );
      },
    },
    // With remote state: the state is checked before anything changes, and the outputs come from it.
    ...(config.state ? [stateCheckStep(config.state, subscription)] : []),
    {
      title: 'cdktf deploy',
      command: cdktfCommand(
        [
          'deploy',
          AZURE_STACK_NAME,
          '--auto-approve',
          ...(config.state ? [] : ['--outputs-file', outputs]),
        ],
        cdktfConfig,
        subscription,
      ),
    },
    ...(config.state ? [outputsFromStateStep(outputs, subscription)] : []),
    ...builds.map((build) => ({
      title: 'az acr build',
      describe: `build ${build}/ in the registry named by ${outputs} (az acr build: no local Docker), then read the pushed digest (az acr repository show) to pin it in the manifests`,
      run: async () => {
        // The program runs on the Linux nodes of the default pool: built for their architecture.
        const image = await buildApp(
          readRegistryOutputs(outputs),
          subscription,
          print,
          vmArchitecture(config.cluster.vmSize),
        );
        builtImages = new Map([...(builtImages ?? []), [build, image]]);
      },
    })),
    {
      title: 'synth',
      describe: `write the manifests bound to the deployed values in ${outputs}`,
      run: async () => {
        if (!existsSync(outputs)) throw new Error(`${outputs} was not written by cdktf deploy`);
        const { summarize, synthBoth } = await import('./synth-command');
        print(summarize(synthBoth({ config: options.config, outputs, builtImages })));
      },
    },
    {
      title: 'verify',
      describe: 'check the pair for apply: no placeholder left, client ids equal to the outputs',
      run: () => {
        const report = verifyPair({ config: options.config, outputs, forApply: true });
        print(formatVerifyReport(report));
        if (report.errors > 0)
          throw new Error(
            `${report.errors} verify error${report.errors === 1 ? '' : 's'}; nothing was applied to the cluster`,
          );
      },
    },
    {
      title: 'az aks get-credentials',
      command: () => getCredentials(cluster(), subscription, kubeTargetOf(cluster())),
    },
    // An existing cluster may use Entra ID sign-in (a new one has local accounts): kubectl then needs kubelogin.
    ...(config.cluster.existing
      ? [
          {
            title: 'kubelogin convert-kubeconfig',
            command: () => convertKubeconfigCommand(kubeTargetOf(cluster()), defaultKubeconfig()),
            skip: () =>
              signIn?.entraId
                ? undefined
                : `cluster ${config.cluster.name} has local accounts: its kube config signs in with a client certificate`,
          },
        ]
      : []),
    {
      title: 'kubectl apply',
      // The context is named after the cluster: kubectl never acts on whatever context is current.
      describe: describeApply({ context: config.cluster.name }, `${DIST}/`),
      run: () => applyManifests({ target: kubeTargetOf(cluster()), dist: `${DIST}/`, print }),
    },
  ];
}

/** The outputs file of a deploy: `--outputs`, else `$WI_OUTPUTS`, else `outputs.json`. */
function outputsFileOf(options: DeployOptions): string {
  return resolve(options.outputs ?? process.env.WI_OUTPUTS ?? DEFAULT_OUTPUTS_FILE);
}

/**
 * Deploy to the subscription `az` is logged in to: the Azure side, then the manifests bound to its outputs.
 *
 * Checks first, in one line each: every `TF_VAR_secret_*` set, every program on PATH, `az` logged in.
 */
export async function deploy(options: DeployOptions): Promise<void> {
  const config = loadConfig(options.config);
  requireOutputsFile('deploy', outputsFileOf(options));
  let signIn: ClusterSignIn | undefined;
  const subscription = await preflight('deploy', {
    config,
    tools: options.single ? ['cdktf', 'terraform', 'az'] : ['cdktf', 'terraform', 'az', 'kubectl'],
    secretHint:
      'export each with the value of its Key Vault secret (written with value_wo: never stored in a file or in state)',
    question: (where) =>
      `Deploy resource group ${config.resourceGroup} (AKS ${config.cluster.name}, Key Vault ${config.keyVault.name ?? 'named from the subscription'}) to ${where}?`,
    rights: async (id, print) => {
      const note = applicationRolesNote(config, 'deploy');
      if (note) print(note);
      await requireRoleAssignmentRights('deploy', config, id, print);
      signIn = await requireClusterAccess('deploy', config, id, print, options.single);
    },
    dryRun: options.dryRun,
    yes: options.yes,
  });
  if (options.dryRun) {
    const note = applicationRolesNote(config, 'deploy');
    if (note) console.log(note);
    for (const target of assignmentScopes(config, subscription))
      console.log(
        `preflight: ${ROLE_ASSIGNMENTS_WRITE} on ${target.scope} (else on its subscription)${target.otherTenant ? `, when az is logged in to tenant ${target.otherTenant} (${formatCommand(tenantLoginCommand(target.otherTenant))})` : ''}: ${formatCommand(permissionsCommand(target.scope))}`,
      );
    if (!config.keyVault.existing) {
      const scope = `/subscriptions/${config.keyVault.subscriptionId ?? subscription}`;
      console.log(
        `preflight: ${DELETED_VAULTS_READ} on ${scope} (without it, said: a re-deploy within the retention days fails with VaultAlreadyExists): ${formatCommand(permissionsCommand(scope))}`,
      );
    }
  }
  const steps = deploySteps(options, config, subscription, signIn);
  console.log(
    `deploy: ${steps.length} steps${options.single ? ', both stacks with one cdktf deploy' : ''}${options.dryRun ? ' (dry run: nothing is run)' : ''}`,
  );
  await runSteps(steps, { name: 'deploy', dryRun: options.dryRun });
  if (!options.dryRun)
    console.log(
      `deploy: done. Read the workload's logs with: npm run cli -- logs${options.config ? ` --config ${options.config}` : ''}`,
    );
}

/** `deploy`: the lab's scripts 01-02 in one command. */
export function deployCommand(): Command {
  return new Command('deploy')
    .description(
      'Deploy to a real subscription: cdktf deploy (Azure side), synth, verify --for-apply, az aks get-credentials, kubectl apply -f dist/',
    )
    .option(
      '-c, --config <file>',
      'config file (default: $WI_CONFIG or config/workload-identity.yaml)',
    )
    .option(
      '-o, --outputs <file>',
      'where cdktf writes the deployed values (default: $WI_OUTPUTS or outputs.json)',
    )
    .option('--dry-run', 'print the steps and their commands without running them')
    .option(
      '--single',
      'deploy both stacks with one "cdktf deploy workload-identity workload-identity-k8s": Terraform applies the manifests too (no kubectl)',
    )
    .option('-y, --yes', 'do not ask for confirmation')
    .addHelpText(
      'after',
      '\nNeeds: TF_VAR_secret_<name> for every secret of the config; cdktf, terraform, az (logged in) and kubectl on PATH.\nA failing step stops the command; what earlier steps did stays in place (run deploy again to converge, or destroy).',
    )
    .action((options: DeployOptions) => deploy(options));
}
