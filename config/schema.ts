import { z } from 'zod';
import { windows2022VersionProblem } from './aks';
import { containerRegistryName } from './container-registry';
import { echo } from './echo';
import { WORKLOAD_KINDS } from './kubernetes-object';
import { named } from './name-schema';
import * as rules from './rules';
import { MAX_FEDERATED_CREDENTIALS_PER_IDENTITY } from './rules';
import { SAMPLES, type Sample, type SampleName } from './samples';
import { DeployerSchema, StateSchema } from './state';
import { workloadName } from './terraform-names';

const SecretSchema = z.strictObject({
  /** Secret name in the vault; the value comes from `TF_VAR_<secretVariableName(name)>` at deploy time. */
  name: named(rules.keyVaultSecretName),
  /** Bump to rotate: Terraform writes the write-only value again when this changes. */
  version: z.int().min(1).default(1),
});

const WindowsNodePoolSchema = z.strictObject({
  vmSize: named(rules.vmSize).default('Standard_D4s_v5'),
  nodeCount: z.int().min(1).max(100).default(1),
});

const ClusterSchema = z.strictObject({
  name: named(rules.aksClusterName),
  /** Read an existing cluster instead of creating one; its OIDC issuer must be on (checked at plan). */
  existing: z.boolean().default(false),
  /** Resource group of the cluster: where an existing one lives, or where a new one is created. @default - the top-level resourceGroup */
  resourceGroup: named(rules.resourceGroupName).optional(),
  /**
   * The resource group AKS creates for the nodes of a new cluster.
   * @default - AKS's `MC_<resource group>_<cluster>_<location>`, refused when over 80 characters (AKS's limit)
   */
  nodeResourceGroup: named(rules.aksNodeResourceGroup).optional(),
  nodeCount: z.int().min(1).max(100).default(1),
  vmSize: named(rules.vmSize).default('Standard_D2s_v5'),
  /** A Windows node pool beside the Linux system pool, for workloads with `os: windows`. */
  windowsNodePool: WindowsNodePoolSchema.optional(),
  /** The version a new cluster is created with; AKS's patch channel upgrades it afterwards. Omitted: AKS's current default. */
  kubernetesVersion: z
    .string()
    .regex(/^\d+\.\d+(\.\d+)?$/, {
      error: (i) => `${echo(i.input)} must be a Kubernetes version such as "1.33"`,
    })
    .optional(),
});

const guid = named(rules.guid);

const RegistrySchema = z.strictObject({
  /**
   * Globally unique (`<name>.azurecr.io`): set it, or leave it out and the deploy names the registry
   * `wiacr<16 hex digits>` from the subscription and the resource group (config/container-registry.ts).
   */
  name: named(containerRegistryName).optional(),
  /** Use a registry that exists instead of creating one: only the cluster's AcrPull is added. */
  existing: z.boolean().default(false),
  /** Resource group of the registry. @default - the top-level resourceGroup */
  resourceGroup: named(rules.resourceGroupName).optional(),
  /** SKU of a new registry. */
  sku: z.enum(['Basic', 'Standard', 'Premium']).default('Basic'),
});

const KeyVaultSchema = z.strictObject({
  /**
   * Globally unique: set it to a name of your own, or leave it out and the deploy names the vault
   * `wi-kv-<16 hex digits>` from the subscription and the resource group (config/key-vault-name.ts).
   */
  name: named(rules.keyVaultName).optional(),
  /** Read an existing RBAC vault instead of creating one; its secrets must exist and are not managed here. */
  existing: z.boolean().default(false),
  /** Cross-tenant: the tenant that holds the vault, when it is not the cluster's. Needs subscriptionId and resourceGroup. */
  tenantId: guid.optional(),
  /** Subscription of the vault (in the other tenant, or in yours): Terraform creates or reads the vault there. */
  subscriptionId: guid.optional(),
  /** Resource group of the vault. @default - the top-level resourceGroup */
  resourceGroup: named(rules.resourceGroupName).optional(),
  sku: z.enum(['standard', 'premium']).default('standard'),
  softDeleteRetentionDays: z.int().min(7).max(90).default(7),
  /** Off by default so the lab can be torn down and re-created under the same name. */
  purgeProtection: z.boolean().default(false),
  secrets: z.array(SecretSchema).min(1),
});

