// Run the command line as a user would, with stand-ins for kubectl, cdktf, az and terraform first (and alone) on PATH.
import { spawnSync } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  readFileSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join } from 'node:path';
import { CLI, tempDir } from './helpers';

/** A program the commands run. */
export type StandIn = 'cdktf' | 'terraform' | 'az' | 'kubectl' | 'kubelogin';

/** The subscription the stand-in `az` is logged in to. */
export const SUBSCRIPTION = '00000000-0000-0000-0000-000000000001';

/**
 * What the stand-in `cdktf` writes to `--outputs-file`: the Azure stack's outputs, as a real deploy would (its
 * `subscription_id` is the one of `ARM_SUBSCRIPTION_ID`, which deploy sets).
 */
export const DEPLOYED = {
  'workload-identity': {
    demo_client_id: '11111111-2222-3333-4444-555555555555',
    demo_tenant_id: '66666666-7777-8888-9999-000000000000',
    demo_vault_url: 'https://workload-id-kv-demo.vault.azure.net/',
    demo_vault_name: 'workload-id-kv-demo',
    demo_oidc_issuer_url:
      'https://westeurope.oic.prod-aks.azure.com/66666666-7777-8888-9999-000000000000/abc/',
    cluster_name: 'workload-id-aks',
    resource_group_name: 'workload-id-rg',
    registry_name: 'wiacrdemo0001',
    registry_login_server: 'wiacrdemo0001.azurecr.io',
    subscription_id: SUBSCRIPTION,
  },
};

/** `DEPLOYED` as the stand-in prints it: around the subscription, which the shell fills in. */
const [OUTPUTS_BEFORE, OUTPUTS_AFTER] = JSON.stringify(DEPLOYED).split(SUBSCRIPTION);

/**
 * Each stand-in appends `<program> <args>` to `$STANDIN_LOG`, then does what its step needs.
 *
 * `STANDIN_FAIL=<program>` makes that program fail; `STANDIN_AZ_LOGGED_OUT` makes `az account show` fail;
 * `STANDIN_NO_OUTPUTS` makes `cdktf` write no outputs file; `STANDIN_FOREVER=<pattern>` makes a call whose
 * `<program> <args>` matches that shell pattern (e.g. `terraform *output -json*`) print on its stdout until it is
 * stopped, as a runaway or hostile program would.
 */
