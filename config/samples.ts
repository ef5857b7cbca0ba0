/**
 * The upstream sample images of Azure/azure-workload-identity, and what each needs to run.
 *
 * @see https://github.com/Azure/azure-workload-identity/tree/main/examples
 */

/** One upstream sample program. */
export interface Sample {
  readonly image: string;
  /** Reads once and exits: a Pod must not restart it after success, and a Deployment would loop it. */
  readonly runsOnce: boolean;
}

const image = (language: string) => `ghcr.io/azure/azure-workload-identity/msal-${language}`;

/** The samples by name; they read `KEYVAULT_URL` or `KEYVAULT_NAME`, and `SECRET_NAME`. */
export const SAMPLES = {
  'msal-net': { image: image('net'), runsOnce: false },
  'msal-go': { image: image('go'), runsOnce: false },
  'msal-java': { image: image('java'), runsOnce: true },
  'msal-node': { image: image('node'), runsOnce: true },
  'msal-python': { image: image('python'), runsOnce: true },
} as const satisfies Record<string, Sample>;

/** Name of an upstream sample. */
export type SampleName = keyof typeof SAMPLES;
