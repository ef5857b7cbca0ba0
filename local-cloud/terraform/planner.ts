/**
 * The generic planner: the plugin SDK's (and the plugin framework's) planning and validation rules, applied once for
 * every resource from its facts (`facts.ts`), never decided by a handler.
 *
 * Validation (`terraform validate` and `plan`), as the SDK's `schemaMap.Validate` does it:
 * - ExactlyOneOf, AtLeastOneOf, RequiredWith, ConflictsWith, with the SDK's summaries and messages;
 * - MaxItems and MinItems of list and set attributes ("Too many list items");
 * - each validator of a wholly known value (its own message; unknown values wait for apply).
 * Planning (`PlanResourceChange`):
 * - on create, every computed attribute the configuration leaves unset is unknown, defaults are planned, and a
 *   StateFunc gives the value the state will hold (`West Europe` -> `westeurope`);
 * - on update, a suppressed difference keeps the prior value; a changed (or unknown) ForceNew argument, a change the
 *   CustomizeDiff's ForceNewIf rules name, or any changed argument of a resource without Update code, replaces;
 *   `SetNewComputed` rules make an attribute unknown when another changes (AKS's `oidc_issuer_url`);
 * - a replacement is planned again as a create by Terraform itself (null prior state): computed values become
 *   unknown, and everything that refers to them is planned with unknown values too, in the same apply.
 */

import { isNamespaced } from '../kubernetes/cluster-objects';
import type {
  AttributeFact,
  CustomizeDiffFact,
  ProviderFacts,
  TypeFacts,
  ValidatorFact,
} from './facts';
import { type Attributes, UNKNOWN, type Value } from './handler';
import type { BlockSchema, NestedBlockSchema } from './schema';

/** A step through a value: an attribute name, or a list element's index. */
export type PathStep = string | number;

/** A refusal of the configuration, as the provider reports it: summary, detail, attribute. */
export interface PlanDiagnostic {
  summary: string;
  detail?: string;
  path?: PathStep[];
}

/** A planned change: the planned state, and the paths whose change replaces the resource. */
export interface PlannedChange {
  planned: Attributes;
  requiresReplace: PathStep[][];
}

const isObject = (v: Value | undefined): v is Attributes =>
  v !== null && v !== undefined && v !== UNKNOWN && typeof v === 'object' && !Array.isArray(v);

/** Whether a value holds no unknown anywhere. */
export function whollyKnown(v: Value | undefined): boolean {
  if (v === UNKNOWN) return false;
  if (Array.isArray(v)) return v.every(whollyKnown);
  if (isObject(v)) return Object.values(v).every(whollyKnown);
  return true;
}

function equal(a: Value | undefined, b: Value | undefined): boolean {
  if (a === UNKNOWN || b === UNKNOWN) return false;
  return JSON.stringify(a ?? null) === JSON.stringify(b ?? null);
}

/** Go's fmt verbs that the providers' messages use: %s %d %q %v and %%. */
export function goFormat(format: string, args: readonly unknown[]): string {
  let i = 0;
  const quote = (v: unknown): string =>
    Array.isArray(v) ? `[${v.map(quote).join(' ')}]` : JSON.stringify(String(v));
  const plain = (v: unknown): string =>
    Array.isArray(v) ? `[${v.map(plain).join(' ')}]` : String(v);
  return format.replace(/%([sdqv%])/g, (_, verb: string) => {
    if (verb === '%') return '%';
    const arg = args[i++];
    return verb === 'q' ? quote(arg) : plain(arg);
  });
}

/** The SDK's key of a path (`default_node_pool.0.name`), which its messages name. */
const sdkKey = (path: readonly PathStep[]) => path.join('.');

/** The value at an SDK key (`kubelet_identity.0.object_id`) of a configuration. */
function at(config: Attributes, key: string): Value | undefined {
  let v: Value | undefined = config;
  for (const step of key.split('.')) {
    if (Array.isArray(v)) v = v[Number(step)];
    else if (isObject(v)) v = v[step];
    else return undefined;
  }
  return v;
}

const isSet = (v: Value | undefined) =>
  v !== null && v !== undefined && !(Array.isArray(v) && v.length === 0);

