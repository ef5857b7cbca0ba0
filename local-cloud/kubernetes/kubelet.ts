/**
 * A kubelet for one container: projects the service account token into a temp dir, keeps it fresh, and runs the
 * container's program as a local process with only the environment the pod would have.
 *
 * @see https://kubernetes.io/docs/concepts/storage/projected-volumes/#serviceaccounttoken
 */
import { spawn } from 'node:child_process';
import { randomInt, randomUUID } from 'node:crypto';
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { constants } from 'node:os';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import type { OidcIssuer } from '../azure/issuer';
import type { PullResult } from '../azure/registries';
import type { Container, ServiceAccountTokenProjection, Workload } from './objects';
import { podTemplateOf } from './objects';

/** kubelet refreshes a projected token once it is this old, relative to its lifetime. */
export const TOKEN_REFRESH_FRACTION = 0.8;
const DEFAULT_GRACE_PERIOD_SECONDS = 30;
// Kubernetes' alphabet for generated name suffixes: no vowels, so no words.
const NAME_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';

/** What to run, and as which pod. */
export interface RunPodOptions {
  /** The Pod or Deployment as admitted: pass it through `mutatePod` first, as the API server would. */
  readonly pod: Workload;
  /** The program standing in for the first container's image, e.g. `process.execPath`. */
  readonly command: string;
  readonly args?: readonly string[];
  /** Added after the container's own environment, e.g. what a ConfigMap would hold. */
  readonly env?: Readonly<Record<string, string>>;
  /** @default the current directory */
  readonly cwd?: string;
  /** @default now - set it in the past to start the pod with an expired token (fault tests) */
  readonly tokenIssuedAt?: Date;
}

/** What the kubelet needs from the cluster and the local cloud. */
export interface KubeletOptions {
  /** The cluster's issuer, which signs the projected tokens. */
  readonly issuer: OidcIssuer;
  /** Where pod directories go; removed by whoever owns it. */
  readonly dir: string;
  /** `HTTPS_PROXY` and `NODE_EXTRA_CA_CERTS`: how the process reaches the local cloud. */
  readonly clientEnv: Readonly<Record<string, string>>;
  /** Pull one image as the node's container runtime would, with the kubelet identity's rights. */
  readonly pull: (image: string) => PullResult;
}

/** An event of a pod, as `kubectl describe pod` lists it. */
export interface PodEvent {
  readonly type: 'Normal' | 'Warning';
  readonly reason: string;
  readonly message: string;
}

/**
 * A pod whose image cannot be pulled: it stays `Pending`, its container waiting in `ImagePullBackOff` (kubelet retries
 * with a growing back-off, and fails the same way until the image or the right to pull it exists).
 */
export class ImagePullError extends Error {
  override readonly name = 'ImagePullError';
  /** The container's waiting reason, as `kubectl get pod` shows it in STATUS. */
  readonly reason: 'ImagePullBackOff' | 'InvalidImageName';
  /** The pull's events, in order, as `kubectl describe pod` lists them. */
  readonly events: readonly PodEvent[];

  constructor(
    readonly pod: string,
    readonly namespace: string,
    readonly container: string,
    readonly image: string,
    failure: Extract<PullResult, { pulled: false }>,
  ) {
    const reason = failure.reason === 'InvalidImageName' ? 'InvalidImageName' : 'ImagePullBackOff';
    super(
      `pod ${namespace}/${pod} is Pending: container "${container}" is waiting (${reason}): ${failure.message}`,
    );
    this.reason = reason;
    this.events =
      failure.reason === 'InvalidImageName'
        ? [
            { type: 'Warning', reason: 'InspectFailed', message: failure.message },
            { type: 'Warning', reason: 'Failed', message: 'Error: InvalidImageName' },
          ]
        : [
            { type: 'Normal', reason: 'Pulling', message: `Pulling image "${image}"` },
            { type: 'Warning', reason: 'Failed', message: failure.message },
            { type: 'Warning', reason: 'Failed', message: 'Error: ErrImagePull' },
            { type: 'Normal', reason: 'BackOff', message: `Back-off pulling image "${image}"` },
            { type: 'Warning', reason: 'Failed', message: 'Error: ImagePullBackOff' },
          ];
  }
}

/** A projected token file on the local disk. */
interface ProjectedToken {
  readonly path: string;
  readonly source: ServiceAccountTokenProjection;
}

/** Who the tokens are for: the claims kube-apiserver binds a projected token to. */
interface TokenSubject {
  readonly namespace: string;
  readonly serviceAccountName: string;
  readonly podName: string;
  readonly podUid: string;
}

// kubelet's part of projected volumes: write the tokens, and write them again before they expire.
class TokenProjector {
  private readonly timers = new Set<NodeJS.Timeout>();

  constructor(
    private readonly issuer: OidcIssuer,
    private readonly subject: TokenSubject,
    readonly tokens: readonly ProjectedToken[],
  ) {}

