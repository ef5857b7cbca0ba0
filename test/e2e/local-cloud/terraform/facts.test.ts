// The facts the generic planner reads: generated from the real providers' Go source at the pinned tags, or written by
// hand with citations. Where the mirrors are on this machine, the generated files must be what the generator makes
// and every hand-written citation must name a line that says what it cites; without the mirrors (CI), those two
// tests are skipped, saying why.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PROVIDER_FACTS, type TypeFacts } from '../../../../local-cloud/terraform/facts';
import {
  FACTS_DIR,
  factsFileContent,
  GENERATED,
  generateFacts,
  MIRRORS,
  mirrorOf,
} from '../../../../local-cloud/terraform/generate-facts';
import { PROVIDER_SCHEMAS } from '../../../../local-cloud/terraform/schema';

const missing = GENERATED.map((g) => g.repository).filter((r) => !mirrorOf(r));
const HAND_WRITTEN = ['time.json', 'kubernetes-manifest.json'];

describe('provider facts', () => {
  it.skipIf(missing.length > 0)(
    `are what the generator reads from the provider sources (npm run facts)${missing.length ? ` — skipped: no clone of ${missing.join(', ')} under ${MIRRORS} (npm run provider-sources fills it where a network allows)` : ''}`,
    () => {
      for (const { name } of GENERATED) {
        const { facts, unresolved } = generateFacts(name);
        expect(
          readFileSync(join(FACTS_DIR, `${name}.json`), 'utf8'),
          `facts/${name}.json is stale`,
        ).toBe(factsFileContent(facts));
        // What the generator cannot follow is known: azurerm's provider-block `features` map, built by a function.
        expect(unresolved, unresolved.join('\n')).toEqual(
          name === 'azurerm' ? ['features.*: featuresMap'] : [],
        );
      }
    },
  );

  it.skipIf(missing.length > 0)(
    `cite, by hand, lines that say what they cite${missing.length ? ' — skipped: no provider mirrors here' : ''}`,
    () => {
      const citations: { at: string; expect: string; repository: string; tag: string }[] = [];
      for (const file of HAND_WRITTEN) {
        const facts = JSON.parse(readFileSync(join(FACTS_DIR, file), 'utf8'));
        const visit = (v: unknown) => {
          if (Array.isArray(v)) v.forEach(visit);
          else if (v && typeof v === 'object') {
            const o = v as { at?: string; expect?: string };
            if (typeof o.at === 'string' && typeof o.expect === 'string')
              citations.push({
                at: o.at,
                expect: o.expect,
                repository: facts.repository,
                tag: facts.tag,
              });
            Object.values(v).forEach(visit);
          }
        };
        visit(facts);
      }
      expect(citations.length).toBeGreaterThanOrEqual(15);
      for (const c of citations) {
        // `owner/name@tag:path:line` cites another repository (the framework's validators), else the file's own.
        const foreign = /^([^@]+)@([^:]+):(.+):(\d+)$/.exec(c.at);
        const [repository, tag, path, line] = foreign
          ? [foreign[1], foreign[2], foreign[3], foreign[4]]
          : [c.repository, c.tag, ...(/^(.+):(\d+)$/.exec(c.at)?.slice(1) ?? [])];
        const gitDir = mirrorOf(repository as string) ?? '';
        const text = execFileSync('git', ['-C', gitDir, 'show', `${tag}:${path}`], {
          encoding: 'utf8',
        });
        expect(text.split('\n')[Number(line) - 1], `${c.at} should say ${c.expect}`).toContain(
          c.expect,
        );
      }
    },
  );

  it('name a source line for every fact, and cover every type the provider server serves', () => {
    for (const [name, schema] of Object.entries(PROVIDER_SCHEMAS)) {
      const facts = PROVIDER_FACTS[name];
      expect(facts, name).toBeDefined();
      for (const kind of ['resources', 'dataSources'] as const) {
        for (const type of Object.keys(schema[kind])) {
          const t = facts?.[kind][type] as TypeFacts;
          expect(t, `${kind} ${type}`).toBeDefined();
          expect(t.at).toMatch(/^[\w./-]+\.go:\d+$/);
          for (const [path, fact] of Object.entries(t.attributes))
            expect(fact.at, `${type}.${path}`).toMatch(/^[\w./-]+\.go:\d+$/);
        }
      }
    }
  });

  it('hold what the real sources say of the attributes the issue names', () => {
    const { azurerm, azuread, time } = PROVIDER_FACTS as Required<typeof PROVIDER_FACTS>;
    const vault = azurerm?.resources.azurerm_key_vault?.attributes;
    expect(vault?.soft_delete_retention_days).toMatchObject({
      default: 90,
      validators: [{ kind: 'intBetween', min: 7, max: 90 }],
    });
    const cluster = azurerm?.resources.azurerm_kubernetes_cluster;
    expect(cluster?.attributes.role_based_access_control_enabled).toMatchObject({
      forceNew: true,
      default: true,
    });
    expect(cluster?.attributes['network_profile.network_plugin']?.forceNew).toBe(true);
    expect(cluster?.customizeDiff).toContainEqual(
      expect.objectContaining({
        kind: 'newComputedOnChange',
        when: 'oidc_issuer_enabled',
        attribute: 'oidc_issuer_url',
      }),
    );
    expect(cluster?.customizeDiff).toContainEqual(
      expect.objectContaining({ kind: 'forceNewIf', path: 'default_node_pool.0.name' }),
    );
    expect(cluster?.attributes.location).toMatchObject({
      forceNew: true,
      diffSuppress: 'location.DiffSuppressFunc',
      stateFunc: 'location.StateFunc',
      at: expect.stringMatching(/^vendor\/github\.com\/hashicorp\/go-azure-helpers\//),
    });
    const assignment = azurerm?.resources.azurerm_role_assignment;
    expect(assignment?.update).toBe(false);
    expect(assignment?.attributes.name?.validators).toEqual([
      expect.objectContaining({ kind: 'uuid', message: 'expected %q to be a valid UUID, got %v' }),
    ]);
    expect(assignment?.attributes.role_definition_name?.diffSuppress).toBe(
      'suppress.CaseDifference',
    );
    expect(azurerm?.resources.azurerm_key_vault_secret?.attributes.value_wo).toMatchObject({
      writeOnly: true,
      requiredWith: ['value_wo_version'],
      exactlyOneOf: ['value', 'value_wo'],
    });
    expect(
      azurerm?.resources.azurerm_federated_identity_credential?.attributes.audience?.maxItems,
    ).toBe(1);
    expect(
      azuread?.resources.azuread_application_federated_identity_credential?.attributes.audiences
        ?.maxItems,
    ).toBe(1);
    expect(time?.resources.time_sleep?.attributes.triggers?.planModifiers).toEqual([
      'RequiresReplace',
    ]);
  });
});