/** Run one validator on a known value: the messages it fails with. */
function runValidator(validator: ValidatorFact, key: string, value: Value): string[] {
  switch (validator.kind) {
    case 'intBetween':
      return typeof value === 'number' && (value < validator.min || value > validator.max)
        ? [goFormat(validator.message, [key, validator.min, validator.max, value])]
        : [];
    case 'intAtLeast':
      return typeof value === 'number' && value < validator.min
        ? [goFormat(validator.message, [key, validator.min, value])]
        : [];
    case 'uuid':
      return typeof value === 'string' &&
        !/^[\da-f]{8}-[\da-f]{4}-[\da-f]{4}-[\da-f]{4}-[\da-f]{12}$/i.test(value)
        ? [goFormat(validator.message, [key, value])]
        : [];
    case 'notEmpty':
      return value === '' ? [goFormat(validator.message, [key, value])] : [];
    case 'oneOf': {
      if (typeof value !== 'string') return [];
      const ok = validator.values.some((v) =>
        validator.ignoreCase ? v.toLowerCase() === value.toLowerCase() : v === value,
      );
      return ok ? [] : [goFormat(validator.message, [key, validator.values, value])];
    }
    case 'lengthBetween':
      return typeof value === 'string' &&
        (value.length < validator.min || value.length > validator.max)
        ? [goFormat(validator.message, [key, validator.min, validator.max, value])]
        : [];
    case 'regex': {
      if (typeof value !== 'string' || new RegExp(validator.pattern).test(value)) return [];
      const args = (validator.args ?? ['key', 'value']).map((a) => (a === 'key' ? key : value));
      return [goFormat(validator.message, args)];
    }
    case 'checks': {
      if (typeof value !== 'string') return [];
      const failed: string[] = [];
      for (const check of validator.checks) {
        const t = check.test;
        const w = check.when;
        if (w && ('shorterThan' in w ? value.length >= w.shorterThan : value.length < w.atLeast))
          continue;
        const fails =
          ('longerThan' in t && value.length > t.longerThan) ||
          ('shorterThan' in t && value.length < t.shorterThan) ||
          ('lengthIs' in t && value.length === t.lengthIs) ||
          ('endsWith' in t && value.endsWith(t.endsWith)) ||
          ('notMatching' in t && !new RegExp(t.notMatching).test(value));
        if (fails)
          failed.push(
            goFormat(
              check.message,
              check.args.map((a) => (a === 'key' ? key : a === 'length' ? value.length : value)),
            ),
          );
      }
      return failed;
    }
    case 'unmodelled':
      return [];
  }
}

/**
 * Validate a configuration against the facts (`ValidateResourceConfig` / `ValidateDataResourceConfig`): the
 * diagnostics the real provider returns, in its words.
 */