const SCRIPTS: Record<StandIn, string> = {
  cdktf: `
out=""
prev=""
stacks=0
for arg in "$@"; do
  [ "$prev" = "--outputs-file" ] && out="$arg"
  case "$arg" in -*) ;; *) [ "$prev" != "--outputs-file" ] && [ "$arg" != "$1" ] && stacks=$((stacks + 1)) ;; esac
  prev="$arg"
done
# As cdktf 0.21 does (it has no --all): a deploy or destroy of an app with two stacks must name them.
if { [ "$1" = deploy ] || [ "$1" = destroy ]; } && [ "$stacks" = 0 ]; then
  echo "Error: Usage Error: Found more than one stack, please specify a target stack. Run cdktf $1 <stack> with one of these stacks: workload-identity, workload-identity-k8s" >&2
  exit 1
fi
# STANDIN_OUTPUTS replaces what it writes (e.g. the bootstrap stack's outputs).
if [ -n "$out" ] && [ -n "$STANDIN_OUTPUTS" ]; then printf '%s' "$STANDIN_OUTPUTS" > "$out"; out=""; fi
[ -n "$out" ] && [ -z "$STANDIN_NO_OUTPUTS" ] && printf '%s%s%s' '${OUTPUTS_BEFORE}' "\${ARM_SUBSCRIPTION_ID:-${SUBSCRIPTION}}" '${OUTPUTS_AFTER}' > "$out"
`,
  // "init" fails with STANDIN_TERRAFORM_INIT_ERROR on stderr when set; "output -json" prints the deployed outputs, or
  // STANDIN_TERRAFORM_OUTPUT when set.
  terraform: `
case "$1" in -chdir=*) shift ;; esac
# cdktf's synth runs "terraform version" to validate features that need a minimum version (terraform_data).
[ "$1" = version ] && printf 'Terraform v1.11.4\\non linux_amd64\\n'
if [ "$1" = init ] && [ -n "$STANDIN_TERRAFORM_INIT_ERROR" ]; then printf '%s\\n' "$STANDIN_TERRAFORM_INIT_ERROR" >&2; exit 1; fi
[ "$1 $2" = "output -json" ] && [ -n "$STANDIN_TERRAFORM_OUTPUT" ] && { printf '%s' "$STANDIN_TERRAFORM_OUTPUT"; exit 0; }
[ "$1 $2" = "output -json" ] && printf '%s' '${JSON.stringify(Object.fromEntries(Object.entries(DEPLOYED['workload-identity']).map(([k, v]) => [k, { value: v, type: 'string', sensitive: false }])))}'
`,
  // Not among the default stand-ins: a test that needs kubelogin on PATH asks for it.
  kubelogin: '',
  az: `
if [ "$1 $2" = "account show" ]; then
  if [ -n "$STANDIN_AZ_LOGGED_OUT" ]; then echo "ERROR: Please run 'az login' to setup account." >&2; exit 1; fi
  id=00000000-0000-0000-0000-000000000001
  [ "$3" = "--subscription" ] && id="$4"
  printf '{"name":"Stand-in subscription","id":"%s","user":{"name":"someone"}}\\n' "$id"
fi
# STANDIN_AZ_NO_CLUSTER: the cluster was never created. ARM answers 404 ResourceNotFound, which az prints and maps
# to exit code 3 (Azure/azure-cli src/azure-cli-core/azure/cli/core/util.py, handle_exception; the message as
# az prints it is quoted in Azure's docs, e.g. "(ResourceNotFound) The Resource 'Microsoft.Compute/virtualMachines/
# myVMPW' under resource group 'cli-tutorial' was not found. For more details please go to https://aka.ms/ARMResourceNotFoundFix").
if [ -n "$STANDIN_AZ_NO_CLUSTER" ] && { [ "$1 $2" = "aks show" ] || [ "$1 $2" = "aks get-credentials" ]; }; then
  name=""; group=""; prev=""
  for arg in "$@"; do
    [ "$prev" = "--name" ] && name="$arg"
    [ "$prev" = "--resource-group" ] && group="$arg"
    prev="$arg"
  done
  message="The Resource 'Microsoft.ContainerService/managedClusters/$name' under resource group '$group' was not found. For more details please go to https://aka.ms/ARMResourceNotFoundFix"
  printf 'ERROR: (ResourceNotFound) %s\nCode: ResourceNotFound\nMessage: %s\n' "$message" "$message" >&2
  exit 3
fi
# STANDIN_AZ_AKS_FAIL: a 403 on the cluster, which az maps to exit code 1 (ForbiddenError, same file).
if [ -n "$STANDIN_AZ_AKS_FAIL" ] && [ "$1 $2" = "aks show" ]; then
  echo "ERROR: (AuthorizationFailed) The client 'someone' does not have authorization to perform action 'Microsoft.ContainerService/managedClusters/read'" >&2
  exit 1
fi
if [ "$1 $2" = "aks show" ]; then
  aks="$STANDIN_AZ_AKS"
  [ -z "$aks" ] && aks='{"entraId":false,"localAccountsDisabled":null}'
  printf '%s\\n' "$aks"
fi
# az acr repository show --query digest: STANDIN_AZ_DIGEST (default: a fixed digest; "none" prints nothing)
if [ "$1 $2 $3" = "acr repository show" ]; then
  digest="$STANDIN_AZ_DIGEST"
  [ -z "$digest" ] && digest=sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef
  [ "$digest" = none ] || printf '%s\\n' "$digest"
fi
# az account get-access-token --tenant: STANDIN_AZ_NO_TENANT=<tenant> fails as az does when it holds no login for
# that tenant ("Please explicitly log in with: az login ...", exit 1); otherwise only the expiry (--query expiresOn).
if [ "$1 $2" = "account get-access-token" ]; then
  if [ -n "$STANDIN_AZ_NO_TENANT" ] && [ "$4" = "$STANDIN_AZ_NO_TENANT" ]; then
    printf 'ERROR: (pii). Status: Response_Status.Status_InteractionRequired, Error code: 3399614467\nPlease explicitly log in with:\naz login --tenant %s\n' "$4" >&2
    exit 1
  fi
  echo "2026-12-06 09:00:00.000000"
fi
# The permissions API: STANDIN_AZ_PERMISSIONS (default: Owner's); STANDIN_AZ_NO_GROUP fails on a resource group;
# STANDIN_AZ_CONTRIBUTOR_ON=<group> answers Contributor's permissions on that group; STANDIN_AZ_SUBSCRIPTION_PERMISSIONS
# answers on a subscription scope.
CONTRIBUTOR='{"value":[{"actions":["*"],"notActions":["Microsoft.Authorization/*/Delete","Microsoft.Authorization/*/Write","Microsoft.Authorization/elevateAccess/Action"]}]}'
if [ "$1" = "rest" ]; then
  case "$5" in */resourceGroups/*) [ -n "$STANDIN_AZ_NO_GROUP" ] && { echo "ResourceGroupNotFound" >&2; exit 3; } ;; esac
  case "$5" in */resourceGroups/"$STANDIN_AZ_CONTRIBUTOR_ON"/*) [ -n "$STANDIN_AZ_CONTRIBUTOR_ON" ] && { printf '%s\n' "$CONTRIBUTOR"; exit 0; } ;; esac
  case "$5" in */resourceGroups/*) ;; *) [ -n "$STANDIN_AZ_SUBSCRIPTION_PERMISSIONS" ] && { printf '%s\n' "$STANDIN_AZ_SUBSCRIPTION_PERMISSIONS"; exit 0; } ;; esac
  permissions="$STANDIN_AZ_PERMISSIONS"
  [ -z "$permissions" ] && permissions='{"value":[{"actions":["*"],"notActions":[]}]}'
  printf '%s\\n' "$permissions"
fi
`,
  // Global flags first (--kubeconfig, --context), then the verb; "get" answers from STANDIN_KUBECTL_<KIND> (JSON),
  // "apply -f <file>" keeps a copy of the file as applied.yaml beside the log.
  kubectl: `
while [ "\${1#--}" != "$1" ]; do shift 2; done
[ "$1" = "logs" ] && printf 'START 11/28/2026 17:01:36 (demo-pod)\\nYour secret is admin\\n'
[ "$1 $2" = "get namespaces" ] && printf '%s' "$STANDIN_KUBECTL_NAMESPACES"
[ "$1 $2" = "get pods" ] && printf '%s' "$STANDIN_KUBECTL_PODS"
# Only shell built-ins: PATH holds the stand-ins alone.
if [ "$1 $2" = "apply -f" ] && [ -f "$3" ]; then
  while IFS= read -r line; do printf '%s\\n' "$line"; done < "$3" > "\${STANDIN_LOG%/*}/applied.yaml"
fi
`,
};

