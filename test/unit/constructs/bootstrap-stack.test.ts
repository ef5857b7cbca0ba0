import { Testing } from 'cdktf';
import { describe, expect, it } from 'vitest';
import { BUILT_IN_ROLE_IDS } from '../../../config/built-in-roles';
import { parseConfig } from '../../../config/load-config';
import { BootstrapStack } from '../../../constructs/stacks/bootstrap-stack';
import { defaultConfigData } from '../../support/helpers';

function bootstrap(edit: (data: any) => void = () => {}) {
  const data = defaultConfigData();
  data.state = {
    azurerm: {
      resourceGroup: 'tfstate-rg',
      storageAccount: 'wistatecontoso01',
      container: 'tfstate',
      keyPrefix: 'prod/',
    },
  };
  data.deployer = { github: { repository: 'contoso/platform', environment: 'prod' } };
  edit(data);
  const app = Testing.app();
  const stack = new BootstrapStack(app, 'workload-identity-bootstrap', {
    config: parseConfig(data, 'team.yaml'),
  });
  return JSON.parse(Testing.synth(stack)) as any;
}

const assignments = (tf: any) => Object.values(tf.resource.azurerm_role_assignment) as any[];

describe('BootstrapStack', () => {
  it('matches the snapshot', () => {
    expect(bootstrap()).toMatchSnapshot();
  });

  it('keeps its own state in a local file', () => {
    expect(bootstrap().terraform.backend).toEqual({
      local: { path: '../../../terraform.workload-identity-bootstrap.tfstate' },
    });
  });

  it('creates a storage account reached with Entra only: no shared key, nothing public, TLS 1.2, versions and soft delete', () => {
    const tf = bootstrap();
    const [account] = Object.values(tf.resource.azurerm_storage_account) as any[];
    expect(account).toMatchObject({
      name: 'wistatecontoso01',
      resource_group_name: '${azurerm_resource_group.ResourceGroup.name}',
      shared_access_key_enabled: false,
      allow_nested_items_to_be_public: false,
      min_tls_version: 'TLS1_2',
      https_traffic_only_enabled: true,
      blob_properties: {
        versioning_enabled: true,
        delete_retention_policy: { days: 30 },
        container_delete_retention_policy: { days: 30 },
      },
    });
    expect(tf.provider.azurerm[0].storage_use_azuread).toBe(true);
    const [container] = Object.values(tf.resource.azurerm_storage_container) as any[];
    expect(container).toMatchObject({ name: 'tfstate', container_access_type: 'private' });
  });

  it('trusts the GitHub workflow of the repository and environment, and nothing else', () => {
    const tf = bootstrap();
    const [credential] = Object.values(tf.resource.azurerm_federated_identity_credential) as any[];
    expect(credential).toMatchObject({
      issuer: 'https://token.actions.githubusercontent.com',
      subject: 'repo:contoso/platform:environment:prod',
      audience: ['api://AzureADTokenExchange'],
    });
  });

  it("trusts GitHub's immutable subject when the config names the owner's and the repository's ids", () => {
    // GIVEN a repository with immutable subject claims: its tokens carry `OWNER@OWNER_ID/REPO@REPO_ID`
    const tf = bootstrap((data) => {
      data.deployer.github.ownerId = 123456;
      data.deployer.github.repositoryId = 456789;
    });
    const [credential] = Object.values(tf.resource.azurerm_federated_identity_credential) as any[];
    expect(credential.subject).toBe('repo:contoso@123456/platform@456789:environment:prod');
  });

  it.each([
    [{ ownerId: 123456 }, 'deployer.github.repositoryId'],
    [{ repositoryId: 456789 }, 'deployer.github.ownerId'],
  ])('fails when only one of the two ids is given (%o), naming the other', (ids, missing) => {
    expect(() =>
      bootstrap((data) => {
        Object.assign(data.deployer.github, ids);
      }),
    ).toThrow(
      `${missing}: is missing: ownerId and repositoryId go together (gh api repos/contoso/platform --jq '.owner.id, .id' prints both)`,
    );
  });

  it('fails when an id is not a positive whole number', () => {
    expect(() =>
      bootstrap((data) => {
        data.deployer.github.ownerId = '123456';
        data.deployer.github.repositoryId = 456789;
      }),
    ).toThrow('deployer.github.ownerId');
  });

  it('gives Storage Blob Data Contributor on the state container, not the account, to the runner and the deployer', () => {
    const onContainer = assignments(bootstrap()).filter(
      (a) => a.role_definition_name === 'Storage Blob Data Contributor',
    );
    const principals = onContainer.map((a) => a.principal_id).sort();
    expect(principals).toHaveLength(2);
    expect(principals[0]).toMatch(
      /^\$\{azurerm_user_assigned_identity\.Deployer_\w+\.principal_id\}$/,
    );
    expect(principals[1]).toBe('${data.azurerm_client_config.Runner.object_id}');
    for (const a of onContainer)
      expect(a.scope).toMatch(/^\$\{azurerm_storage_container\.State_Container_\w+\.id\}$/);
  });

  it('lets the deployer assign only the roles the Azure stack assigns', () => {
    const tf = bootstrap();
    const deployer = assignments(tf).filter((a) => a.principal_type === 'ServicePrincipal');
    expect(deployer.map((a) => a.role_definition_name).sort()).toEqual([
      'Contributor',
      'Role Based Access Control Administrator',
    ]);
    const assigner = deployer.find(
      (a) => a.role_definition_name === 'Role Based Access Control Administrator',
    );
    expect(assigner.condition_version).toBe('2.0');
    const allowed = [...assigner.condition.matchAll(/[0-9a-f]{8}-[0-9a-f-]{27}/g)].map((m) => m[0]);
    expect(new Set(allowed)).toEqual(
      new Set([
        BUILT_IN_ROLE_IDS['Key Vault Secrets User'],
        BUILT_IN_ROLE_IDS['Key Vault Secrets Officer'],
        BUILT_IN_ROLE_IDS.AcrPull,
      ]),
    );
    expect(assigner.condition).toContain(
      "ActionMatches{'Microsoft.Authorization/roleAssignments/write'}",
    );
    expect(assigner.condition).toContain(
      "ActionMatches{'Microsoft.Authorization/roleAssignments/delete'}",
    );
  });

  it('makes no CI identity without deployer', () => {
    const tf = bootstrap((d) => delete d.deployer);
    expect(tf.resource.azurerm_user_assigned_identity).toBeUndefined();
    expect(assignments(tf)).toHaveLength(1);
    expect(tf.output.deployer_client_id).toBeUndefined();
  });

  it('fails when the config has no state', () => {
    expect(() => bootstrap((d) => delete d.state)).toThrow(
      'bootstrap needs state.azurerm in the config: where to keep state',
    );
  });
});