export function validateConfig(
  provider: ProviderFacts,
  facts: TypeFacts | undefined,
  block: BlockSchema,
  config: Attributes,
): PlanDiagnostic[] {
  if (!facts) return [];
  const diagnostics: PlanDiagnostic[] = [];
  walkConfig(block, config, [], '', (path, factPath, value, isAttribute) => {
    const fact = facts.attributes[factPath];
    if (!fact) return;
    const key = sdkKey(path);
    if (provider.framework) {
      if (fact.atLeastOneOf && (value === null || value === undefined)) {
        const others = fact.atLeastOneOf.map((n) => at(config, n));
        if (others.every((o) => o === null || o === undefined)) {
          const rule = provider.messages?.atLeastOneOf;
          diagnostics.push({
            summary: rule?.summary ?? 'Invalid Attribute Combination',
            detail: goFormat(rule?.message ?? '%s', [[...fact.atLeastOneOf, key].join(',')]),
            path,
          });
        }
      }
    } else {
      // The SDK's checks of combinations run whether or not the attribute itself is set; their keys are absolute.
      const combination = (
        names: string[] | undefined,
        check: (set: string[], unknown: number, all: string[]) => string | undefined,
        summary: string,
      ) => {
        if (!names) return;
        const all = [...new Set([...names, key])].sort();
        const set: string[] = [];
        let unknown = 0;
        for (const n of all) {
          const v = at(config, n);
          if (v === UNKNOWN) unknown++;
          else if (isSet(v)) set.push(n);
        }
        const detail = check(set, unknown, all);
        if (detail) diagnostics.push({ summary, detail, path });
      };
      combination(
        fact.exactlyOneOf,
        (set, unknown, all) =>
          set.length === 0 && unknown === 0
            ? goFormat('%q: one of `%s` must be specified', [key, all.join(',')])
            : set.length > 1
              ? goFormat('%q: only one of `%s` can be specified, but `%s` were specified.', [
                  key,
                  all.join(','),
                  set.join(','),
                ])
              : undefined,
        'Invalid combination of arguments',
      );
      combination(
        fact.atLeastOneOf,
        (set, unknown, all) =>
          set.length === 0 && unknown === 0
            ? goFormat('%q: one of `%s` must be specified', [key, all.join(',')])
            : undefined,
        'Missing required argument',
      );
      if (!isSet(value)) return;
      combination(
        fact.requiredWith,
        (set, unknown, all) =>
          set.length + unknown < all.length
            ? goFormat('%q: all of `%s` must be specified', [key, all.join(',')])
            : undefined,
        'Missing required argument',
      );
      if (!whollyKnown(value)) return;
      for (const other of fact.conflictsWith ?? []) {
        const v = at(config, other);
        if (isSet(v) && v !== UNKNOWN)
          diagnostics.push({
            summary: 'Conflicting configuration arguments',
            detail: goFormat('%q: conflicts with %s', [key, other]),
            path,
          });
      }
      if (isAttribute && Array.isArray(value)) {
        if (fact.maxItems && value.length > fact.maxItems)
          diagnostics.push({
            summary: 'Too many list items',
            detail: `Attribute ${key} supports ${fact.maxItems} item maximum, but config has ${value.length} declared.`,
            path,
          });
        if (fact.minItems && value.length < fact.minItems)
          diagnostics.push({
            summary: 'Not enough list items',
            detail: `Attribute ${key} supports ${fact.minItems} item minimum, but config has ${value.length} declared.`,
            path,
          });
      }
    }
    if (value === null || value === undefined || !whollyKnown(value)) return;
    for (const validator of fact.validators ?? [])
      for (const message of runValidator(validator, key, value))
        diagnostics.push(
          validator.kind === 'regex' && validator.summary
            ? { summary: validator.summary, detail: message, path }
            : { summary: message, path },
        );
    if (fact.elementValidators) {
      const elements: [PathStep, Value][] = Array.isArray(value)
        ? value.map((v, i) => [i, v])
        : isObject(value)
          ? Object.entries(value)
          : [];
      for (const [step, element] of elements)
        for (const validator of fact.elementValidators)
          for (const message of runValidator(validator, sdkKey([...path, step]), element))
            diagnostics.push({ summary: message, path: [...path, step] });
    }
  });
  return diagnostics;
}

/** Visit every attribute and nested block of a configuration, set or not, with its path and fact path. */
function walkConfig(
  block: BlockSchema,
  value: Attributes,
  path: PathStep[],
  factPrefix: string,
  visit: (
    path: PathStep[],
    factPath: string,
    value: Value | undefined,
    isAttribute: boolean,
  ) => void,
): void {
  for (const name of Object.keys(block.attributes))
    visit([...path, name], `${factPrefix}${name}`, value[name], true);
  for (const [name, nested] of Object.entries(block.blocks)) {
    const items = value[name];
    visit([...path, name], `${factPrefix}${name}`, items, false);
    const list = Array.isArray(items) ? items : isObject(items) ? [items] : [];
    list.forEach((item, i) => {
      if (isObject(item))
        walkConfig(
          nested.block,
          item,
          nested.nesting === 'single' ? [...path, name] : [...path, name, i],
          `${factPrefix}${name}.`,
          visit,
        );
    });
  }
}

/** What a StateFunc stores for a configured value. */
function stateFunc(name: string | undefined, value: Value): Value {
  if (typeof value !== 'string' || !name) return value;
  // go-azure-helpers location.Normalize: lower case, spaces removed.
  if (name === 'location.StateFunc') return value.replaceAll(' ', '').toLowerCase();
  return value;
}

/** Whether a DiffSuppressFunc hides the difference between a prior and a new value. */
function suppressed(name: string | undefined, prior: Value | undefined, next: Value): boolean {
  if (!name || typeof prior !== 'string' || typeof next !== 'string') return false;
  if (name === 'location.DiffSuppressFunc')
    return prior.replaceAll(' ', '').toLowerCase() === next.replaceAll(' ', '').toLowerCase();
  if (name === 'suppress.CaseDifference') return prior.toLowerCase() === next.toLowerCase();
  return false;
}

