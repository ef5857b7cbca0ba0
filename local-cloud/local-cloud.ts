/**
 * The local cloud: AKS's OIDC issuer, the workload identity webhook, a kubelet, Microsoft Entra's token endpoint and
 * Key Vault's secrets API, served from a `CloudModel` so that the real Azure SDKs run against it unchanged.
 *
 * A test and demo harness: product code never imports it.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BLOB_HOST_SUFFIX, BlobStorage } from './azure/blob-storage';
import { ENTRA_HOST, Entra } from './azure/entra';
import { OidcIssuer } from './azure/issuer';
import { KeyVaultService } from './azure/key-vault';
import { pullImage } from './azure/registries';
import { BASE_CERTIFICATE_HOSTS, createCertificates } from './core/certificates';
import { Faults } from './core/faults';
import { sendJson } from './core/http';
import type { CloudCluster, CloudModel } from './core/model';
import type { Route } from './core/proxy';
import { startProxy } from './core/proxy';
import type { LocalCloudStats } from './core/stats';
import { createStats } from './core/stats';
import type { RunningPod, RunPodOptions } from './kubernetes/kubelet';
import { runPod as startPod } from './kubernetes/kubelet';
import type { ServiceAccount, Workload } from './kubernetes/objects';
import type { MutationResult } from './kubernetes/webhook';
import { mutatePod } from './kubernetes/webhook';

/** How to start the local cloud. */
export interface LocalCloudOptions {
  /**
   * Parent of the run's directory (certificates, projected tokens); the run's directory is removed by `close()`.
   * @default the OS temp dir
   */
  readonly dir?: string;
  /**
   * Where the blob storage (Azurite) keeps its data: a folder that outlives the run keeps Terraform state between runs.
   * @default - inside the run's directory (gone at `close()`)
   */
  readonly blobDir?: string;
}

/** GitHub Actions' OIDC issuer: the local cloud stands in for it, as it does for AKS's issuers. */
export const GITHUB_ACTIONS_ISSUER = 'https://token.actions.githubusercontent.com';

/** Which pod to run, and on which cluster. */
export interface LocalRunPodOptions extends RunPodOptions {
  /**
   * Name of the model's cluster whose issuer signs the pod's tokens.
   * @default the model's first cluster
   */
  readonly cluster?: string;
}

/** A running local cloud. */
export interface LocalCloud {
  /** `http://127.0.0.1:<port>`: the `HTTPS_PROXY` of programs that use the local cloud. */
  readonly proxyUrl: string;
  /** The local CA: the `NODE_EXTRA_CA_CERTS` of programs that use the local cloud. */
  readonly caCertPath: string;
  /** `HTTPS_PROXY` and `NODE_EXTRA_CA_CERTS`, for programs started by other means than `runPod`. */
  readonly clientEnv: Readonly<Record<string, string>>;
  /** The first cluster's OIDC issuer. */
  readonly issuer: OidcIssuer;
  /** Every cluster's issuer, by issuer URL. */
  readonly issuers: ReadonlyMap<string, OidcIssuer>;
  /** Faults to inject into Entra and Key Vault. */
  readonly faults: Faults;
  /** The stand-in for GitHub Actions' token issuer: it signs a CI job's OIDC token (`GITHUB_ACTIONS_ISSUER`). */
  readonly githubActions: OidcIssuer;
  /** Admit a Pod or Deployment through the workload identity webhook (default tenant: the model's). */
  mutatePod<T extends Workload>(workload: T, serviceAccount: ServiceAccount): MutationResult<T>;
  /**
   * Run an admitted pod's first container as a local process, once its images pull; `close()` stops it.
   *
   * Rejects with an `ImagePullError` (`ImagePullBackOff`) when an image is in no registry the local cloud knows, or
   * in an Azure Container Registry the cluster's kubelet identity may not pull from.
   */
  runPod(options: LocalRunPodOptions): Promise<RunningPod>;
  /** A copy of the counters. */
  stats(): LocalCloudStats;
  /**
   * Aborted at the first request a service of the local cloud failed to answer (a bug or a broken install, not an
   * Azure error): its reason names the host and the cause. Clients retry a 500 (Terraform's backend for 10 minutes),
   * so whoever runs them stops them on this signal instead.
   */
  readonly failed: AbortSignal;
  /** Stop pods and servers, and remove the run's directory. */
  close(): Promise<void>;
}

/**
 * Start the local cloud for `model`: certificates, issuers, Entra, Key Vault and the proxy in front of them.
 *
 * @example
 * const cloud = await startLocalCloud(model);
 * const { object } = cloud.mutatePod(pod, serviceAccount); // what the API server stores
 * const running = await cloud.runPod({ pod: object, command: process.execPath, args: ['--import', 'tsx', 'app/main.ts'] });
 * await running.waitForLog(/secret read/);
 * await cloud.close(); // stops the pod too
 */
// AKS's regional issuer hosts: a cluster created after start is served under the same certificate.
const ISSUER_HOSTS = '*.oic.prod-aks.azure.com';

