/**
 * Counters of what the local cloud served, for assertions and demos.
 */

/** What the local cloud has served since it started. */
export interface LocalCloudStats {
  /** CONNECT tunnels opened, by target host. */
  readonly connects: Record<string, number>;
  /** CONNECTs refused: unknown host, or a port other than 443. */
  connectsRefused: number;
  /** HTTPS requests by service. */
  readonly requests: { entra: number; keyVault: number; issuer: number; blob: number };
  /** POSTs to the token endpoint, whatever the answer. */
  tokenRequests: number;
  /** Access tokens issued. */
  tokensIssued: number;
  /** Token requests refused with an AADSTS error, by code. */
  readonly tokenErrors: Record<string, number>;
  /** Secret values returned (200). */
  secretReads: number;
  /** 401 answers from Key Vault carrying a Bearer challenge. */
  challenges: number;
  /** 403 answers from Key Vault. */
  forbidden: number;
  /** 404 answers from Key Vault. */
  notFound: number;
  /** Faults injected: 5xx from the token endpoint, 429 from Key Vault. */
  readonly faultsInjected: { tokenEndpointErrors: number; keyVaultThrottling: number };
}

/** Fresh counters, all zero. */
export function createStats(): LocalCloudStats {
  return {
    connects: {},
    connectsRefused: 0,
    requests: { entra: 0, keyVault: 0, issuer: 0, blob: 0 },
    tokenRequests: 0,
    tokensIssued: 0,
    tokenErrors: {},
    secretReads: 0,
    challenges: 0,
    forbidden: 0,
    notFound: 0,
    faultsInjected: { tokenEndpointErrors: 0, keyVaultThrottling: 0 },
  };
}
