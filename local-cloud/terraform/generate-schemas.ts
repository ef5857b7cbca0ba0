/**
 * Generate the local provider server's schemas (`schemas/<provider>.json`) from the prebuilt cdktf provider packages.
 *
 * Those packages were generated from the real providers' schemas, and they keep most of it:
 * - the `.jsii` type information: every argument of a resource's config struct, with its optional flag and type, and
 *   every read-only getter of the resource class (computed attributes), nested block structs included;
 * - the compiled bindings (`lib/<resource>/index.js`): each argument's Terraform name, whether it is a block, and
 *   whether a collection is a list or a set (`synthesizeHclAttributes` and the `...ToHclTerraform` functions),
 *   and each computed getter's Terraform name and kind (`getStringAttribute('vault_uri')`).
 * What they lost is filled in from the facts read from the real providers' source (`facts/<provider>.json`, see
 * generate-facts.ts): sensitivity, which optional arguments are also computed, and blocks written as attributes.
 * Write-only arguments follow the providers' naming rule: their names end in `_wo`.
 *
 * Run: `npm run schemas` (writes the files); a test checks that the committed files are what this produces.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type AttributeFact, PROVIDER_FACTS } from './facts';
import type {
  AttributeSchema,
  BlockSchema,
  CtyType,
  NestedBlockSchema,
  ProviderSchema,
  ResourceSchema,
} from './schema';

/** The providers served, the resources and data sources the project deploys, and how the real provider answers. */
export const SERVED: readonly {
  name: string;
  package: string;
  /** Built on Terraform's legacy SDK (plugin SDK v2): Terraform tolerates its planning quirks, as for the real one. */
  legacy: boolean;
  resources: readonly string[];
  dataSources: readonly string[];
}[] = [
  {
    name: 'azurerm',
    package: '@cdktf/provider-azurerm',
    legacy: true,
    resources: [
      'azurerm_resource_group',
      'azurerm_user_assigned_identity',
      'azurerm_federated_identity_credential',
      'azurerm_kubernetes_cluster',
      'azurerm_kubernetes_cluster_node_pool',
      'azurerm_key_vault',
      'azurerm_key_vault_secret',
      'azurerm_role_assignment',
      'azurerm_container_registry',
      'azurerm_storage_account',
      'azurerm_storage_container',
    ],
    dataSources: [
      'azurerm_client_config',
      'azurerm_container_registry',
      'azurerm_kubernetes_cluster',
      'azurerm_key_vault',
      'azurerm_resource_group',
      'azurerm_user_assigned_identity',
    ],
  },
  {
    name: 'azuread',
    package: '@cdktf/provider-azuread',
    legacy: true,
    resources: [
      'azuread_application',
      'azuread_service_principal',
      'azuread_application_federated_identity_credential',
    ],
    dataSources: ['azuread_client_config'],
  },
  {
    name: 'kubernetes',
    package: '@cdktf/provider-kubernetes',
    // kubernetes_manifest is served by the provider's newer, non-legacy half: see SCHEMA_FACTS.notLegacy.
    legacy: true,
    resources: ['kubernetes_manifest'],
    dataSources: [],
  },
  {
    name: 'time',
    package: '@cdktf/provider-time',
    legacy: false,
    resources: ['time_sleep'],
    dataSources: [],
  },
];

/**
 * What the facts do not say, about how Terraform sees two kubernetes_manifest arguments: the manifest half of the
 * kubernetes provider is not built on the legacy SDK, and its `wait_for` is an object-typed attribute that the
 * bindings render as a block (the same JSON either way, not the same schema).
 */
export const SCHEMA_FACTS: {
  notLegacy: readonly string[];
  objectAttributes: { readonly [type: string]: readonly string[] };
} = {
  notLegacy: ['kubernetes_manifest'],
  objectAttributes: { kubernetes_manifest: ['wait_for'] },
};

/** The facts of a type by its key here (`provider:<name>`, `data.<type>`, `<type>`). */
function factsOf(key: string): { [path: string]: AttributeFact } {
  const provider = key.startsWith('provider:')
    ? PROVIDER_FACTS[key.slice('provider:'.length)]
    : PROVIDER_FACTS[key.replace(/^data\./, '').split('_')[0] as string];
  if (!provider) return {};
  if (key.startsWith('provider:')) return provider.provider.attributes;
  if (key.startsWith('data.')) return provider.dataSources[key.slice(5)]?.attributes ?? {};
  return provider.resources[key]?.attributes ?? {};
}

