/**
 * Faults the stand-in services inject on demand, for resilience tests.
 */

/** Faults to inject; each one replaces what was set before for that service. */
export interface FaultPlan {
  /** The token endpoint answers `status` (a 5xx) to the next `times` token requests. */
  readonly tokenEndpointErrors?: { readonly status: number; readonly times: number };
  /** The token endpoint waits this long before answering every token request. */
  readonly tokenEndpointDelayInMs?: number;
  /** Key Vault answers `429 Too Many Requests` with `Retry-After` to the next `times` secret reads. */
  readonly keyVaultThrottling?: { readonly times: number; readonly retryAfterInSeconds: number };
}

/** The faults in force; services take them one request at a time. */
export class Faults {
  private tokenErrors?: { status: number; times: number };
  private tokenDelayInMs = 0;
  private throttling?: { times: number; retryAfterInSeconds: number };

  /** Add or replace faults. */
  set(plan: FaultPlan): void {
    if (plan.tokenEndpointErrors) {
      const { status, times } = plan.tokenEndpointErrors;
      if (status < 500 || status > 599) {
        throw new Error(`tokenEndpointErrors.status ${status} must be a 5xx status`);
      }
      this.tokenErrors = { status, times };
    }
    if (plan.tokenEndpointDelayInMs !== undefined) {
      this.tokenDelayInMs = plan.tokenEndpointDelayInMs;
    }
    if (plan.keyVaultThrottling) {
      this.throttling = { ...plan.keyVaultThrottling };
    }
  }

  /** Remove every fault. */
  clear(): void {
    this.tokenErrors = undefined;
    this.tokenDelayInMs = 0;
    this.throttling = undefined;
  }

  /** The delay the token endpoint must wait now. */
  get tokenEndpointDelayInMs(): number {
    return this.tokenDelayInMs;
  }

  /** The 5xx status the token endpoint must answer now, if any; counts one use. */
  takeTokenEndpointError(): number | undefined {
    return take(this.tokenErrors)?.status;
  }

  /** The `Retry-After` seconds Key Vault must throttle with now, if any; counts one use. */
  takeKeyVaultThrottling(): number | undefined {
    return take(this.throttling)?.retryAfterInSeconds;
  }
}

function take<T extends { times: number }>(fault: T | undefined): T | undefined {
  if (!fault || fault.times <= 0) {
    return undefined;
  }
  fault.times -= 1;
  return fault;
}