const WorkloadSchema = z.strictObject({
  /** Names the workload's Terraform outputs; unique. */
  name: named(workloadName),
  namespace: named(rules.dns1123Label),
  serviceAccount: named(rules.dns1123Subdomain),
  /** Name of the identity: the managed identity's name, or the application's display name. */
  managedIdentity: named(rules.managedIdentityName),
  /** `managed`: a user-assigned managed identity; `application`: an Entra application and its service principal. */
  identity: z.enum(['managed', 'application']).default('managed'),
  pod: named(rules.dns1123Subdomain),
  /** The program's image; or `sample` for one of the upstream sample images. */
  image: named(rules.imageReference).optional(),
  sample: z.enum(Object.keys(SAMPLES) as [SampleName, ...SampleName[]]).optional(),
  /** `app`: the project's workload program (app/), built by deploy into `registry` (az acr build), pinned by digest. */
  build: z.enum(['app']).optional(),
  /** `windows` schedules on the cluster's Windows node pool. */
  os: z.enum(['linux', 'windows']).default('linux'),
  /** The secret the workload reads: becomes `SECRET_NAME` and the scope of its role. */
  secret: named(rules.keyVaultSecretName),
  /** `secret`: the role covers only the secret it reads (least privilege); `vault`: every secret. */
  roleScope: z.enum(['secret', 'vault']).default('secret'),
  /**
   * Print the secret's value in the log, as the lab's demo does; masked otherwise (this project's program). The
   * upstream samples print it whatever they are given, so with `sample` only `true` (or nothing) can be kept.
   * @default false
   */
  showSecret: z.boolean().optional(),
  /** `Pod` as in the lab, or a `Deployment` (the label goes on its pod template). */
  kind: z.enum(WORKLOAD_KINDS).default('Pod'),
  /** Replicas of a Deployment; refused for a Pod. */
  replicas: z.int().min(1).max(100).optional(),
  /** Lifetime of the projected service-account token; the webhook accepts 3600..86400 (default 3600). */
  tokenExpirationSeconds: z
    .int()
    .min(rules.TOKEN_EXPIRATION_SECONDS.min)
    .max(rules.TOKEN_EXPIRATION_SECONDS.max)
    .optional(),
  /** Inject the webhook's proxy sidecar, for programs whose SDK predates workload identity (Linux pods only). */
  injectProxySidecar: z.boolean().default(false),
  /** Sidecar containers the webhook must leave alone (pod annotation `skip-containers`); never the workload's own `app`. */
  skipContainers: z
    .array(
      named(rules.dns1123Label).refine((name) => name !== 'app', {
        error: () => '"app" is the workload\'s own container: it needs the identity',
      }),
    )
    .optional(),
});

