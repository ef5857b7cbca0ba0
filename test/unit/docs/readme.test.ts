import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Testing as Cdk8sTesting } from 'cdk8s';
import { Testing } from 'cdktf';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { parseConfig } from '../../../config/load-config';
import { PLACEHOLDER_BINDINGS } from '../../../config/outputs';
import { WorkloadChart } from '../../../constructs/kubernetes/workload-chart';
import { AzureStack } from '../../../constructs/stacks/azure-stack';
import { checkPair } from '../../../verify/check-pair';
import { defaultConfigData, ROOT } from '../../support/helpers';

/** The front page, then the docs pages in name order: each config example keeps its number, and its snapshot. */
const pages = [
  'README.md',
  ...readdirSync(join(ROOT, 'docs'))
    .filter((name) => name.endsWith('.md'))
    .sort()
    .map((name) => join('docs', name)),
];
const yamlBlocks = pages.flatMap((page) =>
  [...readFileSync(join(ROOT, page), 'utf8').matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => m[1]),
);

/** A documented snippet applied to the default config: top-level keys merge in, workload lines replace the workloads. */
function withSnippet(snippet: string): unknown {
  const data = defaultConfigData();
  try {
    // A whole config (its workloads in full) replaces the default.
    const whole = parse(snippet);
    if (whole?.workloads && !snippet.includes('\n  - {')) return whole;
  } catch {
    // a fragment: merged below
  }
  const workloadLines = snippet.split('\n').filter((l) => l.startsWith('  - '));
  const topLevel = snippet
    .split('\n')
    .filter((l) => !l.startsWith('  - ') && l.trim() !== '' && !l.startsWith('workloads:'))
    .join('\n');
  for (const [key, value] of Object.entries((parse(topLevel) ?? {}) as Record<string, any>)) {
    data[key] =
      typeof value === 'object' && !Array.isArray(value) ? { ...data[key], ...value } : value;
  }
  if (workloadLines.length > 0) {
    data.workloads = parse(workloadLines.map((l) => l.slice(2)).join('\n')).map((w: any) => ({
      ...w,
      secret: data.keyVault.secrets.some((s: any) => s.name === w.secret)
        ? w.secret
        : data.keyVault.secrets[0].name,
    }));
  }
  return data;
}

describe('README examples', () => {
  it('has config examples', () => {
    expect(yamlBlocks.length).toBeGreaterThanOrEqual(7);
  });

  it.each(yamlBlocks.map((block, i) => [i, block]))('config example %i is valid', (_i, block) => {
    // Placeholders such as <resource tenant> stand for GUIDs the reader fills in.
    const filled = block.replaceAll(/<[^>]+>/g, '00000000-0000-4000-a000-000000000001');
    expect(() => parseConfig(withSnippet(filled))).not.toThrow();
  });

  // One snapshot per documented topology, both sides, and the cross-check passing on it.
  it.each(yamlBlocks.map((block, i) => [i, block]))(
    'config example %i synthesizes both sides that agree',
    (_i, block) => {
      const config = parseConfig(
        withSnippet(block.replaceAll(/<[^>]+>/g, '00000000-0000-4000-a000-000000000001')),
      );
      const terraform = JSON.parse(
        Testing.synth(new AzureStack(Testing.app(), 'workload-identity', { config })),
      );
      const bindings = new Map(config.workloads.map((w) => [w.name, PLACEHOLDER_BINDINGS]));
      const objects = Cdk8sTesting.synth(
        new WorkloadChart(Cdk8sTesting.app(), 'workload-identity', { config, bindings }),
      );
      expect({ terraform, objects }).toMatchSnapshot();
      expect(
        checkPair({
          terraformFile: 'cdk.tf.json',
          terraform,
          manifestFiles: [],
          objects,
          texts: new Map(),
        }),
      ).toEqual([]);
    },
  );
});
