/**
 * The workload: reads one Key Vault secret with the pod's workload identity and prints it periodically.
 *
 * All configuration comes from the environment (see settings.ts). Exit codes: 0 on SIGTERM/SIGINT
 * or a successful RUN_ONCE read, 1 when a RUN_ONCE read fails, 2 on a bad environment.
 */
import { BoundedHttpClient } from './bounded-http-client';
import { createCredential } from './credential';
import { errorSummary, formatStartLine } from './output';
import { runReadLoop } from './read-loop';
import { createSecretClient } from './secret-client';
import { type AppSettings, readSettings } from './settings';

let settings: AppSettings;
try {
  settings = readSettings();
} catch (err) {
  console.error((err as Error).message);
  process.exit(2);
}

const controller = new AbortController();
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.once(signal, () => {
    controller.abort();
    // Deadline: a request that ignores the abort (MSAL, IMDS probing) must not delay the exit past a second.
    setTimeout(() => process.exit(0), 900).unref();
  });
}

console.log(formatStartLine(new Date(), settings.podName));
// One client for Key Vault and Entra: every answer is read with a bound, whoever sends it.
const httpClient = new BoundedHttpClient();
// Exit explicitly: an idle keep-alive socket or SDK timer must not keep a RUN_ONCE job alive.
void createCredential(settings.credential, httpClient)
  .then((credential) => {
    const client = createSecretClient(settings.vaultUrl, credential, httpClient);
    return runReadLoop(client, { ...settings, abortSignal: controller.signal });
  })
  .then(
    (code) => process.exit(code),
    (err: unknown) => {
      console.error(`Failed to start: ${errorSummary(err)}`);
      process.exit(1);
    },
  );
