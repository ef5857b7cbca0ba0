import { Testing } from 'cdktf';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../config/load-config';
import { AzureStack } from '../constructs/stacks/azure-stack';
import { deployTerraform, variablesFromEnv } from '../local-cloud/deploy';
import type { TerraformJson } from '../verify/synthesized-pair';

const terraform: TerraformJson = JSON.parse(
  Testing.synth(new AzureStack(Testing.app(), 'workload-identity', { config: loadConfig() })),
);
const variables = { secret_username: 'admin', secret_password: 'pw' };

describe("deployTerraform (the local cloud's terraform apply)", () => {
  it('resolves every reference into the model the servers use', () => {
    const { model } = deployTerraform(terraform, { variables });
    const [identity] = model.identities;
    expect(model.clusters).toEqual([
      {
        name: 'workload-id-aks',
        oidcIssuerUrl: expect.stringMatching(
          /^https:\/\/westeurope\.oic\.prod-aks\.azure\.com\/[0-9a-f-]{36}\/[0-9a-f-]{36}\/$/,
        ),
        kubeletPrincipalId: expect.stringMatching(/^[0-9a-f-]{36}$/),
      },
    ]);
    expect(model.federatedCredentials).toEqual([
      {
        name: 'workload-id-test-workload-id-sa',
        clientId: identity.clientId,
        issuer: model.clusters[0].oidcIssuerUrl,
        subject: 'system:serviceaccount:workload-id-test:workload-id-sa',
        audiences: ['api://AzureADTokenExchange'],
      },
    ]);
    const vault = model.keyVaults[0];
    expect(vault.vaultUri).toBe('https://workload-id-kv-demo.vault.azure.net/');
    expect([...vault.secrets]).toEqual([
      ['password', 'pw'],
      ['username', 'admin'],
    ]);
    expect(model.roleAssignments).toContainEqual({
      principalId: identity.principalId,
      roleDefinitionName: 'Key Vault Secrets User',
      scope: `${vault.id}/secrets/username`,
    });
  });

  it('computes the outputs the Kubernetes side reads, the same on every run', () => {
    const first = deployTerraform(terraform, { variables });
    expect(first.outputs.demo_client_id).toBe(first.model.identities[0].clientId);
    expect(first.outputs.demo_vault_url).toBe('https://workload-id-kv-demo.vault.azure.net/');
    expect(deployTerraform(terraform, { variables }).outputs).toEqual(first.outputs);
  });

  it('fails when a secret variable has no value', () => {
    const names = Object.keys(terraform.variable ?? {});
    expect(() => variablesFromEnv(names, {})).toThrow(
      'variable secret_password has no value: set TF_VAR_secret_password',
    );
    expect(
      variablesFromEnv(names, { TF_VAR_secret_password: 'x' }, { secret_username: 'admin' }),
    ).toEqual({
      values: { secret_password: 'x', secret_username: 'admin' },
      fromFallback: ['TF_VAR_secret_username'],
    });
  });

  it('fails when a secret value is over 25 KB, as Key Vault refuses the write', () => {
    const tooBig = 'z'.repeat(25 * 1024 + 1);
    expect(() =>
      deployTerraform(terraform, { variables: { ...variables, secret_password: tooBig } }),
    ).toThrow(
      /^azurerm_key_vault_secret\.\S+: creating Secret "password" \(Key Vault "https:\/\/workload-id-kv-demo\.vault\.azure\.net\/"\): 400 BadParameter: The value of secret 'password' is 25601 bytes; a secret value may be at most 25600 bytes \(25 KB\)\.$/,
    );
    expect(() =>
      deployTerraform(terraform, {
        variables: { ...variables, secret_password: 'z'.repeat(25 * 1024) },
      }),
    ).not.toThrow();
  });

  it("serves a registry with its pushed images, pulled with AcrPull for the cluster's kubelet identity", () => {
    // GIVEN the stack plus a registry and AcrPull for the kubelet identity, as a registry option would add them
    const withRegistry = structuredClone(terraform) as any;
    const cluster = Object.keys(withRegistry.resource.azurerm_kubernetes_cluster)[0];
    const group = withRegistry.resource.azurerm_kubernetes_cluster[cluster].resource_group_name;
    withRegistry.resource.azurerm_container_registry = {
      acr: {
        name: 'acrWorkloadId',
        resource_group_name: group,
        location: 'westeurope',
        sku: 'Basic',
      },
    };
    withRegistry.resource.azurerm_role_assignment.acr_pull = {
      scope: '${azurerm_container_registry.acr.id}',
      role_definition_name: 'AcrPull',
      principal_id: `\${azurerm_kubernetes_cluster.${cluster}.kubelet_identity[0].object_id}`,
    };
    const image = {
      repository: 'workload-id-app',
      tag: '0.1.0',
      digest: `sha256:${'1f'.repeat(32)}`,
    };

    // WHEN it is deployed and the image pushed
    const { model } = deployTerraform(withRegistry, {
      variables,
      images: { 'acrworkloadid.azurecr.io': [image] },
    });

    // THEN the registry holds the image and the kubelet identity may pull from it
    const [registry] = model.registries ?? [];
    expect(registry).toEqual({
      id: expect.stringMatching(
        /\/providers\/Microsoft\.ContainerRegistry\/registries\/acrWorkloadId$/,
      ),
      loginServer: 'acrworkloadid.azurecr.io',
      images: [image],
    });
    expect(model.roleAssignments).toContainEqual({
      principalId: model.clusters[0].kubeletPrincipalId,
      roleDefinitionName: 'AcrPull',
      scope: registry.id,
    });
  });

  it('fails when a reference points at nothing', () => {
    const broken = structuredClone(terraform) as any;
    const credential = Object.values(
      broken.resource.azurerm_federated_identity_credential,
    )[0] as any;
    credential.parent_id = '${azurerm_user_assigned_identity.gone.id}';
    expect(() => deployTerraform(broken, { variables })).toThrow(
      /cannot resolve the references of azurerm_federated_identity_credential\./,
    );
  });
});
