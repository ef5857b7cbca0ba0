import { truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { pipelineValues } from '../../../cli/bootstrap-command';
import { cdktfOutputs } from '../../../cli/remote-state';
import { parseConfig } from '../../../config/load-config';
import { defaultConfigData, tempDir } from '../../support/helpers';

const config = parseConfig({
  ...defaultConfigData(),
  state: {
    azurerm: {
      resourceGroup: 'tfstate-rg',
      storageAccount: 'wistatecontoso01',
      container: 'tfstate',
      keyPrefix: 'prod/',
    },
  },
  deployer: { github: { repository: 'contoso/platform', environment: 'prod' } },
});

/** What a bootstrap writes to its outputs file: every id a GUID, the config's storage account and container. */
function bootstrapOutputsFile(): string {
  const file = join(tempDir(), 'bootstrap-outputs.json');
  writeFileSync(
    file,
    JSON.stringify({
      'workload-identity-bootstrap': {
        deployer_client_id: 'aaaaaaaa-1111-2222-3333-444444444444',
        tenant_id: '66666666-7777-8888-9999-000000000000',
        subscription_id: '00000000-0000-0000-0000-000000000001',
        state_storage_account: 'wistatecontoso01',
        state_container: 'tfstate',
      },
    }),
  );
  return file;
}

describe('pipelineValues', () => {
  it('refuses an outputs file larger than a bootstrap writes, in one line, without reading it', () => {
    const file = join(tempDir(), 'bootstrap-outputs.json');
    // Sparse: 2 GB as its size says, nothing on the disk.
    writeFileSync(file, '');
    truncateSync(file, 2 * 1024 * 1024 * 1024);
    expect(() => pipelineValues(config, file)).toThrow(
      new Error(
        `cannot read bootstrap outputs file ${file}: it is 2048 MB, more than the 64 KB allowed`,
      ),
    );
  });

  it('prints the three ids when each is a GUID', () => {
    const file = bootstrapOutputsFile();
    expect(pipelineValues(config, file).filter((l) => l.startsWith('  AZURE_'))).toEqual([
      '  AZURE_CLIENT_ID=aaaaaaaa-1111-2222-3333-444444444444',
      '  AZURE_TENANT_ID=66666666-7777-8888-9999-000000000000',
      '  AZURE_SUBSCRIPTION_ID=00000000-0000-0000-0000-000000000001',
    ]);
  });
});

describe('pipelineValues: the subject the deployer trusts', () => {
  it('says which repositories the name-only subject fits, and how to read the ids, when the config has none', () => {
    expect(pipelineValues(config, bootstrapOutputsFile()).at(-1)).toBe(
      "The deployer trusts the subject repo:contoso/platform:environment:prod: it fits a repository without immutable subject claims (GitHub's default for those created or renamed before mid-2026). A newer repository's tokens carry its ids (repo:OWNER@OWNER_ID/REPO@REPO_ID:...): set deployer.github.ownerId and repositoryId (gh api repos/contoso/platform --jq '.owner.id, .id') and run bootstrap again, or azure/login fails with AADSTS700213.",
    );
  });

  it('names the immutable subject when the config has the ids', () => {
    const withIds = parseConfig({
      ...defaultConfigData(),
      state: config.state,
      deployer: {
        github: {
          repository: 'contoso/platform',
          environment: 'prod',
          ownerId: 123456,
          repositoryId: 456789,
        },
      },
    });
    expect(pipelineValues(withIds, bootstrapOutputsFile()).at(-1)).toBe(
      'The deployer trusts the subject repo:contoso@123456/platform@456789:environment:prod (immutable subject claims).',
    );
  });
});

describe('cdktfOutputs', () => {
  it.each([
    ['null', 'terraform output -json printed null, not the outputs of a stack'],
    ['{"a": 1}', 'terraform output -json printed {"a":1}, not the outputs of a stack'],
    ['nope', /^terraform output -json printed no JSON \(.+\), not the outputs of a stack$/],
  ])('refuses %s in one line', (printed, message) => {
    expect(() => cdktfOutputs(printed)).toThrow(message);
  });
});
