/**
 * How fast the local cloud's clock runs against Azure's: every wait that Azure (or Terraform's `time_sleep`) would
 * make lasts `WI_LOCAL_CLOUD_TIME_SCALE` times as long here. The default 0.01 turns one Azure second into 10 ms,
 * so that a demo that models real delays (RBAC propagation, a 30 s `time_sleep`) still runs in seconds.
 */
export const TIME_SCALE_VARIABLE = 'WI_LOCAL_CLOUD_TIME_SCALE';
export const DEFAULT_TIME_SCALE = 0.01;

/** The scale in force; throws naming the variable when it is not a number >= 0. */
export function timeScale(env: NodeJS.ProcessEnv = process.env): number {
  const text = env[TIME_SCALE_VARIABLE];
  if (text === undefined || text.trim() === '') return DEFAULT_TIME_SCALE;
  const scale = Number(text);
  if (!Number.isFinite(scale) || scale < 0)
    throw new Error(
      `${TIME_SCALE_VARIABLE}=${text} must be a number >= 0 (1 = Azure's own timing, 0.01 = 100 times faster)`,
    );
  return scale;
}

/** Milliseconds the local cloud waits for `seconds` of Azure time. */
export function localMilliseconds(seconds: number, env: NodeJS.ProcessEnv = process.env): number {
  return seconds * 1000 * timeScale(env);
}

/** Wait `seconds` of Azure time, scaled; rejects when `stopping` (the provider's StopProvider) aborts meanwhile. */
export function sleepAzureSeconds(
  seconds: number,
  stopping?: AbortSignal,
  env: NodeJS.ProcessEnv = process.env,
): Promise<void> {
  const ms = localMilliseconds(seconds, env);
  return new Promise((resolve, reject) => {
    const stopped = () => {
      clearTimeout(timer);
      reject(new Error('the provider was stopped (StopProvider) during the wait'));
    };
    const timer = setTimeout(() => {
      stopping?.removeEventListener('abort', stopped);
      resolve();
    }, ms);
    if (stopping?.aborted) stopped();
    else stopping?.addEventListener('abort', stopped, { once: true });
  });
}