/** Write the stand-ins (all, or those named) and a `node` link into a fresh folder; returns that folder. */
export function standIns(
  programs: readonly StandIn[] = ['cdktf', 'terraform', 'az', 'kubectl'],
): string {
  const bin = join(tempDir('wi-bin-'), 'bin');
  mkdirSync(bin);
  // tsx starts with "#!/usr/bin/env node": node must be on PATH, without the real kubectl that may sit beside it.
  symlinkSync(process.execPath, join(bin, 'node'));
  for (const program of programs) {
    const file = join(bin, program);
    const fail = `[ "$STANDIN_FAIL" = "${program}" ] && { echo "${program}: simulated failure" >&2; exit 1; }`;
    // 64 KiB doubled up from a word, printed again and again: only shell built-ins, as PATH holds the stand-ins alone.
    const forever = `if [ -n "$STANDIN_FOREVER" ]; then case "${program} $*" in $STANDIN_FOREVER) s='"outputs": {} '; i=0; while [ $i -lt 12 ]; do s="$s$s"; i=$((i + 1)); done; while :; do printf '%s' "$s"; done ;; esac; fi`;
    writeFileSync(
      file,
      `#!/bin/sh\n# stand-in ${program}\nprintf '%s\\n' "${program} $*\${ARM_SUBSCRIPTION_ID:+ (ARM_SUBSCRIPTION_ID=$ARM_SUBSCRIPTION_ID)}\${WI_CONFIG:+ (WI_CONFIG=$WI_CONFIG)}" >> "$STANDIN_LOG"\n${fail}\n${forever}\n${SCRIPTS[program]}\nexit 0\n`,
    );
    chmodSync(file, 0o755);
  }
  return bin;
}

