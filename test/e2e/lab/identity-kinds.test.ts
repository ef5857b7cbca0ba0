import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readOutputs } from '../../../config/outputs';
import { startLab } from '../../../lab/lab';
import { checkPair } from '../../../verify/check-pair';
import { resourcesOf } from '../../../verify/synthesized-pair';
import { labFor, pairOf } from '../../support/lab-helpers';

const RESOURCE_TENANT = 'bbbbbbbb-0000-4000-a000-000000000002';

/** Verify the lab's pair, run its demo pod once, and return what it printed last and the pair. */
async function runDemoPod(files: Awaited<ReturnType<typeof labFor>>) {
  const lab = await startLab(files);
  try {
    expect(
      checkPair(pairOf(files), {
        bindings: readOutputs(files.outputsFile, files.config),
        forApply: true,
      }),
    ).toEqual([]);
    const pod = await lab.runPod({ pod: 'demo-pod', env: { RUN_ONCE: 'true' } });
    const code = await pod.exited;
    return { code, last: pod.stdout.at(-1) ?? pod.logs(), pair: pairOf(files) };
  } finally {
    await lab.close();
  }
}

describe.concurrent('identity kinds and tenants on the local cloud', () => {
  it('signs in as an Entra application with its own federated credential', async () => {
    const files = await labFor((d) => (d.workloads[0].identity = 'application'));
    const { code, last, pair } = await runDemoPod(files);
    expect([code, last]).toEqual([0, 'Your secret is admin']);
    const [application] = resourcesOf(pair.terraform, 'azuread_application');
    expect(application.values).toMatchObject({
      display_name: 'workload-id-mi',
      sign_in_audience: 'AzureADMyOrg',
    });
    expect(
      resourcesOf(pair.terraform, 'azuread_application_federated_identity_credential')[0].values,
    ).toMatchObject({
      application_id: `\${${application.address}.id}`,
      subject: 'system:serviceaccount:workload-id-test:workload-id-sa',
      audiences: ['api://AzureADTokenExchange'],
    });
    expect(resourcesOf(pair.terraform, 'azurerm_user_assigned_identity')).toEqual([]);
  });

  it('reads a vault in another tenant through a multi-tenant application, asking that tenant for the token', async () => {
    const files = await labFor((d) => {
      Object.assign(d.keyVault, {
        tenantId: RESOURCE_TENANT,
        subscriptionId: 'bbbbbbbb-0000-4000-a000-00000000000f',
        resourceGroup: 'vault-rg',
      });
      d.workloads[0].identity = 'application';
    });
    const { code, last, pair } = await runDemoPod(files);
    expect([code, last]).toEqual([0, 'Your secret is admin']);
    expect(readOutputs(files.outputsFile, files.config).get('demo')?.tenantId).toBe(
      RESOURCE_TENANT,
    );
    expect(
      pair.objects.find((o) => o.kind === 'ServiceAccount')?.metadata.annotations?.[
        'azure.workload.identity/tenant-id'
      ],
    ).toBe(RESOURCE_TENANT);
    expect(resourcesOf(pair.terraform, 'azuread_application')[0].values.sign_in_audience).toBe(
      'AzureADMultipleOrgs',
    );
    expect(resourcesOf(pair.terraform, 'azuread_service_principal')[0].values.provider).toBe(
      'azuread.resources',
    );
    expect(resourcesOf(pair.terraform, 'azurerm_key_vault')[0].values.provider).toBe(
      'azurerm.resources',
    );
  });

  it('reads a vault in another tenant through a managed identity created there', async () => {
    const files = await labFor((d) =>
      Object.assign(d.keyVault, {
        tenantId: RESOURCE_TENANT,
        subscriptionId: 'bbbbbbbb-0000-4000-a000-00000000000f',
        resourceGroup: 'vault-rg',
      }),
    );
    const { code, last } = await runDemoPod(files);
    expect([code, last]).toEqual([0, 'Your secret is admin']);
    expect(readOutputs(files.outputsFile, files.config).get('demo')?.tenantId).toBe(
      RESOURCE_TENANT,
    );
  });

  it("fails when the service account names the home tenant for a cross-tenant vault: the SDK refuses the vault's challenge", async () => {
    const files = await labFor((d) => {
      Object.assign(d.keyVault, {
        tenantId: RESOURCE_TENANT,
        subscriptionId: 'bbbbbbbb-0000-4000-a000-00000000000f',
        resourceGroup: 'vault-rg',
      });
      d.workloads[0].identity = 'application';
    });
    // GIVEN the service account annotated with the cluster's tenant instead of the resource tenant
    const manifest = join(files.manifestsDir, 'workload-identity.k8s.yaml');
    const home = JSON.parse(readFileSync(files.outputsFile, 'utf8'))[
      'workload-identity'
    ].demo_oidc_issuer_url.split('/')[3];
    writeFileSync(manifest, readFileSync(manifest, 'utf8').replaceAll(RESOURCE_TENANT, home));
    // WHEN the pod runs THEN the vault's challenge names the resource tenant, which the credential was not given
    const lab = await startLab(files);
    try {
      const pod = await lab.runPod({
        pod: 'demo-pod',
        env: { RUN_ONCE: 'true', CREDENTIAL_MODE: 'workload-identity' },
      });
      expect(await pod.exited).toBe(1);
      expect(pod.logs()).toContain(
        `CredentialUnavailableError: The current credential is not configured to acquire tokens for tenant ${RESOURCE_TENANT}.`,
      );
      expect(pod.logs()).toContain(
        "(hint: the vault is in another tenant than AZURE_TENANT_ID: annotate the service account's azure.workload.identity/tenant-id with the vault's tenant)",
      );
    } finally {
      await lab.close();
    }
  });
});