interface JsiiType {
  primitive?: string;
  fqn?: string;
  collection?: { kind: 'array' | 'map'; elementtype: JsiiType };
  union?: { types: JsiiType[] };
}
interface JsiiProperty {
  name: string;
  optional?: boolean;
  immutable?: boolean;
  static?: boolean;
  type: JsiiType;
}
interface JsiiClass {
  fqn: string;
  kind: 'class' | 'interface' | 'enum';
  name: string;
  properties?: JsiiProperty[];
  initializer?: { parameters?: { name: string; type: JsiiType }[] };
  docs?: { summary?: string };
  locationInModule?: { filename: string };
}

/** What the compiled bindings say about one argument (`synthesizeHclAttributes` / `...ToHclTerraform`). */
interface HclEntry {
  name: string;
  isBlock: boolean;
  kind: string;
}

class ProviderPackage {
  readonly types: { [fqn: string]: JsiiClass };
  readonly byTerraformType = new Map<string, JsiiClass>();
  private readonly sources = new Map<string, string>();

  constructor(
    readonly root: string,
    readonly version: string,
  ) {
    const jsii = JSON.parse(readFileSync(join(root, '.jsii'), 'utf8')) as {
      types: { [fqn: string]: JsiiClass };
    };
    this.types = jsii.types;
    for (const type of Object.values(this.types)) {
      const match =
        type.kind === 'class' &&
        /Represents a \{@link \S+\/docs\/(resources|data-sources)\/\S+ (\w+)\}/.exec(
          type.docs?.summary ?? '',
        );
      if (match)
        this.byTerraformType.set(`${match[1] === 'data-sources' ? 'data.' : ''}${match[2]}`, type);
    }
  }

  type(fqn: string): JsiiClass {
    const type = this.types[fqn];
    if (!type) throw new Error(`${this.root}/.jsii has no type ${fqn}`);
    return type;
  }

