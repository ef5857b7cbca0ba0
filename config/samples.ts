/**
 * The upstream sample images of Azure/azure-workload-identity, and what each needs to run.
 *
 * @see https://github.com/Azure/azure-workload-identity/tree/main/examples
 */

/**
 * The tag of the upstream sample images: `latest`, the only one upstream publishes.
 *
 * Azure/azure-workload-identity pushes its examples from main only (.github/workflows/publish-images.yaml, v1.6.0,
 * lines 4-6 and 61-93), tagged with each example's `IMAGE_VERSION ?= latest` (examples/<dir>/Makefile:3): no release
 * tag such as `v1.6.0` exists for them, and the upstream quick start and the lab pull `latest` too. No digest is
 * recorded in any source that could be cited; to pin one, import the image into your own registry
 * (`az acr import`) and set `image: <registry>/<repository>@sha256:...`.
 */
export const SAMPLES_TAG = 'latest';
/** The webhook release whose examples' sources were read (the same commit as main's head in the mirror: 04d01a2). */
export const SAMPLES_SOURCE_RELEASE = 'v1.6.0';

/** Memory of a container, in MiB: what the scheduler reserves and where the kernel stops it. */
export interface MemoryResources {
  readonly requestMiB: number;
  readonly limitMiB: number;
}

/** One upstream sample program. */
export interface Sample {
  /** The image, at `SAMPLES_TAG`. */
  readonly image: string;
  /** Reads once and exits: a Pod must not restart it after success, and a Deployment would loop it. */
  readonly runsOnce: boolean;
  /** Published for Linux only: refused with `os: windows`. */
  readonly linuxOnly: boolean;
  /** Paths the program writes to: each gets an `emptyDir`, since the root filesystem is read-only. */
  readonly writablePaths: readonly string[];
  /** Its runtime's floor plus headroom: below the request it is evicted first, above the limit killed. */
  readonly memory: MemoryResources;
  /** Why the sample cannot run, when it cannot: the config refuses it with this reason. */
  readonly broken?: string;
}

const image = (language: string) =>
  `ghcr.io/azure/azure-workload-identity/msal-${language}:${SAMPLES_TAG}`;

/** The samples by name; they read `KEYVAULT_URL` or `KEYVAULT_NAME`, and `SECRET_NAME`. */
export const SAMPLES = {
  // .NET extracts its runtime files and writes its diagnostics to /tmp; the runtime alone takes about 60 MiB.
  'msal-net': {
    image: image('net'),
    runsOnce: false,
    linuxOnly: false,
    writablePaths: ['/tmp'],
    memory: { requestMiB: 128, limitMiB: 256 },
  },
  'msal-go': {
    image: image('go'),
    runsOnce: false,
    linuxOnly: false,
    writablePaths: [],
    memory: { requestMiB: 32, limitMiB: 64 },
  },
  // The JVM sizes its heap from the container's limit: give it room for the heap and the JIT.
  'msal-java': {
    image: image('java'),
    runsOnce: true,
    linuxOnly: true,
    writablePaths: [],
    memory: { requestMiB: 256, limitMiB: 512 },
  },
  'msal-node': {
    image: image('node'),
    runsOnce: true,
    linuxOnly: true,
    writablePaths: [],
    memory: { requestMiB: 96, limitMiB: 192 },
    broken: `the upstream examples/msal-node (${SAMPLES_SOURCE_RELEASE}) cannot start: its index.js imports a default export that @azure/msal-node 2 does not have, so it fails before reading anything; use msal-net or msal-go, or image`,
  },
  'msal-python': {
    image: image('python'),
    runsOnce: true,
    linuxOnly: true,
    writablePaths: [],
    memory: { requestMiB: 64, limitMiB: 128 },
  },
} as const satisfies Record<string, Sample>;

/** Name of an upstream sample. */
export type SampleName = keyof typeof SAMPLES;

/** The memory of the project's own workload program (app/): Node.js' floor is about 45 MiB, it peaks near 85. */
export const PROGRAM_MEMORY: MemoryResources = { requestMiB: 64, limitMiB: 128 };
