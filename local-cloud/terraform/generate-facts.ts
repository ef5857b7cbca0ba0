/**
 * Generate `facts/<provider>.json` from the real providers' Go source at the tags the bindings pin, read from bare git
 * clones, one `<owner>+<name>/repo` each, under `--sources <dir>` (or `WI_PROVIDER_SOURCES`), else the repository's
 * git-ignored `.provider-sources/`, which `npm run provider-sources` fills where a network allows.
 *
 * It reads the plugin SDK's schema literals: each resource's `Schema: map[string]*pluginsdk.Schema{...}` (or a typed
 * resource's `Arguments()` and `Attributes()`), following helpers such as `commonschema.Location()` into their
 * package (the provider's own or `vendor/`), the `if !features.FivePointOh() { ... }` additions that a 4.x provider
 * makes, `Elem` blocks, the `CustomizeDiff` rules, and the validators (their regular expressions and the `fmt.Errorf`
 * formats they fail with). Every fact carries `path:line`.
 *
 * Run: `npm run facts [-- --sources <dir>]` (writes the files); a test regenerates them when the sources are here and
 * fails when the committed files differ.
 */
import { existsSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type {
  AttributeFact,
  CustomizeDiffFact,
  ProviderFacts,
  TypeFacts,
  ValidatorCheck,
  ValidatorFact,
} from './facts';
import {
  closeOf,
  type GoFile,
  GoRepo,
  goString,
  keyValue,
  type Span,
  spanText,
  splitTop,
} from './go-source';

/** Where a resource's schema is: an SDK function returning `*pluginsdk.Resource`, or a typed resource's struct. */
type Entry = { file: string; func: string } | { file: string; typed: string };

/** The provider sources the facts are generated from, and where each served type is defined. */
export const GENERATED: readonly {
  name: string;
  repository: string;
  tag: string;
  module: string;
  provider: Entry;
  resources: { [type: string]: Entry };
  dataSources: { [type: string]: Entry };
}[] = [
  {
    name: 'azurerm',
    repository: 'hashicorp/terraform-provider-azurerm',
    tag: 'v4.55.0',
    module: 'github.com/hashicorp/terraform-provider-azurerm',
    provider: { file: 'internal/provider/provider.go', func: 'azureProvider' },
    resources: {
      azurerm_resource_group: {
        file: 'internal/services/resource/resource_group_resource.go',
        func: 'resourceResourceGroup',
      },
      azurerm_user_assigned_identity: {
        file: 'internal/services/managedidentity/user_assigned_identity_resource.go',
        typed: 'UserAssignedIdentityResource',
      },
      azurerm_federated_identity_credential: {
        file: 'internal/services/managedidentity/federated_identity_credential_resource.go',
        typed: 'FederatedIdentityCredentialResource',
      },
      azurerm_kubernetes_cluster: {
        file: 'internal/services/containers/kubernetes_cluster_resource.go',
        func: 'resourceKubernetesCluster',
      },
      azurerm_kubernetes_cluster_node_pool: {
        file: 'internal/services/containers/kubernetes_cluster_node_pool_resource.go',
        func: 'resourceKubernetesClusterNodePool',
      },
      azurerm_key_vault: {
        file: 'internal/services/keyvault/key_vault_resource.go',
        func: 'resourceKeyVault',
      },
      azurerm_key_vault_secret: {
        file: 'internal/services/keyvault/key_vault_secret_resource.go',
        func: 'resourceKeyVaultSecret',
      },
      azurerm_role_assignment: {
        file: 'internal/services/authorization/role_assignment_resource.go',
        func: 'resourceArmRoleAssignment',
      },
      azurerm_container_registry: {
        file: 'internal/services/containers/container_registry_resource.go',
        func: 'resourceContainerRegistry',
      },
      azurerm_storage_account: {
        file: 'internal/services/storage/storage_account_resource.go',
        func: 'resourceStorageAccount',
      },
      azurerm_storage_container: {
        file: 'internal/services/storage/storage_container_resource.go',
        func: 'resourceStorageContainer',
      },
    },
    dataSources: {
      azurerm_client_config: {
        file: 'internal/services/authorization/client_config_data_source.go',
        func: 'dataSourceArmClientConfig',
      },
      azurerm_container_registry: {
        file: 'internal/services/containers/container_registry_data_source.go',
        func: 'dataSourceContainerRegistry',
      },
      azurerm_kubernetes_cluster: {
        file: 'internal/services/containers/kubernetes_cluster_data_source.go',
        func: 'dataSourceKubernetesCluster',
      },
      azurerm_key_vault: {
        file: 'internal/services/keyvault/key_vault_data_source.go',
        func: 'dataSourceKeyVault',
      },
      azurerm_resource_group: {
        file: 'internal/services/resource/resource_group_data_source.go',
        func: 'dataSourceResourceGroup',
      },
      azurerm_user_assigned_identity: {
        file: 'internal/services/managedidentity/user_assigned_identity_data_source.go',
        func: 'dataSourceArmUserAssignedIdentity',
      },
    },
  },
  {
    name: 'azuread',
    repository: 'hashicorp/terraform-provider-azuread',
    tag: 'v3.7.0',
    module: 'github.com/hashicorp/terraform-provider-azuread',
    provider: { file: 'internal/provider/provider.go', func: 'AzureADProvider' },
    resources: {
      azuread_application: {
        file: 'internal/services/applications/application_resource.go',
        func: 'applicationResource',
      },
      azuread_service_principal: {
        file: 'internal/services/serviceprincipals/service_principal_resource.go',
        func: 'servicePrincipalResource',
      },
      azuread_application_federated_identity_credential: {
        file: 'internal/services/applications/application_federated_identity_credential_resource.go',
        func: 'applicationFederatedIdentityCredentialResource',
      },
    },
    dataSources: {
      azuread_client_config: {
        file: 'internal/services/serviceprincipals/client_config_data_source.go',
        typed: 'ClientConfigDataSource',
      },
    },
  },
  {
    name: 'kubernetes',
    repository: 'hashicorp/terraform-provider-kubernetes',
    tag: 'v2.38.0',
    module: 'github.com/hashicorp/terraform-provider-kubernetes',
    provider: { file: 'kubernetes/provider.go', func: 'Provider' },
    resources: {},
    dataSources: {},
  },
];

const SCHEMA_LITERAL = /^&?(?:\w+\.)?Schema\{/;
const MAP_LITERAL = /^map\[string\]\*(?:\w+\.)?Schema\{/;

/** Reads one provider's schema facts. */
class FactReader {
  /** Why a helper could not be followed, by expression: printed by the generator, never silently dropped. */
  readonly unresolved: string[] = [];

  constructor(readonly repo: GoRepo) {}

  at(file: GoFile, offset: number): string {
    return `${file.path}:${file.line(offset)}`;
  }

  /** The facts of one schema map's entries (and their nested blocks), keyed by dotted path under `prefix`. */
  schemaMap(map: Span, prefix: string, out: { [path: string]: AttributeFact }): void {
    const open = map.file.text.indexOf('{', map.start);
    for (const entry of splitTop(map.file, open + 1, map.end - 1)) {
      const kv = keyValue(entry);
      const name = kv && goString(kv.key);
      if (!kv || name === undefined) continue;
      this.attribute(kv.value, `${prefix}${name}`, out, this.at(entry.file, entry.start));
    }
  }

  /** One attribute's schema expression: a literal, or a call of a helper that returns one. */
  attribute(
    expression: Span,
    path: string,
    out: { [path: string]: AttributeFact },
    named: string,
  ): void {
    const literal = this.schemaLiteral(expression);
    if (!literal) {
      this.unresolved.push(`${path}: ${spanText(expression).slice(0, 80)} (${named})`);
      return;
    }
    const fact: AttributeFact = { at: this.at(literal.file, literal.start) };
    if (fact.at !== named && literal.file !== expression.file) fact.via = named;
    else if (literal.file === expression.file && literal.start !== expression.start)
      fact.via = named;
    if (fact.via === fact.at) delete fact.via;
    const open = literal.file.text.indexOf('{', literal.start);
    for (const field of splitTop(literal.file, open + 1, literal.end - 1)) {
      const kv = keyValue(field);
      if (!kv) continue;
      this.field(fact, kv.key, kv.value, path, out);
    }
    out[path] = sortKeys(fact);
    // A helper may add 4.x fields to what it returns (`schemaNodePoolLinuxOSConfig`).
    if (literal.file !== expression.file || literal.start !== expression.start)
      this.featureAdditions(this.enclosingFunc(literal), out, `${path}.`);
  }

  /** The schema literal an expression is or returns (following helpers), or undefined. */
  schemaLiteral(expression: Span): Span | undefined {
    const text = spanText(expression);
    if (text.startsWith('{') || SCHEMA_LITERAL.test(text)) return expression;
    const call = /^(?:(\w+)\.)?(\w+)\(/.exec(text);
    if (!call) return undefined;
    const dir = this.repo.resolvePackage(expression.file, call[1]);
    const body = dir && this.repo.func(dir, call[2] as string);
    if (!body) return undefined;
    // `return &pluginsdk.Schema{...}`, or `s := &pluginsdk.Schema{...}` changed below and returned.
    const m = /(?:return|\w+ :=)\s+&(?:\w+\.)?Schema\{/.exec(spanText(body));
    if (!m) return undefined;
    const start = body.start + m.index + m[0].indexOf('&');
    const open = body.file.text.indexOf('{', start);
    return { file: body.file, start, end: closeOf(body.file.text, open) };
  }

  private field(
    fact: AttributeFact,
    key: string,
    value: Span,
    path: string,
    out: { [path: string]: AttributeFact },
  ): void {
    const text = spanText(value);
    switch (key) {
      case 'Required':
      case 'Optional':
      case 'Computed':
      case 'ForceNew':
      case 'Sensitive':
      case 'WriteOnly':
        if (text === 'true') {
          const name = `${key[0]?.toLowerCase()}${key.slice(1)}` as
            | 'required'
            | 'optional'
            | 'computed'
            | 'forceNew'
            | 'sensitive'
            | 'writeOnly';
          fact[name] = true;
        }
        return;
      case 'Default': {
        const v = this.literalValue(value);
        if (v !== undefined) fact.default = v;
        return;
      }
      case 'MaxItems':
      case 'MinItems': {
        const n = Number(text);
        if (Number.isInteger(n)) fact[key === 'MaxItems' ? 'maxItems' : 'minItems'] = n;
        return;
      }
      case 'ValidateFunc':
      case 'ValidateDiagFunc':
        fact.validators = this.validators(value);
        return;
      case 'ConfigMode':
        if (text.endsWith('SchemaConfigModeAttr')) fact.configModeAttr = true;
        return;
      case 'DiffSuppressFunc':
        fact.diffSuppress = text;
        return;
      case 'StateFunc':
        fact.stateFunc = text;
        return;
      case 'ExactlyOneOf':
      case 'ConflictsWith':
      case 'AtLeastOneOf':
      case 'RequiredWith': {
        const names = this.stringList(value);
        if (names) {
          const name = `${key[0]?.toLowerCase()}${key.slice(1)}` as
            | 'exactlyOneOf'
            | 'conflictsWith'
            | 'atLeastOneOf'
            | 'requiredWith';
          fact[name] = names;
        }
        return;
      }
      case 'Elem': {
        const resource = /^&(?:\w+\.)?Resource\{/.exec(text);
        if (resource) {
          const open = value.file.text.indexOf('{', value.start);
          for (const f of splitTop(value.file, open + 1, value.end - 1)) {
            const kv = keyValue(f);
            if (kv?.key !== 'Schema') continue;
            const map = this.mapOf(kv.value);
            if (map) this.schemaMap(map, `${path}.`, out);
            else this.unresolved.push(`${path}.*: ${spanText(kv.value).slice(0, 80)}`);
          }
          return;
        }
        const element = this.schemaLiteral(value);
        if (!element) return;
        const open = element.file.text.indexOf('{', element.start);
        for (const f of splitTop(element.file, open + 1, element.end - 1)) {
          const kv = keyValue(f);
          if (kv?.key === 'ValidateFunc' || kv?.key === 'ValidateDiagFunc')
            fact.elementValidators = this.validators(kv.value);
        }
        return;
      }
    }
  }

  /** The schema map an expression is, returns, or builds (`func() map[...]{ return map[...]{...} }()`). */
  mapOf(expression: Span): Span | undefined {
    const text = spanText(expression);
    if (MAP_LITERAL.test(text)) return expression;
    let body: Span | undefined;
    if (text.startsWith('func()')) {
      const open = expression.file.text.indexOf('{\n', expression.start);
      body = {
        file: expression.file,
        start: open + 1,
        end: closeOf(expression.file.text, open) - 1,
      };
    } else {
      const call = /^(?:(\w+)\.)?(\w+)\(/.exec(text);
      const dir = call && this.repo.resolvePackage(expression.file, call[1]);
      body = (dir && call && this.repo.func(dir, call[2] as string)) || undefined;
    }
    if (!body) return undefined;
    return this.firstMap(body);
  }

  firstMap(body: Span): Span | undefined {
    const m = /map\[string\]\*(?:\w+\.)?Schema\{/.exec(spanText(body));
    if (!m) return undefined;
    const start = body.start + m.index;
    const open = body.file.text.indexOf('{', start);
    return { file: body.file, start, end: closeOf(body.file.text, open) };
  }

  /** A Go literal's value: a number, a bool, a string, or a string constant (`string(pkg.Const)`, `pkg.Const`). */
  literalValue(value: Span): string | number | boolean | undefined {
    const text = spanText(value);
    if (text === 'true' || text === 'false') return text === 'true';
    if (/^-?\d+(\.\d+)?$/.test(text)) return Number(text);
    const s = goString(text);
    if (s !== undefined) return s;
    const constant = /^(?:string\()?(?:(\w+)\.)?(\w+)\)?$/.exec(text);
    if (constant) {
      const dir = this.repo.resolvePackage(value.file, constant[1]);
      return dir ? this.repo.constant(dir, constant[2] as string)?.value : undefined;
    }
    return undefined;
  }

  stringList(value: Span): string[] | undefined {
    const text = spanText(value);
    if (!text.startsWith('[]string{')) return undefined;
    const open = value.file.text.indexOf('{', value.start);
    const items = splitTop(value.file, open + 1, value.end - 1).map((s) => this.literalValue(s));
    return items.every((i): i is string => typeof i === 'string') ? items : undefined;
  }

  /** The validators an expression stands for; `validation.All(...)` is each of them. */
  validators(value: Span, expression?: string, outerArgs?: Span[]): ValidatorFact[] {
    const text = expression ?? spanText(value);
    const call = /^(?:(\w+)\.)?(\w+)(\()?/.exec(text);
    if (!call) return [this.unmodelled(value)];
    const [, qualifier, name = '', paren] = call;
    const args =
      outerArgs ??
      (paren ? splitTop(value.file, value.start + text.indexOf('(') + 1, value.end - 1) : []);
    if (name === 'All' && qualifier === 'validation')
      return args.flatMap((a) => this.validators(a));
    const dir = this.repo.resolvePackage(value.file, qualifier);
    const body = dir ? this.repo.func(dir, name) : undefined;
    if (!body) return [this.unmodelled(value)];
    const at = this.at(body.file, body.start);
    const formats = [...spanText(body).matchAll(/fmt\.Errorf\(("(?:[^"\\]|\\.)*")/g)].map(
      (m) => goString(m[1] as string) as string,
    );
    const format = (needle: string) => formats.find((f) => f.includes(needle));
    const numbers = args.map((a) => Number(spanText(a)));
    // A thin wrapper (`internal/tf/validation`) around the SDK's validator of the same name.
    const wrapped = /^\s*return (\w+)\.(\w+)\(/.exec(spanText(body));
    if (formats.length === 0 && wrapped?.[2] === name) {
      const inner = spanText(body).indexOf(wrapped[1] as string);
      const target: Span = { file: body.file, start: body.start + inner, end: value.end };
      const call = `${wrapped[1]}.${name}${paren ? text.slice(text.indexOf('(')) : ''}`;
      return this.validators({ ...target, end: target.start + call.length }, call, args);
    }
    if (qualifier === 'validation') {
      switch (name) {
        case 'IntBetween':
          return [
            {
              kind: 'intBetween',
              min: numbers[0] as number,
              max: numbers[1] as number,
              message: format('range') as string,
              at,
            },
          ];
        case 'IntAtLeast':
          return [
            {
              kind: 'intAtLeast',
              min: numbers[0] as number,
              message: format('at least') as string,
              at,
            },
          ];
        case 'IsUUID':
          return [{ kind: 'uuid', message: format('valid UUID') as string, at }];
        case 'StringIsNotEmpty':
          return [{ kind: 'notEmpty', message: format('empty string') as string, at }];
        case 'StringLenBetween':
          return [
            {
              kind: 'lengthBetween',
              min: numbers[0] as number,
              max: numbers[1] as number,
              message: format('length') as string,
              at,
            },
          ];
        case 'StringInSlice': {
          const values = args[0] ? this.stringList(args[0]) : undefined;
          if (!values) return [this.unmodelled(value)];
          return [
            {
              kind: 'oneOf',
              values,
              ignoreCase: spanText(args[1] as Span) === 'true',
              message: format('one of') as string,
              at,
            },
          ];
        }
        case 'StringMatch': {
          const pattern = /regexp\.MustCompile\((`[^`]*`|"(?:[^"\\]|\\.)*")\)/.exec(
            spanText(args[0] as Span),
          );
          const message = goString(spanText(args[1] as Span));
          if (!pattern?.[1] || message === undefined) return [this.unmodelled(value)];
          return [
            {
              kind: 'regex',
              pattern: jsRegex(goString(pattern[1]) as string),
              message:
                message === ''
                  ? (format('regular expression') as string)
                  : `invalid value for %s (${message.replaceAll('%', '%%')})`,
              at,
            },
          ];
        }
      }
      return [this.unmodelled(value)];
    }
    // The provider's own validators: checks of length, suffix and regular expressions, each with its error.
    const checks = this.checks(body);
    if (checks && !paren) return [{ kind: 'checks', checks, at }];
    return [this.unmodelled(value)];
  }

  /**
   * The checks of a validator function: each `errors = append(errors, fmt.Errorf(...))` with the condition of the
   * `if` that holds it, when that condition is one the planner knows (length, suffix, a regular expression); else
   * undefined (the whole validator is then not modelled).
   */
  checks(body: Span): ValidatorCheck[] | undefined {
    const text = spanText(body);
    const value = /^\s*(\w+)(?:, ok)? := \w+\.\(string\)/m.exec(text)?.[1];
    if (!value) return undefined;
    const sprintf = new Map<string, { format: string; args: string[] }>();
    for (const m of text.matchAll(/(\w+) := fmt\.Sprintf\(("(?:[^"\\]|\\.)*"),\s*([^)]*)\)/g))
      sprintf.set(m[1] as string, {
        format: goString(m[2] as string) as string,
        args: (m[3] as string).split(',').map((a) => a.trim()),
      });
    const checks: ValidatorCheck[] = [];
    for (const m of text.matchAll(
      /errors = append\(errors, fmt\.Errorf\(\s*("(?:[^"\\]|\\.)*")((?:,\s*[\w.]+(?:\(\w+\))?)*)\)\)/g,
    )) {
      const before = text.slice(0, m.index);
      const ifAt = before.lastIndexOf('if ');
      const condition = before.slice(ifAt + 3, before.indexOf('{\n', ifAt)).trim();
      // Checks at the function's top level, or inside one `if len(value) < N { ... } else { ... }` (its guard).
      const outer = before.slice(0, ifAt).replace(/`[^`]*`|"(?:[^"\\]|\\.)*"/g, '""');
      const depth = [...outer].reduce((d, c) => d + (c === '{' ? 1 : c === '}' ? -1 : 0), 0);
      let when: ValidatorCheck['when'];
      if (depth === 1) {
        const guard = new RegExp(`if len\\(${value}\\) < (\\d+) \\{\\n`).exec(outer);
        if (!guard) return undefined;
        const inElse = outer.lastIndexOf('} else {') > (guard.index as number);
        when = inElse ? { atLeast: Number(guard[1]) } : { shorterThan: Number(guard[1]) };
      } else if (depth !== 0) return undefined;
      let format = goString(m[1] as string) as string;
      const args: ('key' | 'value' | 'length')[] = [];
      for (const a of (m[2] as string)
        .split(',')
        .map((x) => x.trim())
        .filter(Boolean)) {
        const bound = sprintf.get(a);
        if (bound) {
          format = format.replace(
            /%s/,
            bound.format.replaceAll('%', '%%').replace(/%%(q|s|v)/g, '%$1'),
          );
          for (const b of bound.args) args.push(b === 'k' ? 'key' : 'value');
        } else args.push(a === 'k' ? 'key' : a === `len(${value})` ? 'length' : 'value');
      }
      const compiled = /regexp\.MustCompile\((`[^`]*`|"(?:[^"\\]|\\.)*")\)/;
      let check: ValidatorCheck['test'] | undefined;
      const length = new RegExp(`^len\\(${value}\\) (>|<|==) (\\d+)$`).exec(condition);
      const suffix = new RegExp(`^strings\\.HasSuffix\\(${value}, ("[^"]*")\\)$`).exec(condition);
      const atLeast = new RegExp(`^(\\d+) > len\\(${value}\\)$`).exec(condition);
      if (atLeast) check = { shorterThan: Number(atLeast[1]) };
      else if (length)
        check = {
          [length[1] === '>' ? 'longerThan' : length[1] === '<' ? 'shorterThan' : 'lengthIs']:
            Number(length[2]),
        } as ValidatorCheck['test'];
      else if (suffix) check = { endsWith: goString(suffix[1] as string) as string };
      else if (/(^|&& )!.*\.MatchString\(\w+\)$|!matched$/.test(condition)) {
        const pattern =
          compiled.exec(condition) ?? [...before.matchAll(new RegExp(compiled, 'g'))].at(-1);
        if (!pattern?.[1]) return undefined;
        check = { notMatching: jsRegex(goString(pattern[1]) as string) };
      }
      if (!check) return undefined;
      checks.push(
        when
          ? { test: check, when, message: format, args }
          : { test: check, message: format, args },
      );
    }
    return checks.length > 0 ? checks : undefined;
  }

  unmodelled(value: Span): ValidatorFact {
    return {
      kind: 'unmodelled',
      expression: spanText(value).replace(/\s+/g, ' ').slice(0, 120),
      at: this.at(value.file, value.start),
    };
  }

  /** The `if !features.FivePointOh() { x.Schema["a"]...Schema["b"] = ... }` changes a 4.x provider makes. */
  featureAdditions(body: Span, out: { [path: string]: AttributeFact }, prefix = ''): void {
    const text = spanText(body);
    for (const m of text.matchAll(/if !features\.FivePointOh\(\) \{/g)) {
      const open = body.start + (m.index as number) + m[0].length - 1;
      const close = closeOf(body.file.text, open);
      for (const statement of splitTop(body.file, open + 1, close - 1, '\n')) {
        const s = spanText(statement);
        const assign =
          /^(\w+)((?:\.Schema\["\w+"\]|\["\w+"\]|\.Elem\.\(\*\w+\.Resource\))+) = &/.exec(s);
        if (!assign) continue;
        const keys = [...(assign[2] as string).matchAll(/\["(\w+)"\]/g)].map((k) => k[1]);
        const eq = statement.start + s.indexOf(' = ') + 3;
        const value: Span = { file: statement.file, start: eq, end: statement.end };
        const end = closeOf(body.file.text, body.file.text.indexOf('{', eq));
        this.attribute(
          { ...value, end },
          `${prefix}${keys.join('.')}`,
          out,
          this.at(statement.file, statement.start),
        );
      }
    }
  }

  /** The CustomizeDiff rules in a resource function: conditional replacements and new computed values. */
  customizeDiff(body: Span): CustomizeDiffFact[] {
    const text = spanText(body);
    const facts: CustomizeDiffFact[] = [];
    for (const m of text.matchAll(
      /pluginsdk\.(ForceNewIfChange|ForceNewIf)\("([\w.]+)", func\([^)]*\)[^{]*\{/g,
    )) {
      const open = body.start + (m.index as number) + m[0].length - 1;
      const close = closeOf(body.file.text, open);
      facts.push({
        kind: m[1] === 'ForceNewIf' ? 'forceNewIf' : 'forceNewIfChange',
        path: m[2] as string,
        condition: body.file.text
          .slice(open + 1, close - 1)
          .replace(/\/\/[^\n]*/g, '')
          .replace(/\s+/g, ' ')
          .trim(),
        at: this.at(body.file, body.start + (m.index as number)),
      });
    }
    for (const m of text.matchAll(
      /if d\.HasChange\("(\w+)"\) \{\s*d\.SetNewComputed\("(\w+)"\)/g,
    )) {
      facts.push({
        kind: 'newComputedOnChange',
        when: m[1] as string,
        attribute: m[2] as string,
        at: this.at(body.file, body.start + (m.index as number)),
      });
    }
    return facts;
  }

  /** A whole resource or data source. */
  type(entry: Entry, resource: boolean): TypeFacts {
    const file = this.repo.file(entry.file);
    const dir = entry.file.slice(0, entry.file.lastIndexOf('/'));
    const attributes: { [path: string]: AttributeFact } = {};
    if ('typed' in entry) {
      const declared = new RegExp(`^type ${entry.typed} struct`, 'm').exec(file.text);
      const facts: TypeFacts = { at: this.at(file, declared?.index ?? 0), attributes };
      for (const method of ['Arguments', 'Attributes']) {
        const body = this.repo.func(dir, method, entry.typed);
        const map = body && this.firstMap(body);
        if (!body || !map)
          throw new Error(`${entry.file}: ${entry.typed}.${method}() has no schema map`);
        this.schemaMap(map, '', attributes);
        this.featureAdditions(body, attributes);
      }
      if (resource) {
        const update = this.repo.func(dir, 'Update', entry.typed);
        facts.update = update !== undefined;
        if (update) facts.updateAt = this.at(update.file, update.start);
      }
      facts.attributes = sortKeys(attributes);
      return facts;
    }
    const body = this.repo.func(dir, entry.func);
    if (!body) throw new Error(`${entry.file}: no func ${entry.func}`);
    const facts: TypeFacts = { at: this.at(body.file, body.start), attributes };
    const schemaField = /\bSchema: /.exec(spanText(body));
    if (!schemaField) throw new Error(`${entry.file}: ${entry.func} has no Schema field`);
    const start = body.start + schemaField.index + schemaField[0].length;
    const expression = spanText({ file: body.file, start, end: body.end });
    const end =
      start +
      (MAP_LITERAL.test(expression) || expression.startsWith('func()')
        ? closeOf(body.file.text, body.file.text.indexOf('{', start)) - start
        : closeOf(body.file.text, body.file.text.indexOf('(', start)) - start);
    const map = this.mapOf({ file: body.file, start, end });
    if (!map) throw new Error(`${entry.file}: ${entry.func}'s schema map cannot be followed`);
    this.schemaMap(map, '', attributes);
    this.featureAdditions(body, attributes);
    // Maps merged in by a loop: `for k, v := range schemaKubernetesAddOns() { resource.Schema[k] = v }`.
    for (const m of spanText(body).matchAll(
      /for (\w+), (\w+) := range (\w+)\(\) \{\s*\w+\.Schema\[\1\] = \2/g,
    )) {
      const helper = this.repo.func(dir, m[3] as string);
      const merged = helper && this.firstMap(helper);
      if (merged) this.schemaMap(merged, '', attributes);
      else this.unresolved.push(`${entry.func}: range ${m[3]}()`);
    }
    // Helpers that build the map may add fields for 4.x too (`resourceKubernetesClusterNodePoolSchema`).
    if (map.file !== body.file || map.start < body.start || map.start > body.end)
      this.featureAdditions(this.enclosingFunc(map), attributes);
    if (resource) {
      const update = /\n\t\t(Update|UpdateContext):\s+(\w+),/.exec(spanText(body));
      facts.update = update !== null;
      if (update) {
        const updateBody = this.repo.func(dir, update[2] as string);
        if (updateBody) facts.updateAt = this.at(updateBody.file, updateBody.start);
      }
      const diff = this.customizeDiff(body);
      if (diff.length > 0) facts.customizeDiff = diff;
    }
    facts.attributes = sortKeys(attributes);
    return facts;
  }

  /** The body of the function that holds a span. */
  enclosingFunc(span: Span): Span {
    const text = span.file.text;
    const start = text.lastIndexOf('\nfunc ', span.start);
    const open = text.indexOf('{\n', start);
    return { file: span.file, start: open + 1, end: closeOf(text, open) - 1 };
  }
}

function sortKeys<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).sort(([a], [b]) => a.localeCompare(b))) as T;
}

/** The repository's own folder for the provider sources: git-ignored, filled by `npm run provider-sources`. */
export const PROVIDER_SOURCES_DIR = join(
  dirname(fileURLToPath(import.meta.url)),
  '..',
  '..',
  '.provider-sources',
);

/** Where the provider sources are read from by default: `WI_PROVIDER_SOURCES`, else `.provider-sources/`. */
export const MIRRORS = process.env.WI_PROVIDER_SOURCES || PROVIDER_SOURCES_DIR;

/** The bare clone of a provider's repository under `sources` (`<owner>+<name>/repo`), or undefined when there is none. */
export function mirrorOf(repository: string, sources = MIRRORS): string | undefined {
  const dir = join(sources, repository.replace('/', '+'), 'repo');
  return existsSync(dir) ? dir : undefined;
}

/** One generated provider's facts, and what could not be followed. */
export function generateFacts(
  name: string,
  sources = MIRRORS,
): { facts: ProviderFacts; unresolved: string[] } {
  const source = GENERATED.find((g) => g.name === name);
  if (!source) throw new Error(`no generated facts for ${name}`);
  const gitDir = mirrorOf(source.repository, sources);
  if (!gitDir)
    throw new Error(
      `no clone of ${source.repository} under ${sources}: run npm run provider-sources, or pass --sources <dir>`,
    );
  const reader = new FactReader(new GoRepo(gitDir, source.tag, source.module));
  const types = (entries: { [type: string]: Entry }, resource: boolean) =>
    Object.fromEntries(
      Object.entries(entries).map(([type, entry]) => [type, reader.type(entry, resource)]),
    );
  const provider = reader.type(source.provider, false);
  const facts: ProviderFacts = {
    repository: source.repository,
    tag: source.tag,
    madeBy: 'local-cloud/terraform/generate-facts.ts',
    provider,
    resources: types(source.resources, true),
    dataSources: types(source.dataSources, false),
  };
  return { facts, unresolved: reader.unresolved };
}

export const FACTS_DIR = join(dirname(fileURLToPath(import.meta.url)), 'facts');

/** The file content the generator writes (what the committed file must equal). */
export function factsFileContent(facts: ProviderFacts): string {
  return `${JSON.stringify(facts, null, 1)}\n`;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const { values } = parseArgs({ options: { sources: { type: 'string' } } });
  for (const { name } of GENERATED) {
    const { facts, unresolved } = generateFacts(name, values.sources ?? MIRRORS);
    const file = join(FACTS_DIR, `${name}.json`);
    writeFileSync(file, factsFileContent(facts));
    const count = (t: TypeFacts) => Object.keys(t.attributes).length;
    console.log(
      `${file}: ${Object.entries({ ...facts.resources, ...facts.dataSources })
        .map(([type, t]) => `${type} ${count(t)}`)
        .join(', ')}`,
    );
    for (const u of unresolved) console.log(`  not followed: ${u}`);
  }
}

/**
 * A Go (RE2) pattern as JavaScript reads it: `\A` and `\z` anchor the text's start and end in Go, where JavaScript has
 * `^` and `$` (without the `m` flag). azurerm's storage account name rule uses them (validate/storage_account_name.go).
 */
function jsRegex(pattern: string): string {
  return pattern.replaceAll('\\A', '^').replaceAll('\\z', '$');
}