/**
 * The conditions of CustomizeDiff's ForceNewIf rules the planner knows, by their Go body: whether the change from
 * `old` to `next` replaces. A rule whose body is not here is not modelled (it never replaces).
 */
const CONDITIONS: {
  [body: string]: (
    old: Value | undefined,
    next: Value,
    d: (key: string) => Value | undefined,
  ) => boolean;
} = {
  'return old != 0 && new == 0': (old, next) => !!old && !next,
  'return old != "" && new == ""': (old, next) => !!old && !next,
  'return old != ""': (old) => !!old,
  'return old.(string) != ""': (old) => !!old,
  'return old == "msi" || old == ""': (old) => old === 'msi' || !old,
  'return len(old.([]interface{})) != 0 && len(new.([]interface{})) == 0': (old, next) =>
    Array.isArray(old) && old.length > 0 && (!Array.isArray(next) || next.length === 0),
  'return !strings.EqualFold(new.(string), string(managedclusters.NetworkPluginModeOverlay))': (
    _,
    next,
  ) => typeof next !== 'string' || next.toLowerCase() !== 'overlay',
  // A node pool's os_sku: in place only between Ubuntu* and AzureLinux* SKUs.
  'oldStr := old.(string) newStr := new.(string) if !strings.HasPrefix(oldStr, string(agentpools.OSSKUUbuntu)) && !strings.HasPrefix(oldStr, string(agentpools.OSSKUAzureLinux)) { return true } if !strings.HasPrefix(newStr, string(agentpools.OSSKUUbuntu)) && !strings.HasPrefix(newStr, string(agentpools.OSSKUAzureLinux)) { return true } return false':
    (old, next) =>
      ![old, next].every((sku) => typeof sku === 'string' && /^(Ubuntu|AzureLinux)/.test(sku)),
  // The default node pool's name: back from temporary_name_for_rotation after a failed resize is no replacement.
  'old, new := d.GetChange("default_node_pool.0.name") defaultName := d.Get("default_node_pool.0.name") tempName := d.Get("default_node_pool.0.temporary_name_for_rotation") if old != "" && old == tempName { return new != defaultName } return true':
    (old, next, d) =>
      old && old === d('default_node_pool.0.temporary_name_for_rotation')
        ? next !== d('default_node_pool.0.name')
        : true,
};

/** Whether the planner models a CustomizeDiff rule (for the facts' report). */
export function modelled(rule: CustomizeDiffFact): boolean {
  return rule.kind === 'newComputedOnChange' || rule.condition in CONDITIONS;
}

/** Plan a change of one resource from its prior state, Terraform's proposed new state and the configuration. */
export function planChange(args: {
  provider: ProviderFacts;
  facts: TypeFacts | undefined;
  block: BlockSchema;
  prior: Attributes | null;
  proposed: Attributes;
  config: Attributes;
}): PlannedChange {
  const { provider, facts, block, prior, config } = args;
  const requiresReplace: PathStep[][] = [];
  const attributes = facts?.attributes ?? {};
  const framework = provider.framework === true;
  const planned = planBlock(block, args.proposed, config, prior, [], '', {
    attributes,
    create: prior === null,
    noUpdate: facts?.update === false,
    replace: (path) => requiresReplace.push(path),
  });
  if (prior === null) return { planned, requiresReplace: [] };
  const get = (key: string) => at(planned, key);
  for (const rule of facts?.customizeDiff ?? []) {
    if (rule.kind === 'newComputedOnChange') {
      if (!equal(prior[rule.when], planned[rule.when])) planned[rule.attribute] = UNKNOWN;
      continue;
    }
    const condition = CONDITIONS[rule.condition];
    if (!condition) continue;
    const old = at(prior, rule.path);
    const next = get(rule.path);
    if (!equal(old, next) && (next === UNKNOWN || condition(old, next as Value, get)))
      requiresReplace.push(rule.path.split('.').map((s) => (/^\d+$/.test(s) ? Number(s) : s)));
  }
  for (const rule of facts?.replaceWhenChanged ?? [])
    if (rule.when !== 'namespaced' || isNamespaced(String(at(planned, 'manifest.kind'))))
      requiresReplace.push(...rule.paths);
  // The framework marks computed values unknown when anything changes, unless UseStateForUnknown keeps them.
  if (framework && !equal(prior, planned))
    for (const [name, attribute] of Object.entries(block.attributes)) {
      const fact = attributes[name];
      if (
        attribute.computed &&
        (config[name] ?? null) === null &&
        !fact?.planModifiers?.includes('UseStateForUnknown')
      )
        planned[name] = UNKNOWN;
    }
  return { planned, requiresReplace };
}

