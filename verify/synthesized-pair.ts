import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { AZURE_STACK_NAME, KUBERNETES_STACK_NAME } from '../config/outputs';

/** A Terraform JSON document as cdktf writes it. */
export interface TerraformJson {
  readonly resource?: Record<string, Record<string, Record<string, unknown>>>;
  readonly data?: Record<string, Record<string, Record<string, unknown>>>;
  readonly output?: Record<string, { value: unknown; sensitive?: boolean }>;
  readonly variable?: Record<string, Record<string, unknown>>;
  readonly [key: string]: unknown;
}

/** A Kubernetes object as parsed from YAML. */
export interface KubeObject {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata: {
    readonly name: string;
    readonly namespace?: string;
    readonly labels?: Record<string, string>;
    readonly annotations?: Record<string, string>;
  };
  readonly spec?: any;
  readonly [key: string]: unknown;
}

/** One resource of a Terraform document with its address (`type.name`). */
export interface TerraformResource {
  readonly type: string;
  readonly name: string;
  readonly address: string;
  readonly values: Record<string, any>;
}

/** The two halves of one synthesis: the Azure side's Terraform and the Kubernetes side's objects. */
export interface SynthesizedPair {
  readonly terraformFile: string;
  readonly terraform: TerraformJson;
  readonly manifestFiles: readonly string[];
  readonly objects: readonly KubeObject[];
  /** The raw text of every file read, by path. */
  readonly texts: ReadonlyMap<string, string>;
  /** The Kubernetes stack (`workload-identity-k8s`), when it was synthesized: the same objects, applied by Terraform. */
  readonly kubernetesTerraformFile?: string;
  readonly kubernetesTerraform?: TerraformJson;
}

/** Where a pair lives on disk. */
export interface PairLocation {
  /** `cdktf.out/stacks/<stack>/cdk.tf.json` */
  readonly terraformFile: string;
  /** The folder with `*.k8s.yaml` (or `*.yaml`) files, e.g. `dist`. */
  readonly manifestsDir: string;
  /** `cdktf.out/stacks/<kubernetes stack>/cdk.tf.json`; omitted: the pair has no Kubernetes stack. */
  readonly kubernetesTerraformFile?: string;
}

/** Where `synth` writes a pair under these folders; the Kubernetes stack is included when its file exists. */
export function locatePair(cdktfOut = 'cdktf.out', manifestsDir = 'dist'): PairLocation {
  const kubernetesTerraformFile = join(cdktfOut, 'stacks', KUBERNETES_STACK_NAME, 'cdk.tf.json');
  return {
    terraformFile: join(cdktfOut, 'stacks', AZURE_STACK_NAME, 'cdk.tf.json'),
    manifestsDir,
    ...(existsSync(kubernetesTerraformFile) ? { kubernetesTerraformFile } : {}),
  };
}

/** Read a synthesized pair from disk; throws naming the file that cannot be read. */
export function readSynthesizedPair(location: PairLocation): SynthesizedPair {
  const texts = new Map<string, string>();
  const read = (file: string) => {
    try {
      texts.set(file, readFileSync(file, 'utf8'));
    } catch (err) {
      throw new Error(`cannot read ${file}: ${(err as Error).message} (run "npm run synth" first)`);
    }
    return texts.get(file)!;
  };
  const json = (file: string): TerraformJson => {
    const text = read(file);
    try {
      return JSON.parse(text);
    } catch (err) {
      throw new Error(`cannot read ${file}: ${(err as Error).message}`);
    }
  };
  const terraform = json(location.terraformFile);
  const kubernetes = location.kubernetesTerraformFile
    ? {
        kubernetesTerraformFile: location.kubernetesTerraformFile,
        kubernetesTerraform: json(location.kubernetesTerraformFile),
      }
    : {};
  let manifestNames: string[];
  try {
    manifestNames = readdirSync(location.manifestsDir);
  } catch (err) {
    throw new Error(
      `cannot read ${location.manifestsDir}: ${(err as Error).message} (run "npm run synth" first)`,
    );
  }
  const manifestFiles = manifestNames
    .filter((f) => f.endsWith('.yaml') || f.endsWith('.yml'))
    .sort()
    .map((f) => join(location.manifestsDir, f));
  if (manifestFiles.length === 0)
    throw new Error(`no YAML manifests in ${location.manifestsDir}: run "npm run synth" first`);
  const objects = manifestFiles.flatMap((file) =>
    parseAllDocuments(read(file)).flatMap((doc) => {
      if (doc.errors.length > 0) throw new Error(`${file}: ${doc.errors[0].message}`);
      const value = doc.toJS() as KubeObject | null;
      return value ? [value] : [];
    }),
  );
  return {
    terraformFile: location.terraformFile,
    terraform,
    manifestFiles,
    objects,
    texts,
    ...kubernetes,
  };
}

/** Every resource of one type (or data source with `data.` prefix). */
export function resourcesOf(terraform: TerraformJson, type: string): TerraformResource[] {
  const [block, kind] = type.startsWith('data.')
    ? (['data', type.slice(5)] as const)
    : (['resource', type] as const);
  const ofType = terraform[block]?.[kind] ?? {};
  return Object.entries(ofType).map(([name, values]) => ({
    type: kind,
    name,
    address: block === 'data' ? `data.${kind}.${name}` : `${kind}.${name}`,
    values,
  }));
}

/** A Terraform reference `${<address>.<attribute>}` split into its parts, or undefined for a literal. */
export function parseReference(value: unknown): { address: string; attribute: string } | undefined {
  if (typeof value !== 'string') return undefined;
  const match = /^\$\{((?:data\.)?[\w-]+\.[\w-]+)\.([\w.]+)\}$/.exec(value);
  return match ? { address: match[1], attribute: match[2] } : undefined;
}

/** Kubernetes objects of one kind. */
export function objectsOf(pair: SynthesizedPair, kind: string): KubeObject[] {
  return pair.objects.filter((o) => o.kind === kind);
}
