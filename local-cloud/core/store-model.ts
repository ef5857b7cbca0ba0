/**
 * The servers' view of the store: a `CloudModel` whose every field is read from the store file when it is used, so
 * Entra, Key Vault and the kubelet serve what the latest `terraform apply` left, as Azure's services would.
 */
import { type CloudStore, propagated } from './cloud-store';
import type {
  CloudCluster,
  CloudFederatedCredential,
  CloudIdentity,
  CloudKeyVault,
  CloudModel,
  CloudRegistry,
  CloudRoleAssignment,
  CloudStorageAccount,
} from './model';

/**
 * A live model of `store`.
 *
 * Role assignments appear only once they have propagated to the data plane (`RBAC_PROPAGATION_SECONDS`, scaled): a
 * fresh assignment is not yet honoured by Key Vault, as on Azure.
 */
export function liveModel(store: CloudStore, env: NodeJS.ProcessEnv = process.env): CloudModel {
  const data = () => store.read();
  return {
    get tenantId(): string {
      return data().deployer.homeTenantId;
    },
    get subscriptionId(): string {
      const d = data();
      return (
        d.subscriptions.find((s) => s.tenantId === d.deployer.homeTenantId)?.id ??
        d.subscriptions[0]?.id ??
        ''
      );
    },
    get clusters(): CloudCluster[] {
      // A cluster whose issuer is off signs no token anyone could trust; it serves no issuer.
      return data()
        .clusters.filter((c) => c.oidcIssuerEnabled && c.oidcIssuerUrl)
        .map((c) => ({
          name: c.name,
          oidcIssuerUrl: c.oidcIssuerUrl,
          issuerKey: c.issuerKey,
          kubeletPrincipalId: c.kubeletIdentity.objectId,
        }));
    },
    get identities(): CloudIdentity[] {
      const d = data();
      return [
        ...d.identities.map((i) => ({
          address: i.id,
          name: i.name,
          clientId: i.clientId,
          principalId: i.principalId,
          tenantId: i.tenantId,
        })),
        // An application signs in through its service principal in the tenant it is asked for.
        ...d.servicePrincipals.map((sp) => ({
          address: `/servicePrincipals/${sp.objectId}`,
          name: d.applications.find((a) => a.clientId === sp.clientId)?.displayName ?? sp.clientId,
          clientId: sp.clientId,
          principalId: sp.objectId,
          tenantId: sp.tenantId,
        })),
      ];
    },
    get federatedCredentials(): CloudFederatedCredential[] {
      return data().federatedCredentials.map((c) => ({
        name: c.name,
        clientId: c.clientId,
        issuer: c.issuer,
        subject: c.subject,
        audiences: c.audiences,
      }));
    },
    get roleAssignments(): CloudRoleAssignment[] {
      const now = Date.now();
      const d = data();
      return d.roleAssignments
        .filter((a) => propagated(d, a, now, env))
        .map((a) => ({
          principalId: a.principalId,
          roleDefinitionName: a.roleDefinitionName,
          scope: a.scope,
        }));
    },
    get registries(): CloudRegistry[] {
      return data().registries.map((r) => ({
        id: r.id,
        loginServer: r.loginServer,
        images: r.images,
      }));
    },
    get storageAccounts(): CloudStorageAccount[] {
      return (data().storageAccounts ?? []).map((a) => ({
        id: a.id,
        name: a.name,
        tenantId: a.tenantId,
        sharedAccessKeyEnabled: a.sharedAccessKeyEnabled,
        versioningEnabled: a.versioningEnabled,
        containers: a.containers.map((c) => c.name),
      }));
    },
    get keyVaults(): CloudKeyVault[] {
      return data().keyVaults.map((v) => ({
        name: v.name,
        id: v.id,
        vaultUri: v.vaultUri,
        tenantId: v.tenantId,
        secrets: new Map(v.secrets.map((s) => [s.name, s.value])),
      }));
    },
  };
}
