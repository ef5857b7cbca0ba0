/**
 * Where the local kubelet pulls images from, and what it answers when it cannot: the public images the local cloud
 * knows, and the Azure Container Registries of the model with the images pushed to them, pulled as the cluster's
 * kubelet identity. A refusal is worded as `kubectl describe pod` shows it on an AKS node (containerd).
 *
 * The local cloud has no network: an image that pulls is run by the program standing in for it; the decision whether
 * it pulls is what this module reproduces.
 *
 * @see https://learn.microsoft.com/azure/aks/cluster-container-registry-integration
 * @see https://learn.microsoft.com/troubleshoot/azure/azure-kubernetes/connectivity/cannot-pull-image-from-acr-to-aks-cluster
 */
import type { CloudRegistry, CloudRoleAssignment } from '../core/model';

/** Where an image name without a registry host is pulled from. */
export const DOCKER_HUB = 'docker.io';
/** The DNS suffix of Azure Container Registry login servers in the public cloud. */
export const ACR_DNS_SUFFIX = '.azurecr.io';
/** Built-in roles whose actions include pulling from an Azure Container Registry. */
export const ACR_PULL_ROLES: readonly string[] = ['AcrPull', 'AcrPush', 'Contributor', 'Owner'];

// Spelled out here, not imported from config/samples.ts: a stand-in must not share a typo with the product it checks.
// What Azure/azure-workload-identity publishes (read at v1.6.0, which is also main's head, 04d01a2, in the mirror):
// - .github/workflows/publish-images.yaml:4-6,61-93 builds the examples on push to main only, with
//   `make -C <dir> container-all push-manifest`; no workflow pushes an example at a release tag;
// - examples/<dir>/Makefile:3 `IMAGE_VERSION ?= latest`, :5 `DEMO_IMAGE := $(REGISTRY)/$(IMAGE_NAME):$(IMAGE_VERSION)`;
//   container-linux/-windows (:32, :41) push `latest-linux-<arch>` and `latest-windows-<osversion>-<arch>`, and
//   push-manifest (:54) joins them under `latest`; ALL_OS (:14) is linux and windows for msal-go and msal-net
//   (windows 1809 and ltsc2022, amd64), linux only for java, node and python; linux arches amd64 and arm64 (:15).
const LINUX_TAGS = ['latest', 'latest-linux-amd64', 'latest-linux-arm64'];
const WINDOWS_TAGS = ['latest-windows-1809-amd64', 'latest-windows-ltsc2022-amd64'];
const SAMPLE_TAGS: Readonly<Record<string, readonly string[]>> = {
  net: [...LINUX_TAGS, ...WINDOWS_TAGS],
  go: [...LINUX_TAGS, ...WINDOWS_TAGS],
  java: LINUX_TAGS,
  node: LINUX_TAGS,
  python: LINUX_TAGS,
};
/**
 * Public repositories the local cloud knows, with their tags: the workload identity project's sample images (pushed
 * from main as `latest` only, never at a release tag) and the webhook's proxy images.
 *
 * The proxy images are those the v1.6.0 webhook injects: Makefile:1 `REGISTRY ?= mcr.microsoft.com/oss/azure/workload-identity`,
 * :5 `IMAGE_VERSION ?= v1.6.0`, :17-19 link both into pkg/webhook/webhook.go:129,133 as `<registry>/proxy:<version>`
 * and `<registry>/proxy-init:<version>`. publish-images.yaml:35,59 also pushes them to ghcr.io as `latest`.
 * Docker Hub holds nothing here, in particular nothing under the project's name.
 */
export const PUBLIC_IMAGES: ReadonlyMap<string, readonly string[]> = new Map([
  ...Object.entries(SAMPLE_TAGS).map(
    ([language, tags]) => [`ghcr.io/azure/azure-workload-identity/msal-${language}`, tags] as const,
  ),
  ...['webhook', 'proxy', 'proxy-init'].map(
    (name) => [`ghcr.io/azure/azure-workload-identity/${name}`, ['latest']] as const,
  ),
  ['mcr.microsoft.com/oss/azure/workload-identity/proxy', ['v1.6.0']],
  ['mcr.microsoft.com/oss/azure/workload-identity/proxy-init', ['v1.6.0']],
]);
const PUBLIC_REGISTRIES = new Set([...PUBLIC_IMAGES.keys()].map((r) => r.split('/')[0]));

/** An image reference as containerd resolves it. */
export interface ImageReference {
  /** As written in the pod spec: what kubelet's events quote. */
  readonly image: string;
  /** Registry host, lower case: `docker.io` for a name without one. */
  readonly registry: string;
  /** Repository inside the registry: `library/<name>` for a one-part Docker Hub name. */
  readonly repository: string;
  /** `latest` when the reference names neither a tag nor a digest. */
  readonly tag?: string;
  /** `sha256:<hex>`; when set, it decides which image is pulled, whatever the tag. */
  readonly digest?: string;
  /** `<registry>/<repository>[:tag][@digest]`: what containerd's messages quote. */
  readonly canonical: string;
}

// The reference grammar of the distribution project, reduced to what a pod spec may hold.
const COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const TAG = /^[\w][\w.-]{0,127}$/;
const DIGEST = /^sha256:[a-f0-9]{64}$/;