  /** The compiled binding that defines `type`. */
  source(type: JsiiClass): string {
    const file = type.locationInModule?.filename.replace(/^src\//, 'lib/').replace(/\.ts$/, '.js');
    if (!file) throw new Error(`${type.fqn} has no source location`);
    let text = this.sources.get(file);
    if (text === undefined) {
      text = readFileSync(join(this.root, file), 'utf8');
      this.sources.set(file, text);
    }
    return text;
  }
}

/** The text of `class <name> ...` up to its export in a compiled binding. */
function classBody(source: string, name: string): string | undefined {
  const start = source.indexOf(`class ${name} extends`);
  if (start < 0) return undefined;
  const end = source.indexOf(`exports.${name} = ${name};`, start);
  return source.slice(start, end < 0 ? undefined : end);
}

/** Parse the `const attrs = { ... }` of a `synthesizeHclAttributes` method or a `...ToHclTerraform` function. */
function hclEntries(text: string): Map<string, HclEntry> {
  const entries = new Map<string, HclEntry>();
  const pattern =
    /(\w+): \{\s*value: ([^\n]*),\s*isBlock: (true|false),\s*type: "(\w+)",\s*storageClassType: "\w+",?\s*\}/g;
  for (const m of text.matchAll(pattern)) {
    const property = /(?:this\._|struct\??\.|struct!\.)(\w+)/.exec(m[2] ?? '');
    if (!property?.[1]) throw new Error(`cannot read the property of argument ${m[1]} in: ${m[2]}`);
    entries.set(property[1], {
      name: m[1] as string,
      isBlock: m[3] === 'true',
      kind: m[4] as string,
    });
  }
  return entries;
}

function hclFunction(source: string, structName: string): Map<string, HclEntry> {
  const fn = `${structName[0]?.toLowerCase()}${structName.slice(1)}ToHclTerraform(struct) {`;
  const start = source.indexOf(`function ${fn}`);
  if (start < 0) throw new Error(`no ${fn} in the binding of ${structName}`);
  return hclEntries(source.slice(start, source.indexOf('\n}\n', start)));
}

/** A computed getter in a compiled class: its Terraform name and type. */
function computedGetter(
  body: string,
  property: string,
  pkg: ProviderPackage,
  namespace: string,
  path: string,
): { name: string; type: CtyType } {
  const simple = new RegExp(
    `get ${property}\\(\\) \\{\\s*return (?:cdktf\\.Fn\\.tolist\\()?this\\.get(\\w+)Attribute\\('(\\w+)'\\)`,
  ).exec(body);
  if (simple) {
    const kinds: { [kind: string]: CtyType } = {
      String: 'string',
      Number: 'number',
      Boolean: 'bool',
      List: ['list', 'string'],
      NumberList: ['list', 'number'],
      StringMap: ['map', 'string'],
      NumberMap: ['map', 'number'],
      BooleanMap: ['map', 'bool'],
      Any: 'dynamic',
      AnyMap: ['map', 'dynamic'],
    };
    let type = kinds[simple[1] as string];
    if (!type) throw new Error(`${path}: unknown attribute kind get${simple[1]}Attribute`);
    // Sets of strings are read through tolist().
    if (
      body.includes(`get ${property}() {\n        return cdktf.Fn.tolist(`) &&
      Array.isArray(type)
    )
      type = ['set', type[1]] as CtyType;
    return { name: simple[2] as string, type };
  }
  const complex = new RegExp(
    `this\\._${property} = new ([\\w.]+)\\(this, "(\\w+)"(?:, (true|false))?\\)`,
  ).exec(body);
  if (!complex) throw new Error(`${path}: cannot find the Terraform name of getter ${property}`);
  const [, className = '', name = '', wrapsSet] = complex;
  const maps: { [cls: string]: CtyType } = {
    'cdktf.StringMap': ['map', 'string'],
    'cdktf.NumberMap': ['map', 'number'],
    'cdktf.BooleanMap': ['map', 'bool'],
    'cdktf.AnyMap': ['map', 'dynamic'],
    'cdktf.StringMapList': ['list', ['map', 'string']],
  };
  const map = maps[className];
  if (map) return { name, type: map };
  if (className.endsWith('List')) {
    const element = computedObject(
      pkg,
      `${namespace}.${className.replace(/List$/, 'OutputReference')}`,
      `${path}.${name}`,
    );
    return { name, type: [wrapsSet === 'true' ? 'set' : 'list', element] };
  }
  if (className.endsWith('OutputReference'))
    return { name, type: computedObject(pkg, `${namespace}.${className}`, `${path}.${name}`) };
  throw new Error(`${path}: unknown complex getter class ${className}`);
}

/** The object type of a computed nested object: every getter of its output reference class. */
function computedObject(pkg: ProviderPackage, fqn: string, path: string): CtyType {
  const cls = pkg.type(fqn);
  const body = classBody(pkg.source(cls), cls.name) ?? '';
  const attributes: { [name: string]: CtyType } = {};
  for (const p of cls.properties ?? []) {
    if (p.static || p.name === 'internalValue' || p.name.endsWith('Input')) continue;
    const { name, type } = computedGetter(body, p.name, pkg, namespaceOf(fqn), path);
    attributes[name] = type;
  }
  return ['object', attributes];
}

const namespaceOf = (fqn: string) => fqn.slice(0, fqn.lastIndexOf('.'));

function elementFqn(type: JsiiType): { fqn: string; many: boolean } | undefined {
  if (type.fqn && type.fqn !== 'cdktf.IResolvable') return { fqn: type.fqn, many: false };
  for (const t of type.union?.types ?? []) {
    if (t.collection?.elementtype.fqn) return { fqn: t.collection.elementtype.fqn, many: true };
    if (t.fqn && t.fqn !== 'cdktf.IResolvable') return { fqn: t.fqn, many: false };
  }
  if (type.collection?.elementtype.fqn) return { fqn: type.collection.elementtype.fqn, many: true };
  return undefined;
}

/** The cty type of a configurable argument. */
function argumentType(
  pkg: ProviderPackage,
  type: JsiiType,
  hcl: HclEntry | undefined,
  path: string,
): CtyType {
  if (type.primitive === 'string') return 'string';
  if (type.primitive === 'number') return 'number';
  if (type.primitive === 'boolean') return 'bool';
  if (type.primitive === 'any') return 'dynamic';
  if (type.union?.types.some((t) => t.primitive === 'boolean')) return 'bool';
  if (type.collection) {
    const element = type.collection.elementtype;
    // A map of anything is how the bindings type a dynamic value (kubernetes_manifest's manifest and object).
    if (type.collection.kind === 'map')
      return element.primitive === 'any'
        ? 'dynamic'
        : ['map', argumentType(pkg, element, undefined, path)];
    return [hcl?.kind === 'set' ? 'set' : 'list', argumentType(pkg, element, undefined, path)];
  }
  const struct = elementFqn(type);
  if (struct) {
    const object = blockToObject(structBlock(pkg, struct.fqn, path, ''));
    if (!struct.many) return object;
    return [hcl?.kind === 'set' ? 'set' : 'list', object];
  }
  throw new Error(`${path}: no cty type for ${JSON.stringify(type)}`);
}

function blockToObject(block: BlockSchema): CtyType {
  const attributes: { [name: string]: CtyType } = {};
  for (const [name, a] of Object.entries(block.attributes)) attributes[name] = a.type;
  for (const [name, b] of Object.entries(block.blocks))
    attributes[name] =
      b.nesting === 'single' ? blockToObject(b.block) : [b.nesting, blockToObject(b.block)];
  return ['object', attributes];
}

/** Arguments (from a config struct and its binding) plus computed getters (from the class that reads it back). */
function buildBlock(
  pkg: ProviderPackage,
  args: {
    props: JsiiProperty[];
    hcl: Map<string, HclEntry>;
    reader?: JsiiClass;
    skip?: readonly string[];
  },
  path: string,
  factsKey: string,
  prefix: string,
): BlockSchema {
  const block: BlockSchema = { attributes: {}, blocks: {} };
  const argumentNames = new Set<string>();
  for (const p of args.props) {
    if (args.skip?.includes(p.name)) continue;
    argumentNames.add(p.name);
    const hcl = args.hcl.get(p.name);
    const name = hcl?.name ?? p.name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
    const where = `${path}.${name}`;
    if (hcl?.isBlock) {
      const struct = elementFqn(p.type);
      if (!struct) throw new Error(`${where}: block without a struct type`);
      const nested: NestedBlockSchema = {
        nesting: hcl.kind === 'struct' ? 'single' : hcl.kind === 'set' ? 'set' : 'list',
        block: structBlock(pkg, struct.fqn, where, factsKey, `${prefix}${name}.`),
      };
      if (!p.optional) nested.minItems = 1;
      if (!struct.many && nested.nesting !== 'single') nested.maxItems = 1;
      block.blocks[name] = nested;
      continue;
    }
    const attribute: AttributeSchema = { type: argumentType(pkg, p.type, hcl, where) };
    if (p.optional) attribute.optional = true;
    else attribute.required = true;
    block.attributes[name] = attribute;
  }
  if (args.reader) {
    const body = classBody(pkg.source(args.reader), args.reader.name) ?? '';
    for (const p of args.reader.properties ?? []) {
      if (
        p.static ||
        !p.immutable ||
        p.name.endsWith('Input') ||
        argumentNames.has(p.name) ||
        args.skip?.includes(p.name)
      )
        continue;
      if (['internalValue', 'fqn', 'friendlyUniqueName', 'terraformResourceType'].includes(p.name))
        continue;
      const { name, type } = computedGetter(
        body,
        p.name,
        pkg,
        namespaceOf(args.reader.fqn),
        `${path}.${p.name}`,
      );
      // A block's getter (e.g. `timeouts`) is read-only too, but it is an argument, already listed.
      if (name in block.blocks || name in block.attributes) continue;
      block.attributes[name] = { type, computed: true };
    }
  }
  const facts = factsOf(factsKey);
  for (const [name, attribute] of Object.entries(block.attributes)) {
    const fact = facts[`${prefix}${name}`];
    // The legacy SDK adds `id` to every resource as optional and computed.
    if (attribute.optional && (fact?.computed || (prefix === '' && name === 'id')))
      attribute.computed = true;
    if (fact?.sensitive) attribute.sensitive = true;
    if (name.endsWith('_wo') || fact?.writeOnly) attribute.writeOnly = true;
  }
  const objectAttributes = new Set(SCHEMA_FACTS.objectAttributes[factsKey] ?? []);
  for (const [name, nested] of Object.entries(block.blocks)) {
    if (objectAttributes.has(`${prefix}${name}`) && nested.nesting === 'single') {
      delete block.blocks[name];
      block.attributes[name] = { type: blockToObject(nested.block), optional: true };
      continue;
    }
    // A block written as an attribute (ConfigMode: SchemaConfigModeAttr, e.g. key vault access_policy).
    const fact = facts[`${prefix}${name}`];
    if (fact?.configModeAttr) {
      delete block.blocks[name];
      block.attributes[name] = {
        type:
          nested.nesting === 'single'
            ? blockToObject(nested.block)
            : [nested.nesting, blockToObject(nested.block)],
        optional: true,
      };
      if (fact.computed) (block.attributes[name] as AttributeSchema).computed = true;
    }
  }
  return sortBlock(block);
}

function structBlock(
  pkg: ProviderPackage,
  fqn: string,
  path: string,
  factsKey: string,
  prefix = '',
): BlockSchema {
  const struct = pkg.type(fqn);
  const source = pkg.source(struct);
  const reader = pkg.types[`${fqn}OutputReference`];
  return buildBlock(
    pkg,
    { props: struct.properties ?? [], hcl: hclFunction(source, struct.name), reader },
    path,
    factsKey,
    prefix,
  );
}

function sortBlock(block: BlockSchema): BlockSchema {
  const sorted = <T>(o: { [k: string]: T }) =>
    Object.fromEntries(Object.entries(o).sort(([a], [b]) => a.localeCompare(b)));
  return { attributes: sorted(block.attributes), blocks: sorted(block.blocks) };
}

function resourceSchema(pkg: ProviderPackage, key: string, legacy: boolean): ResourceSchema {
  const cls = pkg.byTerraformType.get(key);
  if (!cls) throw new Error(`${pkg.root} has no binding for ${key}`);
  const configFqn = cls.initializer?.parameters?.find((p) => p.name === 'config')?.type.fqn;
  if (!configFqn) throw new Error(`${cls.fqn} has no config struct`);
  const config = pkg.type(configFqn);
  const body = classBody(pkg.source(cls), cls.name) ?? '';
  const synth = body.slice(body.indexOf('synthesizeHclAttributes() {'));
  const block = buildBlock(
    pkg,
    { props: config.properties ?? [], hcl: hclEntries(synth), reader: cls },
    key,
    key,
    '',
  );
  const schema: ResourceSchema = { block };
  const type = key.replace(/^data\./, '');
  if (legacy && !SCHEMA_FACTS.notLegacy.includes(type)) schema.legacyTypeSystem = true;
  return schema;
}

function providerBlock(pkg: ProviderPackage, name: string): BlockSchema {
  const cls = Object.values(pkg.types).find(
    (t) =>
      t.kind === 'class' &&
      t.fqn.endsWith(`.provider.${name[0]?.toUpperCase()}${name.slice(1)}Provider`),
  );
  if (!cls) throw new Error(`${pkg.root} has no provider class`);
  const config = pkg.type(`${cls.fqn}Config`);
  const body = classBody(pkg.source(cls), cls.name) ?? '';
  const synth = body.slice(body.indexOf('synthesizeHclAttributes() {'));
  // `alias` is Terraform's meta-argument, not the provider's.
  return buildBlock(
    pkg,
    { props: config.properties ?? [], hcl: hclEntries(synth), skip: ['alias'] },
    `provider.${name}`,
    `provider:${name}`,
    '',
  );
}

/** The version of the real provider a package was generated from (what its bindings pin). */
function pinnedVersion(root: string): string {
  const source = readFileSync(join(root, 'lib/provider/index.js'), 'utf8');
  const version = /providerVersion: '([^']+)'/.exec(source)?.[1];
  if (!version) throw new Error(`${root}/lib/provider/index.js names no providerVersion`);
  return version;
}