export async function startLocalCloud(
  model: CloudModel,
  options: LocalCloudOptions = {},
): Promise<LocalCloud> {
  const dir = await mkdtemp(join(options.dir ?? tmpdir(), 'local-cloud-'));
  try {
    const stats = createStats();
    const faults = new Faults();
    // A cluster made by Terraform carries its issuer's key (the issuer exists since the cluster was created); a
    // hand-made model's cluster gets a fresh key here. Clusters are looked up on each use: a later deploy adds some.
    const issuers = new Map<string, OidcIssuer>();
    const issuerOf = (cluster: CloudCluster): OidcIssuer => {
      let issuer = issuers.get(cluster.oidcIssuerUrl);
      if (!issuer && cluster.issuerKey) {
        issuer = OidcIssuer.fromJwk(cluster.oidcIssuerUrl, cluster.issuerKey);
        issuers.set(cluster.oidcIssuerUrl, issuer);
      }
      if (!issuer) throw new Error(`cluster "${cluster.name}" has no issuer key`);
      return issuer;
    };
    const issuerAt = (url: string) => {
      if (url === GITHUB_ACTIONS_ISSUER) return githubActions;
      const cluster = model.clusters.find((c) => c.oidcIssuerUrl === url);
      return cluster ? issuerOf(cluster) : undefined;
    };
    const hostOf = (cluster: CloudCluster) => new URL(cluster.oidcIssuerUrl).hostname;
    const issuerHosts = model.clusters.map(hostOf);
    // Key generation and openssl run in parallel: RSA keys take 0.1-0.3 s each.
    const [made, entra, certificates, githubActions] = await Promise.all([
      Promise.all(
        model.clusters.filter((c) => !c.issuerKey).map((c) => OidcIssuer.create(c.oidcIssuerUrl)),
      ),
      Entra.create(model, issuerAt, faults, stats),
      createCertificates(dir, [
        ...new Set([
          ...BASE_CERTIFICATE_HOSTS,
          ISSUER_HOSTS,
          ...issuerHosts,
          `*${BLOB_HOST_SUFFIX}`,
          new URL(GITHUB_ACTIONS_ISSUER).hostname,
        ]),
      ]),
      OidcIssuer.create(GITHUB_ACTIONS_ISSUER),
    ]);
    for (const i of made) issuers.set(i.url, i);
    const keyVault = new KeyVaultService(model, entra.jwks, faults, stats);
    const blobs = new BlobStorage({
      model,
      entraJwks: entra.jwks,
      certificates,
      dir: options.blobDir ?? join(dir, 'blob'),
    });
    const blobRoute: Route = {
      kind: 'blob',
      handle: (req, res, url) => blobs.handle(req, res, url),
    };
    const githubRoute: Route = {
      kind: 'issuer',
      handle: (req, res, url) => {
        if (!githubActions.handle(req, res, url)) sendJson(res, 404, { error: 'not found' });
      },
    };

    const entraRoute: Route = {
      kind: 'entra',
      handle: (req, res, url) => entra.handle(req, res, url),
    };
    const keyVaultRoute: Route = {
      kind: 'keyVault',
      handle: (req, res, url) => keyVault.handle(req, res, url),
    };
    // Several clusters of one region share the regional issuer host, told apart by path.
    const issuerRoute = (host: string): Route => ({
      kind: 'issuer',
      handle: (req, res, url) => {
        const onHost = model.clusters.filter((c) => hostOf(c) === host).map(issuerOf);
        if (!onHost.some((i) => i.handle(req, res, url))) {
          sendJson(res, 404, { error: 'not found' });
        }
      },
    });
    // Hosts are looked up on each request, from the model as it is now.
    const routes = {
      get(host: string): Route | undefined {
        if (host === ENTRA_HOST) return entraRoute;
        if (keyVault.hosts.includes(host)) return keyVaultRoute;
        if (blobs.hosts.includes(host)) return blobRoute;
        if (host === githubActions.host) return githubRoute;
        if (model.clusters.some((c) => hostOf(c) === host)) return issuerRoute(host);
        return undefined;
      },
      keys: () =>
        [
          ENTRA_HOST,
          ...keyVault.hosts,
          ...blobs.hosts,
          githubActions.host,
          ...new Set(model.clusters.map(hostOf)),
        ].values(),
    };
    const failure = new AbortController();
    const proxy = await startProxy({
      certificates,
      routes,
      stats,
      onFailure: (host, err) => {
        if (!failure.signal.aborted)
          failure.abort(
            new Error(`the local cloud failed to answer ${host}: ${err.message.split('\n')[0]}`),
          );
      },
    });
    const clientEnv = { HTTPS_PROXY: proxy.url, NODE_EXTRA_CA_CERTS: certificates.caCertPath };
    const pods = new Set<RunningPod>();

    return {
      proxyUrl: proxy.url,
      caCertPath: certificates.caCertPath,
      clientEnv,
      get issuer() {
        return issuerOf(model.clusters[0]);
      },
      get issuers() {
        return new Map(model.clusters.map((c) => [c.oidcIssuerUrl, issuerOf(c)]));
      },
      faults,
      githubActions,
      mutatePod: (workload, serviceAccount) =>
        mutatePod(workload, serviceAccount, { defaultTenantId: model.tenantId }),
      async runPod({ cluster, ...podOptions }) {
        const index =
          cluster === undefined ? 0 : model.clusters.findIndex((c) => c.name === cluster);
        if (index < 0) {
          throw new Error(
            `cluster "${cluster}" is not in the model (clusters: ${model.clusters.map((c) => c.name).join(', ')})`,
          );
        }
        const pod = await startPod(podOptions, {
          issuer: issuerOf(model.clusters[index]),
          dir: join(dir, 'pods'),
          clientEnv,
          // Read from the model at each pull: a registry, image or role added since start counts, as on Azure.
          pull: (image) =>
            pullImage(image, {
              registries: model.registries ?? [],
              roleAssignments: model.roleAssignments,
              kubeletPrincipalId: model.clusters[index].kubeletPrincipalId,
            }),
        });
        pods.add(pod);
        void pod.exited.then(() => pods.delete(pod));
        return pod;
      },
      stats: () => structuredClone(stats),
      failed: failure.signal,
      async close() {
        await Promise.all([...pods].map((p) => p.stop()));
        await Promise.all([proxy.close(), blobs.close()]);
        await rm(dir, { recursive: true, force: true });
      },
    };
  } catch (err) {
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
}
