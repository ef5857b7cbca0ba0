/**
 * What the local cloud serves: the Azure side as it would exist after `cdktf deploy`.
 *
 * A view of the local cloud's store (`liveModel()` in store-model.ts), or a hand-made world in tests; the servers only
 * read it, and read it again on every request, so what a later `terraform apply` changed is served.
 */
import type { JWK } from 'jose';

/** A user-assigned managed identity or an Entra application, as Entra knows it. */
export interface CloudIdentity {
  /** Where Azure knows it from: the identity's Azure id, or the service principal's `/servicePrincipals/<object id>`. */
  readonly address: string;
  readonly name: string;
  readonly clientId: string;
  /** Object id of the service principal: what role assignments name. */
  readonly principalId: string;
  readonly tenantId: string;
}

/** A federated identity credential on one identity. */
export interface CloudFederatedCredential {
  readonly name: string;
  /** Client id of the identity the credential belongs to. */
  readonly clientId: string;
  readonly issuer: string;
  readonly subject: string;
  readonly audiences: readonly string[];
}

/** An Azure RBAC role assignment. */
export interface CloudRoleAssignment {
  readonly principalId: string;
  readonly roleDefinitionName: string;
  /** Azure resource id: a vault id, or `<vault id>/secrets/<name>`. */
  readonly scope: string;
}

/** A Key Vault in RBAC mode with its secrets. */
export interface CloudKeyVault {
  readonly name: string;
  /** Azure resource id `/subscriptions/<sub>/resourceGroups/<rg>/providers/Microsoft.KeyVault/vaults/<name>`. */
  readonly id: string;
  /** `https://<name>.vault.azure.net/` */
  readonly vaultUri: string;
  readonly tenantId: string;
  /** Secret name to value; values come from the same env vars a deploy uses. */
  readonly secrets: ReadonlyMap<string, string>;
}

/** The AKS cluster's OIDC issuer. */
export interface CloudCluster {
  readonly name: string;
  /** Ends with `/`, as AKS's does. */
  readonly oidcIssuerUrl: string;
  /**
   * Object id of the kubelet identity (`kubelet_identity[0].object_id`): who pulls the pods' images.
   * @default - none: the cluster pulls only public images
   */
  readonly kubeletPrincipalId?: string;
  /** The issuer's signing key (private JWK), made when the cluster was created. @default - a fresh key at start */
  readonly issuerKey?: JWK;
}

/** An image pushed to a registry (`az acr build`, `docker push`). */
export interface CloudImage {
  /** e.g. `workload-id-app` */
  readonly repository: string;
  readonly tag: string;
  /** `sha256:<hex>` */
  readonly digest: string;
}

/** An Azure Container Registry with the images pushed to it. */
export interface CloudRegistry {
  /** Azure resource id: an `AcrPull` assignment at it, or above it, lets a principal pull. */
  readonly id: string;
  /** `<name>.azurecr.io`, lower case. */
  readonly loginServer: string;
  readonly images: readonly CloudImage[];
}

/** Everything the local cloud serves. */
export interface CloudModel {
  readonly tenantId: string;
  readonly subscriptionId: string;
  readonly clusters: readonly CloudCluster[];
  readonly identities: readonly CloudIdentity[];
  readonly federatedCredentials: readonly CloudFederatedCredential[];
  readonly roleAssignments: readonly CloudRoleAssignment[];
  readonly keyVaults: readonly CloudKeyVault[];
  /**
   * Azure Container Registries the kubelets may pull from (with `AcrPull`).
   * @default - none: pods run only the public images the local cloud knows
   */
  readonly registries?: readonly CloudRegistry[];
  /**
   * Storage accounts whose blob endpoints the local cloud serves (Azurite behind the front door).
   * @default - none
   */
  readonly storageAccounts?: readonly CloudStorageAccount[];
}

/** A storage account as its blob endpoint sees it. */
export interface CloudStorageAccount {
  /** Azure resource id: a data role at it, or above it, covers its containers. */
  readonly id: string;
  readonly name: string;
  /** The tenant whose Entra tokens it accepts. */
  readonly tenantId: string;
  readonly sharedAccessKeyEnabled: boolean;
  /** Earlier contents of an overwritten blob are kept. */
  readonly versioningEnabled: boolean;
  readonly containers: readonly string[];
}
