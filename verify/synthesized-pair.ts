import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { isMap, isSeq, parseAllDocuments } from 'yaml';
import type { KubeObject } from '../config/kubernetes-object';
import { AZURE_STACK_NAME, KUBERNETES_STACK_NAME } from '../config/outputs';
import { listDirectory, readTextFile } from '../lib/read-file';

export type { KubeObject } from '../config/kubernetes-object';

/** A Terraform JSON document as cdktf writes it. */
export interface TerraformJson {
  readonly resource?: Record<string, Record<string, Record<string, unknown>>>;
  readonly data?: Record<string, Record<string, Record<string, unknown>>>;
  readonly output?: Record<string, { value: unknown; sensitive?: boolean }>;
  readonly variable?: Record<string, Record<string, unknown>>;
  readonly [key: string]: unknown;
}

/** One resource of a Terraform document with its address (`type.name`). */
export interface TerraformResource {
  readonly type: string;
  readonly name: string;
  readonly address: string;
  readonly values: Readonly<Record<string, unknown>>;
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

// A synthesized file of hundreds of workloads stays well under this; anything larger is not ours.
const MAX_FILE_BYTES = 32 * 1024 * 1024;
const RUN_SYNTH = 'run "npm run synth" first';

/** Read a synthesized pair from disk; throws one line naming the file that cannot be read, and why. */
export function readSynthesizedPair(location: PairLocation): SynthesizedPair {
  const texts = new Map<string, string>();
  const read = (file: string): string => {
    const text = readTextFile(file, { maxBytes: MAX_FILE_BYTES, hint: RUN_SYNTH });
    texts.set(file, text);
    return text;
  };
  const json = (file: string): TerraformJson => {
    const text = read(file);
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (err) {
      throw new Error(`cannot read ${file}: ${(err as Error).message}`);
    }
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed))
      throw new Error(`cannot read ${file}: not a Terraform JSON document (an object)`);
    return parsed as TerraformJson;
  };
  const terraform = json(location.terraformFile);
  const kubernetes = location.kubernetesTerraformFile
    ? {
        kubernetesTerraformFile: location.kubernetesTerraformFile,
        kubernetesTerraform: json(location.kubernetesTerraformFile),
      }
    : {};
  const manifestFiles = listDirectory(location.manifestsDir, RUN_SYNTH)
    .filter((f) => f.endsWith('.yaml') || f.endsWith('.yml'))
    .sort()
    .map((f) => join(location.manifestsDir, f));
  if (manifestFiles.length === 0)
    throw new Error(`no YAML manifests in ${location.manifestsDir}: ${RUN_SYNTH}`);
  const objects = manifestFiles.flatMap((file) => kubeObjectsOf(file, read(file)));
  return {
    terraformFile: location.terraformFile,
    terraform,
    manifestFiles,
    objects,
    texts,
    ...kubernetes,
  };
}

/**
 * The Kubernetes objects of one YAML file; throws naming the file and the document that is not one.
 *
 * Aliases are refused: cdk8s never writes them, and expanding them is how a small file becomes a huge one.
 */
export function kubeObjectsOf(file: string, text: string): KubeObject[] {
  const documents = parseAllDocuments(text, { prettyErrors: false });
  if (!Array.isArray(documents))
    throw new Error(`cannot read ${file}: not a YAML stream of Kubernetes objects`);
  return documents.flatMap((doc, index) => {
    const where = `${file}, document ${index + 1}`;
    if (doc.errors.length > 0)
      throw new Error(`cannot read ${where}: ${firstLine(doc.errors[0].message)}`);
    if (doc.contents === null) return [];
    let value: unknown;
    try {
      value = doc.toJS({ maxAliasCount: 0 });
    } catch (err) {
      const why = firstLine((err as Error).message);
      throw new Error(
        `cannot read ${where}: ${/alias/i.test(why) ? 'it uses YAML aliases, which synthesized manifests never do' : why}`,
      );
    }
    if (value === null || value === undefined) return [];
    const problem = notAKubeObject(value, isMap(doc.contents), isSeq(doc.contents));
    if (problem) throw new Error(`cannot read ${where}: ${problem}`);
    return [value as KubeObject];
  });
}

/** Why a parsed YAML value is not a Kubernetes object, or undefined when it is one. */
function notAKubeObject(value: unknown, isMapping: boolean, isList: boolean): string | undefined {
  if (isList || Array.isArray(value)) return 'a list, not a Kubernetes object';
  if (!isMapping || typeof value !== 'object' || value === null)
    return `a ${typeof value} (${cap(JSON.stringify(value))}), not a Kubernetes object`;
  const object = value as Record<string, unknown>;
  const metadata = object.metadata as Record<string, unknown> | undefined;
  if (typeof object.kind !== 'string' || typeof object.apiVersion !== 'string')
    return 'an object without kind or apiVersion, not a Kubernetes object';
  if (typeof metadata !== 'object' || metadata === null || typeof metadata.name !== 'string')
    return `a ${cap(object.kind)} without metadata.name`;
  return undefined;
}

const firstLine = (text: string) => cap(text.split('\n')[0]);
const cap = (text: string, max = 120) =>
  text.length > max ? `${text.slice(0, max)}... (${text.length} characters)` : text;

/** Every resource of one type (or data source with `data.` prefix). */
export function resourcesOf(terraform: TerraformJson, type: string): TerraformResource[] {
  const [block, kind] = type.startsWith('data.')
    ? (['data', type.slice(5)] as const)
    : (['resource', type] as const);
  const ofType: unknown = (terraform[block] as Record<string, unknown> | undefined)?.[kind];
  // A hand-edited file may hold anything: only objects are resources.
  if (!isObject(ofType)) return [];
  return Object.entries(ofType).flatMap(([name, values]) =>
    isObject(values)
      ? [
          {
            type: kind,
            name,
            address: block === 'data' ? `data.${kind}.${name}` : `${kind}.${name}`,
            values,
          },
        ]
      : [],
  );
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
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
