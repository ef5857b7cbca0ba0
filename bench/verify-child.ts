// Run by the bench in a fresh process: synthesize what `npm run synth` writes, bound to deployed-looking values, then
// time `checkPair` on it, as `npm run verify` runs it after a deploy. Prints one JSON line.
// Usage: tsx bench/verify-child.ts <outdir> <config file>
import { join } from 'node:path';
import type { WorkloadBindings } from '../config/outputs';

/** What one verify run reports. */
export interface VerifyChildReport {
  readonly workloads: number;
  /** `checkPair` alone, with bindings, secret values and `forApply`: every check runs. */
  readonly checkMs: number;
  /** Findings on this consistent pair: 0 unless a check has become wrong. */
  readonly findings: number;
}

const [outdir = 'bench-out', configFile] = process.argv.slice(2);
const { synthManifests, synthStacks } = await import('../synth');
const { loadConfig } = await import('../config/load-config');
const { generatedKeyVaultName } = await import('../config/key-vault-name');
const { locatePair, readSynthesizedPair } = await import('../verify/synthesized-pair');
const { checkPair } = await import('../verify/check-pair');

const config = loadConfig(configFile);
const guid = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;
const clientIds = new Map<string, string>();
const vaultName = config.keyVault.name ?? generatedKeyVaultName(guid(1), config.resourceGroup);
const bindings = new Map<string, WorkloadBindings>(
  config.workloads.map((w) => {
    const clientId = clientIds.get(w.managedIdentity) ?? guid(clientIds.size + 1);
    clientIds.set(w.managedIdentity, clientId);
    return [
      w.name,
      {
        clientId,
        tenantId: guid(0),
        vaultUrl: `https://${vaultName}.vault.azure.net/`,
        vaultName,
        oidcIssuerUrl: 'https://westeurope.oic.prod-aks.azure.com/tenant/issuer/',
      },
    ];
  }),
);
synthStacks(config, join(outdir, 'cdktf.out'));
synthManifests(config, bindings, join(outdir, 'dist'));
const pair = readSynthesizedPair(locatePair(join(outdir, 'cdktf.out'), join(outdir, 'dist')));

const started = performance.now();
const findings = checkPair(pair, {
  bindings,
  secretValues: ['bench-secret-value'],
  forApply: true,
});
const report: VerifyChildReport = {
  workloads: config.workloads.length,
  checkMs: performance.now() - started,
  findings: findings.length,
};
console.log(JSON.stringify(report));