/** How one run of the command line ended, and the programs it called, in order. */
export interface CliRun {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly calls: string[];
  /** The folder of the stand-ins (`applied.yaml` is written beside it). */
  readonly bin: string;
  /** With `measureMemory`: the largest resident set of any process of the run, when it could be measured. */
  readonly peakRssBytes?: number;
}

/** Options of `runCli`. */
export interface RunCliOptions {
  /** @default - a fresh temp folder */
  readonly cwd?: string;
  /** The folder of stand-ins put alone on PATH. @default - all of them */
  readonly bin?: string;
  /** Added to a clean environment (PATH, HOME, TMPDIR and the stand-ins' log only). */
  readonly env?: Record<string, string>;
  /**
   * Measure the run's peak memory (`peakRssBytes`) with GNU time: the largest resident set of the command line and
   * of every process it started and waited for (Linux's wait4 keeps the largest of a process tree). Without
   * /usr/bin/time on the machine, nothing is measured.
   */
  readonly measureMemory?: boolean;
}

const GNU_TIME = existsSync('/usr/bin/time') ? '/usr/bin/time' : undefined;

/** Run `tsx cli/main.ts <args>` with a clean environment, stdin not a terminal, and the stand-ins on PATH. */
export function runCli(args: readonly string[], options: RunCliOptions = {}): CliRun {
  const cwd = options.cwd ?? tempDir('wi-cli-');
  const bin = options.bin ?? standIns();
  const log = join(dirname(bin), 'calls.log');
  const env: Record<string, string> = {
    PATH: bin,
    STANDIN_LOG: log,
    HOME: process.env.HOME ?? cwd,
    ...options.env,
  };
  if (process.env.TMPDIR) env.TMPDIR = process.env.TMPDIR;
  const memoryFile = options.measureMemory && GNU_TIME ? join(dirname(bin), 'max-rss') : undefined;
  const [command, ...prefix] = memoryFile
    ? [GNU_TIME as string, '--format=%M', `--output=${memoryFile}`, process.execPath]
    : [process.execPath];
  const run = spawnSync(command, [...prefix, CLI, ...args], {
    cwd,
    env,
    input: '',
    encoding: 'utf8',
  });
  // cdktf's synth probes "terraform version" by itself (terraform_data needs a minimum version): not a step's call.
  const calls = existsSync(log)
    ? readFileSync(log, 'utf8')
        .split('\n')
        .filter((line) => line !== '' && !/^terraform version( |$)/.test(line))
    : [];
  writeFileSync(log, '');
  // GNU time says KiB; a process killed by a signal adds a line before the number.
  const peakRssKiB = memoryFile
    ? Number(readFileSync(memoryFile, 'utf8').trim().split('\n').at(-1))
    : Number.NaN;
  return {
    status: run.status,
    stdout: run.stdout,
    stderr: run.stderr,
    calls,
    bin,
    ...(Number.isFinite(peakRssKiB) ? { peakRssBytes: peakRssKiB * 1024 } : {}),
  };
}

/** The values `deploy` needs in `TF_VAR_secret_*` for the default config. */
export const SECRET_VARIABLES = {
  TF_VAR_secret_username: 'admin-7f3c91',
  TF_VAR_secret_password: 'p4ss-0b2d77',
};