interface Walk {
  attributes: { [path: string]: AttributeFact };
  create: boolean;
  noUpdate: boolean;
  replace: (path: PathStep[]) => void;
}

function planBlock(
  block: BlockSchema,
  proposed: Attributes,
  config: Attributes,
  prior: Attributes | null,
  path: PathStep[],
  factPrefix: string,
  walk: Walk,
): Attributes {
  const planned: Attributes = { ...proposed };
  for (const [name, attribute] of Object.entries(block.attributes)) {
    const fact = walk.attributes[`${factPrefix}${name}`];
    const configured = config[name] ?? null;
    let value: Value = proposed[name] ?? null;
    if (configured === null && fact?.default !== undefined) value = fact.default;
    else if (walk.create && configured === null && attribute.computed) value = UNKNOWN;
    else if (configured !== null && configured !== UNKNOWN)
      value = stateFunc(fact?.stateFunc, value);
    if (!walk.create && prior) {
      const before = prior[name];
      if (value !== UNKNOWN && suppressed(fact?.diffSuppress, before, value))
        value = before as Value;
      const argument = attribute.required || attribute.optional;
      const replaces =
        fact?.forceNew || fact?.planModifiers?.includes('RequiresReplace') || walk.noUpdate;
      if (argument && replaces && !equal(before, value) && !attribute.writeOnly)
        walk.replace([...path, name]);
    }
    planned[name] = value;
  }
  for (const [name, nested] of Object.entries(block.blocks))
    planned[name] = planNested(nested, name, proposed, config, prior, path, factPrefix, walk);
  return planned;
}

function planNested(
  nested: NestedBlockSchema,
  name: string,
  proposed: Attributes,
  config: Attributes,
  prior: Attributes | null,
  path: PathStep[],
  factPrefix: string,
  walk: Walk,
): Value {
  const fact = walk.attributes[`${factPrefix}${name}`];
  const items = proposed[name] ?? null;
  const configItems = config[name] ?? null;
  const priorItems = prior?.[name] ?? null;
  const empty = configItems === null || (Array.isArray(configItems) && configItems.length === 0);
  // An Optional+Computed block the configuration leaves out: the provider fills it in (AKS's kubelet identity).
  if (fact?.computed && empty) {
    if (!walk.create) return priorItems;
    if (nested.nesting === 'single') return UNKNOWN;
    return fact.maxItems === 1 ? [allUnknown(nested.block)] : UNKNOWN;
  }
  const plannedItems = (() => {
    if (nested.nesting === 'single') {
      if (!isObject(items)) return items;
      return planBlock(
        nested.block,
        items,
        isObject(configItems) ? configItems : {},
        isObject(priorItems) ? priorItems : null,
        [...path, name],
        `${factPrefix}${name}.`,
        walk,
      );
    }
    if (!Array.isArray(items)) return items;
    return items.map((item, i) =>
      isObject(item)
        ? planBlock(
            nested.block,
            item,
            Array.isArray(configItems) && isObject(configItems[i]) ? configItems[i] : {},
            Array.isArray(priorItems) && isObject(priorItems[i]) ? priorItems[i] : null,
            [...path, name, i],
            `${factPrefix}${name}.`,
            { ...walk, create: walk.create || !Array.isArray(priorItems) || !priorItems[i] },
          )
        : item,
    );
  })();
  if (!walk.create && prior && (fact?.forceNew || walk.noUpdate)) {
    const count = (v: Value) => (Array.isArray(v) ? v.length : isObject(v) ? 1 : 0);
    if (count(priorItems) !== count(plannedItems)) walk.replace([...path, name]);
  }
  return plannedItems;
}

function allUnknown(block: BlockSchema): Attributes {
  const out: Attributes = {};
  for (const name of Object.keys(block.attributes)) out[name] = UNKNOWN;
  for (const [name, nested] of Object.entries(block.blocks))
    out[name] = nested.nesting === 'single' ? UNKNOWN : [];
  return out;
}