describe.concurrent('existing resources on the local cloud', () => {
  it('reads an existing cluster and vault, with plan-time checks of their settings', async () => {
    const files = await labFor((d) => {
      Object.assign(d.cluster, { existing: true, resourceGroup: 'platform-rg' });
      Object.assign(d.keyVault, {
        existing: true,
        name: 'secrets-kv',
        resourceGroup: 'secrets-rg',
      });
    });
    const { code, last, pair } = await runDemoPod(files);
    expect([code, last]).toEqual([0, 'Your secret is admin']);
    const tf = pair.terraform as any;
    expect(tf.resource.azurerm_kubernetes_cluster).toBeUndefined();
    expect(tf.resource.azurerm_key_vault).toBeUndefined();
    expect(tf.resource.azurerm_key_vault_secret).toBeUndefined();
    expect(tf.variable).toBeUndefined();
    const [cluster] = resourcesOf(tf, 'data.azurerm_kubernetes_cluster');
    expect(cluster.values).toMatchObject({
      name: 'workload-id-aks',
      resource_group_name: 'platform-rg',
    });
    expect((cluster.values.lifecycle as any).postcondition[0]).toEqual({
      condition: '${self.oidc_issuer_enabled && self.oidc_issuer_url != ""}',
      error_message:
        'AKS cluster workload-id-aks has no OIDC issuer: run "az aks update -g platform-rg -n workload-id-aks --enable-oidc-issuer --enable-workload-identity" first.',
    });
    const [vault] = resourcesOf(tf, 'data.azurerm_key_vault');
    expect((vault.values.lifecycle as any).postcondition[0].condition).toBe(
      '${self.rbac_authorization_enabled}',
    );
    expect(tf.output.resource_group_name.value).toBe('platform-rg');
    const grant = resourcesOf(tf, 'azurerm_role_assignment')[0];
    expect(grant.values).toMatchObject({
      role_definition_name: 'Key Vault Secrets User',
      scope: `\${${vault.address}.id}/secrets/username`,
    });
  });
});
