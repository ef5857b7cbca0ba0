// The local provider server's schemas: generated from the prebuilt provider packages, committed, and pinned to a few
// facts of the real providers' schemas.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  generateSchemas,
  SCHEMA_DIR,
  schemaFileContent,
} from '../../../../local-cloud/terraform/generate-schemas';
import { PROVIDER_SCHEMAS } from '../../../../local-cloud/terraform/schema';

describe('provider schemas', () => {
  it('are what the generator makes from the installed provider packages (regenerate with npm run schemas)', () => {
    const generated = generateSchemas();
    expect(Object.keys(generated).sort()).toEqual(['azuread', 'azurerm', 'kubernetes', 'time']);
    for (const [name, schema] of Object.entries(generated)) {
      expect(
        readFileSync(join(SCHEMA_DIR, `${name}.json`), 'utf8'),
        `schemas/${name}.json is stale`,
      ).toBe(schemaFileContent(schema));
    }
  });

  it('serve the provider versions the bindings pin', () => {
    const versions = Object.fromEntries(
      Object.values(PROVIDER_SCHEMAS).map((s) => [s.source, s.version]),
    );
    expect(versions).toEqual({
      'registry.terraform.io/hashicorp/azurerm': '4.55.0',
      'registry.terraform.io/hashicorp/azuread': '3.7.0',
      'registry.terraform.io/hashicorp/kubernetes': '2.38.0',
      'registry.terraform.io/hashicorp/time': '0.13.1',
    });
  });

  it('hold known facts of the real schemas', () => {
    const { azurerm, kubernetes, time } = PROVIDER_SCHEMAS as Required<typeof PROVIDER_SCHEMAS>;
    const secret = azurerm?.resources.azurerm_key_vault_secret?.block;
    expect(secret?.attributes.value_wo).toEqual({
      type: 'string',
      optional: true,
      writeOnly: true,
    });
    expect(secret?.attributes.value).toEqual({ type: 'string', optional: true, sensitive: true });
    expect(secret?.attributes.key_vault_id).toEqual({ type: 'string', required: true });
    expect(secret?.attributes.versionless_id).toEqual({ type: 'string', computed: true });

    const cluster = azurerm?.resources.azurerm_kubernetes_cluster?.block;
    expect(cluster?.attributes.oidc_issuer_url).toEqual({ type: 'string', computed: true });
    expect(cluster?.attributes.oidc_issuer_enabled).toEqual({ type: 'bool', optional: true });
    expect(cluster?.blocks.default_node_pool).toMatchObject({
      nesting: 'list',
      minItems: 1,
      maxItems: 1,
    });
    expect(cluster?.blocks.identity?.block.attributes.principal_id).toEqual({
      type: 'string',
      computed: true,
    });
    expect(cluster?.blocks.identity?.block.attributes.identity_ids?.type).toEqual([
      'set',
      'string',
    ]);
    expect(cluster?.attributes.kube_config).toMatchObject({
      computed: true,
      sensitive: true,
      type: ['list', ['object', expect.objectContaining({ host: 'string' })]],
    });
    expect(
      azurerm?.dataSources.azurerm_kubernetes_cluster?.block.attributes.oidc_issuer_url,
    ).toEqual({ type: 'string', computed: true });

    const credential = azurerm?.resources.azurerm_federated_identity_credential?.block;
    expect(credential?.attributes.audience).toEqual({ type: ['list', 'string'], required: true });
    expect(credential?.blocks.timeouts?.nesting).toBe('single');

    expect(azurerm?.provider.blocks.features).toMatchObject({ nesting: 'list' });
    expect(azurerm?.provider.attributes.alias).toBeUndefined();
    expect(azurerm?.resources.azurerm_role_assignment?.legacyTypeSystem).toBe(true);

    const manifest = kubernetes?.resources.kubernetes_manifest;
    expect(manifest?.block.attributes.manifest).toEqual({ type: 'dynamic', required: true });
    expect(manifest?.block.attributes.object).toEqual({
      type: 'dynamic',
      optional: true,
      computed: true,
    });
    expect(manifest?.legacyTypeSystem).toBeUndefined();

    expect(time?.resources.time_sleep?.block.attributes).toEqual({
      create_duration: { type: 'string', optional: true },
      destroy_duration: { type: 'string', optional: true },
      id: { type: 'string', computed: true },
      triggers: { type: ['map', 'string'], optional: true },
    });
  });
});