/** The whole config file: the lab's `00-variables.sh`, typed. */
export const ConfigSchema = z
  .strictObject({
    location: named(rules.azureLocation),
    resourceGroup: named(rules.resourceGroupName),
    cluster: ClusterSchema,
    keyVault: KeyVaultSchema,
    /** An Azure Container Registry the cluster pulls from (AcrPull for its kubelet identity). @default - none */
    registry: RegistrySchema.optional(),
    workloads: z.array(WorkloadSchema).min(1),
    /** Remote state in Azure Storage (the azurerm backend), for a team. @default - a local state file per stack */
    state: StateSchema.optional(),
    /** The CI identity `workload-id bootstrap` creates (federated credential, no secret). @default - none */
    deployer: DeployerSchema.optional(),
  })
  .superRefine((config, ctx) => {
    const duplicates = (path: (string | number)[], keys: string[], what: string) => {
      const seen = new Map<string, number>();
      keys.forEach((key, index) => {
        const first = seen.get(key.toLowerCase());
        if (first === undefined) seen.set(key.toLowerCase(), index);
        else
          ctx.addIssue({
            code: 'custom',
            path: [...path, index],
            message: `${JSON.stringify(key)} repeats ${what} of entry ${first}: ${what} must be unique`,
          });
      });
    };
    duplicates(
      ['keyVault', 'secrets'],
      config.keyVault.secrets.map((s) => s.name),
      'the secret name',
    );
    duplicates(
      ['workloads'],
      config.workloads.map((w) => w.name),
      'the workload name',
    );
    duplicates(
      ['workloads'],
      config.workloads.map((w) => `${w.namespace}/${w.pod}`),
      'the namespace/pod',
    );

    const vault = config.keyVault;
    if (
      vault.tenantId !== undefined &&
      (vault.subscriptionId === undefined || vault.resourceGroup === undefined)
    ) {
      ctx.addIssue({
        code: 'custom',
        path: ['keyVault', 'tenantId'],
        message:
          'a vault in another tenant needs keyVault.subscriptionId and keyVault.resourceGroup there too',
      });
    }
    if (config.registry?.existing && config.registry.name === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['registry', 'name'],
        message: 'an existing registry needs its name (registry.existing is true)',
      });
    }
    if (vault.existing && vault.name === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['keyVault', 'name'],
        message: 'an existing vault needs its name (keyVault.existing is true)',
      });
    }
    const version = config.cluster.kubernetesVersion;
    const windowsProblem = config.cluster.windowsNodePool
      ? windows2022VersionProblem(version)
      : undefined;
    if (windowsProblem) {
      ctx.addIssue({
        code: 'custom',
        path: ['cluster', 'kubernetesVersion'],
        message: windowsProblem,
      });
    }
    const nodeGroup = rules.defaultNodeResourceGroup(
      config.cluster.resourceGroup ?? config.resourceGroup,
      config.cluster.name,
      config.location,
    );
    if (
      !config.cluster.existing &&
      config.cluster.nodeResourceGroup === undefined &&
      nodeGroup.length > rules.MAX_NODE_RESOURCE_GROUP_LENGTH
    ) {
      ctx.addIssue({
        code: 'custom',
        path: ['cluster', 'name'],
        message: `AKS would name the node resource group ${JSON.stringify(nodeGroup)} (MC_<resource group>_<cluster>_<location>), ${nodeGroup.length} characters: AKS allows at most ${rules.MAX_NODE_RESOURCE_GROUP_LENGTH}; set cluster.nodeResourceGroup to a shorter name, or shorten the names`,
      });
    }
    if (config.cluster.existing && config.cluster.nodeResourceGroup !== undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['cluster', 'nodeResourceGroup'],
        message:
          'an existing cluster keeps the node resource group it was created with (cluster.existing is true)',
      });
    }
    if (config.cluster.existing && config.cluster.windowsNodePool) {
      ctx.addIssue({
        code: 'custom',
        path: ['cluster', 'windowsNodePool'],
        message:
          'a node pool can be added only to a cluster this stack creates (cluster.existing is true)',
      });
    }
    const kindOf = new Map<string, string>();
    const secrets = new Set(config.keyVault.secrets.map((s) => s.name.toLowerCase()));
    const identityOf = new Map<string, string>();
    const subjectsOf = new Map<string, Set<string>>();
    config.workloads.forEach((w, i) => {
      const sources = [w.image, w.sample, w.build].filter((v) => v !== undefined).length;
      if (sources !== 1) {
        ctx.addIssue({
          code: 'custom',
          path: ['workloads', i, 'image'],
          message: `set exactly one of image, sample and build (got ${sources === 0 ? 'none' : sources})`,
        });
      }
      if (w.build && !config.registry) {
        ctx.addIssue({
          code: 'custom',
          path: ['workloads', i, 'build'],
          message: `build: ${w.build} needs registry: the Azure Container Registry deploy builds the program into (az acr build)`,
        });
      }
      if (w.build && w.os === 'windows') {
        ctx.addIssue({
          code: 'custom',
          path: ['workloads', i, 'build'],
          message: `"windows" cannot run build: ${w.build}: app/Dockerfile builds a Linux image`,
        });
      }
      const sample: Sample | undefined = w.sample ? SAMPLES[w.sample] : undefined;
      if (sample?.broken) {
        ctx.addIssue({
          code: 'custom',
          path: ['workloads', i, 'sample'],
          message: `${JSON.stringify(w.sample)} is refused: ${sample.broken}`,
        });
      }
      // Every upstream sample prints the value it read (examples/msal-go/main.go logs `*secretBundle.Value`,
      // examples/msal-net/akvdotnet/Program.cs writes "Your secret is " + the value; Azure/azure-workload-identity,
      // read 2026-12-07): a masked secret is a promise a sample cannot keep.
      if (w.sample && w.showSecret === false) {
        ctx.addIssue({
          code: 'custom',
          path: ['workloads', i, 'showSecret'],
          message: `false cannot be kept by sample ${w.sample}: the upstream samples print the secret's value whatever they are given; leave showSecret out (or true) with a sample, or use build: app or an image of your own to mask it`,
        });
      }
      if (sample?.linuxOnly && w.os === 'windows') {
        ctx.addIssue({
          code: 'custom',
          path: ['workloads', i, 'os'],
          message: `"windows" cannot run sample ${w.sample}: its image is published for Linux only (msal-net and msal-go have Windows images)`,
        });
      }
      if (w.sample && SAMPLES[w.sample].runsOnce && w.kind === 'Deployment') {
        ctx.addIssue({
          code: 'custom',
          path: ['workloads', i, 'kind'],
          message: `sample ${w.sample} reads once and exits: a Deployment would restart it forever; use kind: Pod`,
        });
      }
      if (w.os === 'windows' && w.injectProxySidecar) {
        ctx.addIssue({
          code: 'custom',
          path: ['workloads', i, 'injectProxySidecar'],
          message:
            "the webhook's proxy sidecar runs on Linux only: a Windows workload must use an SDK with workload identity support",
        });
      }
      if (w.os === 'windows' && !config.cluster.windowsNodePool) {
        ctx.addIssue({
          code: 'custom',
          path: ['workloads', i, 'os'],
          message:
            '"windows" needs cluster.windowsNodePool: the cluster has no Windows node to run it',
        });
      }
      if (w.replicas !== undefined && w.kind !== 'Deployment') {
        ctx.addIssue({
          code: 'custom',
          path: ['workloads', i, 'replicas'],
          message: `${w.replicas} replicas need kind: Deployment (a bare Pod runs once)`,
        });
      }
      if (!secrets.has(w.secret.toLowerCase())) {
        ctx.addIssue({
          code: 'custom',
          path: ['workloads', i, 'secret'],
          message: `${JSON.stringify(w.secret)} is not a secret of keyVault.secrets (${[...secrets].join(', ')}): a workload can read only a secret the vault defines`,
        });
      }
      // The service account carries one client-id annotation, so it can stand for one identity only.
      const account = `${w.namespace}/${w.serviceAccount}`;
      const identity = identityOf.get(account) ?? w.managedIdentity;
      identityOf.set(account, identity);
      if (identity !== w.managedIdentity) {
        ctx.addIssue({
          code: 'custom',
          path: ['workloads', i, 'managedIdentity'],
          message: `${JSON.stringify(w.managedIdentity)} differs from ${JSON.stringify(identity)}, already bound to service account ${account}: a service account maps to one identity`,
        });
      }
      const kind = kindOf.get(w.managedIdentity) ?? w.identity;
      kindOf.set(w.managedIdentity, kind);
      if (kind !== w.identity) {
        ctx.addIssue({
          code: 'custom',
          path: ['workloads', i, 'identity'],
          message: `${JSON.stringify(w.identity)} differs from ${JSON.stringify(kind)} of another workload with identity ${JSON.stringify(w.managedIdentity)}: one name is one identity`,
        });
      }
      const subjects = subjectsOf.get(w.managedIdentity) ?? new Set();
      subjects.add(account);
      subjectsOf.set(w.managedIdentity, subjects);
      if (subjects.size === MAX_FEDERATED_CREDENTIALS_PER_IDENTITY + 1) {
        ctx.addIssue({
          code: 'custom',
          path: ['workloads', i, 'managedIdentity'],
          message: `${JSON.stringify(w.managedIdentity)} would need more than ${MAX_FEDERATED_CREDENTIALS_PER_IDENTITY} federated credentials (one per namespace/service account): Entra allows at most ${MAX_FEDERATED_CREDENTIALS_PER_IDENTITY} per identity`,
        });
      }
    });
  });

/** The validated config, defaults resolved. */
export type Config = z.output<typeof ConfigSchema>;
/** One entry of `workloads`. */
export type WorkloadConfig = Config['workloads'][number];
/** One entry of `keyVault.secrets`. */
export type SecretConfig = Config['keyVault']['secrets'][number];