/** Parse `image` as containerd does; undefined when it is not a valid reference. */
export function parseImageReference(image: string): ImageReference | undefined {
  const at = image.indexOf('@');
  const digest = at < 0 ? undefined : image.slice(at + 1);
  const named = at < 0 ? image : image.slice(0, at);
  const slash = named.indexOf('/');
  const first = slash < 0 ? '' : named.slice(0, slash);
  // The first part names a registry host only when it looks like one.
  const hasHost = first.includes('.') || first.includes(':') || first === 'localhost';
  const registry = hasHost ? first.toLowerCase() : DOCKER_HUB;
  const path = hasHost ? named.slice(slash + 1) : named;
  const colon = path.lastIndexOf(':');
  const tag = colon < 0 ? undefined : path.slice(colon + 1);
  let repository = colon < 0 ? path : path.slice(0, colon);
  if (registry === DOCKER_HUB && !repository.includes('/')) repository = `library/${repository}`;
  if (
    !repository.split('/').every((c) => COMPONENT.test(c)) ||
    (tag !== undefined && !TAG.test(tag)) ||
    (digest !== undefined && !DIGEST.test(digest))
  ) {
    return undefined;
  }
  const effectiveTag = tag ?? (digest === undefined ? 'latest' : undefined);
  const canonical = `${registry}/${repository}${effectiveTag ? `:${effectiveTag}` : ''}${digest ? `@${digest}` : ''}`;
  return { image, registry, repository, tag: effectiveTag, digest, canonical };
}

/** What the kubelet may pull from: the model's registries and who may pull from them. */
export interface PullContext {
  readonly registries: readonly CloudRegistry[];
  readonly roleAssignments: readonly CloudRoleAssignment[];
  /** Object id of the cluster's kubelet identity; undefined when it has none (then no registry lets it pull). */
  readonly kubeletPrincipalId?: string;
}

/** The outcome of pulling one image. */
export type PullResult =
  | { readonly pulled: true; readonly reference: ImageReference }
  | {
      readonly pulled: false;
      /** The container's waiting reason right after the attempt; kubelet then backs off (`ImagePullBackOff`). */
      readonly reason: 'ErrImagePull' | 'InvalidImageName';
      /** The `Failed` event's message, as `kubectl describe pod` shows it. */
      readonly message: string;
    };

/** Pull `image` as an AKS node's containerd would, with the kubelet identity's rights. */
export function pullImage(image: string, context: PullContext): PullResult {
  const reference = parseImageReference(image);
  if (!reference) {
    return {
      pulled: false,
      reason: 'InvalidImageName',
      message: `Failed to apply default image tag "${image}": couldn't parse image name "${image}": invalid reference format`,
    };
  }
  const cause = refusal(reference, context);
  if (cause === undefined) return { pulled: true, reference };
  const { canonical } = reference;
  return {
    pulled: false,
    reason: 'ErrImagePull',
    message: `Failed to pull image "${image}": failed to pull and unpack image "${canonical}": failed to resolve reference "${canonical}": ${cause}`,
  };
}

// Why containerd could not resolve the reference, or undefined when it could.
function refusal(reference: ImageReference, context: PullContext): string | undefined {
  const { registry, repository, tag, digest, canonical } = reference;
  if (registry.endsWith(ACR_DNS_SUFFIX)) {
    const acr = context.registries.find((r) => r.loginServer.toLowerCase() === registry);
    if (!acr) {
      // A registry that does not exist has no DNS name.
      return `failed to do request: Head "https://${registry}/v2/${repository}/manifests/${digest ?? tag}": dial tcp: lookup ${registry}: no such host`;
    }
    if (!mayPull(context, acr)) {
      // Without a role the kubelet identity gets no token, and containerd's anonymous one is refused.
      const scope = encodeURIComponent(`repository:${repository}:pull`);
      return `failed to authorize: failed to fetch anonymous token: unexpected status from GET request to https://${registry}/oauth2/token?scope=${scope}&service=${registry}: 401 Unauthorized`;
    }
    const found = acr.images.some(
      (i) => i.repository === repository && (digest ? i.digest === digest : i.tag === tag),
    );
    return found ? undefined : `${canonical}: not found`;
  }
  if (PUBLIC_REGISTRIES.has(registry)) {
    const tags = PUBLIC_IMAGES.get(`${registry}/${repository}`);
    if (!tags) {
      const scope = encodeURIComponent(`repository:${repository}:pull`);
      return `failed to authorize: failed to fetch anonymous token: unexpected status from GET request to https://${registry}/token?scope=${scope}&service=${registry}: 401 Unauthorized`;
    }
    // The local cloud knows public images by tag only; a digest it cannot check is not found.
    return tag !== undefined && digest === undefined && tags.includes(tag)
      ? undefined
      : `${canonical}: not found`;
  }
  if (registry === DOCKER_HUB) {
    return 'pull access denied, repository does not exist or may require authorization: server message: insufficient_scope: authorization failed';
  }
  return `the local cloud knows no registry at ${registry} (it serves ${[...PUBLIC_REGISTRIES].join(', ')} and the model's Azure Container Registries)`;
}

// Azure RBAC: a role at the registry or any scope above it, ids compared without case.
function mayPull(context: PullContext, registry: CloudRegistry): boolean {
  const target = registry.id.toLowerCase();
  return (
    context.kubeletPrincipalId !== undefined &&
    context.roleAssignments.some((a) => {
      const scope = a.scope.toLowerCase().replace(/\/+$/, '');
      return (
        a.principalId === context.kubeletPrincipalId &&
        ACR_PULL_ROLES.includes(a.roleDefinitionName) &&
        (target === scope || target.startsWith(`${scope}/`))
      );
    })
  );
}