  async writeAll(issuedAt?: Date): Promise<string[]> {
    return Promise.all(this.tokens.map((t) => this.write(t, issuedAt)));
  }

  startRotation(): void {
    for (const token of this.tokens) this.schedule(token);
  }

  stopRotation(): void {
    this.timers.forEach(clearTimeout);
    this.timers.clear();
  }

  private async write(token: ProjectedToken, issuedAt?: Date): Promise<string> {
    const jwt = await this.issuer.issueServiceAccountToken({
      namespace: this.subject.namespace,
      serviceAccount: this.subject.serviceAccountName,
      audience: token.source.audience ?? this.issuer.url,
      expirationSeconds: token.source.expirationSeconds ?? 3600,
      podName: this.subject.podName,
      podUid: this.subject.podUid,
      issuedAt,
    });
    // Replace the file in one step, as kubelet's atomic writer does: a reader never sees half a token.
    await mkdir(dirname(token.path), { recursive: true });
    await writeFile(`${token.path}.tmp`, jwt, { mode: 0o600 });
    await rename(`${token.path}.tmp`, token.path);
    return jwt;
  }

  // Measured from the write, not from the token's iat: a pod started with an old token keeps it (fault tests).
  private schedule(token: ProjectedToken): void {
    const timer = setTimeout(
      () => {
        this.timers.delete(timer);
        void this.write(token).then(
          () => this.schedule(token),
          () => undefined,
        );
      },
      (token.source.expirationSeconds ?? 3600) * 1000 * TOKEN_REFRESH_FRACTION,
    );
    // A rotation timer must not keep the test runner or a CLI alive.
    timer.unref();
    this.timers.add(timer);
  }
}

/** A pod's first container, running as a local process. */
export class RunningPod {
  /** Lines the process wrote to stdout, as `kubectl logs` shows them. */
  readonly stdout: string[] = [];
  /** Lines the process wrote to stderr. */
  readonly stderr: string[] = [];
  /** Resolves with the container's exit code (128 + signal number when killed by a signal). */
  readonly exited: Promise<number>;
  /** Process id of the container's program (for measurements such as its memory). */
  readonly pid: number | undefined;
  private code: number | null = null;
  private readonly listeners = new Set<() => void>();
  private readonly kill: (signal: NodeJS.Signals) => void;