/** Every served provider's schema, from the installed packages. */
export function generateSchemas(): { [name: string]: ProviderSchema } {
  const require = createRequire(import.meta.url);
  const result: { [name: string]: ProviderSchema } = {};
  for (const served of SERVED) {
    const root = dirname(require.resolve(`${served.package}/package.json`));
    const pkg = new ProviderPackage(root, pinnedVersion(root));
    const resources: { [type: string]: ResourceSchema } = {};
    for (const type of served.resources) resources[type] = resourceSchema(pkg, type, served.legacy);
    const dataSources: { [type: string]: ResourceSchema } = {};
    for (const type of served.dataSources)
      dataSources[type] = resourceSchema(pkg, `data.${type}`, served.legacy);
    result[served.name] = {
      name: served.name,
      source: `registry.terraform.io/hashicorp/${served.name}`,
      version: pkg.version,
      provider: providerBlock(pkg, served.name),
      resources,
      dataSources,
    };
  }
  return result;
}

/** The file content the generator writes for one provider (what the committed file must equal). */
export function schemaFileContent(schema: ProviderSchema): string {
  return `${JSON.stringify(schema)}\n`;
}

export const SCHEMA_DIR = join(dirname(fileURLToPath(import.meta.url)), 'schemas');

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  for (const [name, schema] of Object.entries(generateSchemas())) {
    const file = join(SCHEMA_DIR, `${name}.json`);
    writeFileSync(file, schemaFileContent(schema));
    console.log(
      `${file}: ${Object.keys(schema.resources).length} resources, ${Object.keys(schema.dataSources).length} data sources (${schema.source} ${schema.version})`,
    );
  }
}