  /** @internal use {@link runPod} */
  constructor(
    /** The pod's name, also its `HOSTNAME`. */
    readonly name: string,
    readonly namespace: string,
    private readonly projector: TokenProjector,
    private readonly gracePeriodInMs: number,
    options: RunPodOptions,
    env: Record<string, string>,
  ) {
    const child = spawn(options.command, [...(options.args ?? [])], {
      cwd: options.cwd,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.kill = (signal) => child.kill(signal);
    this.pid = child.pid;
    for (const [stream, lines] of [
      [child.stdout, this.stdout],
      [child.stderr, this.stderr],
    ] as const) {
      createInterface({ input: stream }).on('line', (line) => {
        lines.push(line);
        for (const notify of this.listeners) notify();
      });
    }
    this.exited = new Promise((resolve) => {
      child.on('error', (err) => {
        this.stderr.push(`failed to start ${options.command}: ${err.message}`);
        this.finish(127, resolve);
      });
      child.on('close', (code, signal) =>
        this.finish(code ?? 128 + (signal ? constants.signals[signal] : 0), resolve),
      );
    });
    projector.startRotation();
  }

  /** The exit code, or null while the process runs. */
  get exitCode(): number | null {
    return this.code;
  }

  /** Path of the first projected token file on the local disk, if the pod has one. */
  get tokenFile(): string | undefined {
    return this.projector.tokens[0]?.path;
  }

  /** stdout then stderr, one line each (the two streams are not interleaved). */
  logs(): string {
    return [...this.stdout, ...this.stderr].join('\n');
  }

  /** Write fresh projected tokens now, as kubelet does at 80% of their lifetime; returns the first one. */
  async rotateToken(options: { readonly issuedAt?: Date } = {}): Promise<string | undefined> {
    return (await this.projector.writeAll(options.issuedAt))[0];
  }

  /** Wait for a log line (stdout or stderr) matching `pattern`; fails on timeout or when the process exits first. */
  waitForLog(pattern: RegExp, timeoutInMs = 10_000): Promise<string> {
    return new Promise((resolve, reject) => {
      const check = () => {
        const line = [...this.stdout, ...this.stderr].find((l) => pattern.test(l));
        if (line !== undefined) {
          done();
          resolve(line);
        } else if (this.code !== null) {
          done();
          reject(
            new Error(
              `pod ${this.name} exited (${this.code}) before logging ${pattern}:\n${this.logs()}`,
            ),
          );
        }
      };
      const timer = setTimeout(() => {
        done();
        reject(
          new Error(
            `pod ${this.name} logged nothing matching ${pattern} within ${timeoutInMs} ms:\n${this.logs()}`,
          ),
        );
      }, timeoutInMs);
      const done = () => {
        clearTimeout(timer);
        this.listeners.delete(check);
      };
      this.listeners.add(check);
      check();
    });
  }

  /** Stop the pod as Kubernetes does: SIGTERM, then SIGKILL after the grace period; resolves with the exit code. */
  async stop(): Promise<number> {
    if (this.code === null) {
      this.kill('SIGTERM');
      const timer = setTimeout(() => this.kill('SIGKILL'), this.gracePeriodInMs);
      await this.exited;
      clearTimeout(timer);
    }
    return this.exited;
  }

  private finish(code: number, resolve: (code: number) => void): void {
    if (this.code !== null) {
      return;
    }
    this.code = code;
    this.projector.stopRotation();
    resolve(code);
    for (const notify of this.listeners) notify();
  }
}

/** Run `options.pod`'s first container as a local process, with its projected token and a clean environment. */
export async function runPod(options: RunPodOptions, kubelet: KubeletOptions): Promise<RunningPod> {
  const { metadata, spec } = podTemplateOf(options.pod);
  const container = spec.containers[0];
  if (!container) {
    throw new Error('the pod has no container to run');
  }
  const name = podName(options.pod);
  const namespace = metadata.namespace ?? options.pod.metadata.namespace ?? 'default';
  // kubelet pulls every image, init containers first, before it starts anything: one that fails holds the pod.
  for (const c of [...(spec.initContainers ?? []), ...spec.containers]) {
    const pulled = kubelet.pull(c.image ?? '');
    if (!pulled.pulled) {
      throw new ImagePullError(name, namespace, c.name, c.image ?? '', pulled);
    }
  }
  const uid = randomUUID();
  // Keyed by uid, as kubelet's own pod directories are: two runs of one pod name never share a token.
  const podDir = join(kubelet.dir, uid);

  // Each projected service account token volume the container mounts becomes a directory of the pod's own.
  const tokens: ProjectedToken[] = [];
  const mounts: { mountPath: string; hostPath: string }[] = [];
  for (const mount of container.volumeMounts ?? []) {
    const volume = spec.volumes?.find((v) => v.name === mount.name);
    const sources = (volume?.projected?.sources ?? []).flatMap((s) =>
      s.serviceAccountToken ? [s.serviceAccountToken] : [],
    );
    if (sources.length > 0) {
      const hostPath = join(podDir, mount.name);
      mounts.push({ mountPath: mount.mountPath.replace(/\/+$/, ''), hostPath });
      tokens.push(...sources.map((source) => ({ path: join(hostPath, source.path), source })));
    }
  }

  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin',
    ...containerEnv(container, mounts),
    HOSTNAME: name,
    ...kubelet.clientEnv,
    ...options.env,
  };
  const serviceAccountName = spec.serviceAccountName || 'default';
  const projector = new TokenProjector(
    kubelet.issuer,
    { namespace, serviceAccountName, podName: name, podUid: uid },
    tokens,
  );
  // Tokens are on disk before the process starts, as kubelet mounts volumes before it starts containers.
  await projector.writeAll(options.tokenIssuedAt);
  const gracePeriodInMs =
    (spec.terminationGracePeriodSeconds ?? DEFAULT_GRACE_PERIOD_SECONDS) * 1000;
  return new RunningPod(name, namespace, projector, gracePeriodInMs, options, env);
}

// Only literal values can be resolved without an API server; paths under a token mount point at the pod's directory.
function containerEnv(
  container: Container,
  mounts: readonly { mountPath: string; hostPath: string }[],
): Record<string, string> {
  const env: Record<string, string> = {};
  for (const variable of container.env ?? []) {
    if (variable.valueFrom !== undefined) {
      throw new Error(
        `container "${container.name}" env ${variable.name} uses valueFrom, which the local kubelet cannot resolve`,
      );
    }
    const value = variable.value ?? '';
    const mount = mounts.find((m) => value === m.mountPath || value.startsWith(`${m.mountPath}/`));
    env[variable.name] = mount ? mount.hostPath + value.slice(mount.mountPath.length) : value;
  }
  return env;
}

function podName(workload: Workload): string {
  const suffix = (length: number) =>
    Array.from({ length }, () => NAME_ALPHABET[randomInt(NAME_ALPHABET.length)]).join('');
  if (workload.kind === 'Deployment') {
    // <deployment>-<pod-template-hash>-<random>, as the ReplicaSet controller names pods.
    return `${workload.metadata.name ?? 'deployment'}-${suffix(10)}-${suffix(5)}`;
  }
  return workload.metadata.name ?? `${workload.metadata.generateName ?? 'pod-'}${suffix(5)}`;
}
