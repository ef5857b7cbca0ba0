/**
 * Kubernetes' strategic merge, three ways, as `kubectl apply` (client side) computes it and the API server applies it:
 * the last-applied configuration (original), the new manifest (modified) and the live object (current).
 *
 * What the manifest no longer sets is deleted (original minus modified); what it sets wins over the live object;
 * everything else the live object holds (fields the API server or a mutating webhook added) is kept. Lists whose
 * field says `patchStrategy:"merge"` are merged item by item on their `patchMergeKey`; other lists are replaced whole.
 *
 * Read from k8s.io/apimachinery v0.35.7, pkg/util/strategicpatch/patch.go: CreateThreeWayMergePatch (l. 2105: the patch
 * is the diff current -> modified without deletions, plus the deletions original -> modified), diffMaps (l. 168),
 * diffLists (l. 551: a `$setElementOrder` directive whenever a merged list's items or order differ, so a live list
 * with extra items always yields a patch), hasAdditionalNewField (l. 2247: `retainKeys`), mergeSortedSlice (l. 427:
 * where the live object's own items go), applyRetainKeysDirective (l. 1047).
 */

/** How one field merges: the struct tags `patchStrategy` and `patchMergeKey` of the Kubernetes API types. */
export interface PatchField {
  /** Merge list items on this key (`patchMergeKey`); a merged list without one is a set of scalars. */
  readonly mergeKey?: string;
  /** `patchStrategy:"merge"` on a list. @default - the list is replaced whole */
  readonly merge?: boolean;
  /** `patchStrategy:"retainKeys"`: the keys the manifest leaves out of this map (or of each item) are cleared. */
  readonly retainKeys?: boolean;
  /** The fields of this map, or of each item of this list. */
  readonly fields?: PatchSchema;
}

/** The merge rules of an object's fields, by JSON name. */
export type PatchSchema = Readonly<Record<string, PatchField>>;

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonMap = { [key: string]: Json };

const isMap = (v: unknown): v is JsonMap =>
  v !== null && typeof v === 'object' && !Array.isArray(v);

/** Deep equality of JSON values (key order of maps does not count). */
export function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) && Array.isArray(b))
    return a.length === b.length && a.every((v, i) => jsonEqual(v, b[i]));
  if (isMap(a) && isMap(b)) {
    const keys = Object.keys(a);
    return (
      keys.length === Object.keys(b).length &&
      keys.every((k) => Object.hasOwn(b, k) && jsonEqual(a[k], b[k]))
    );
  }
  return false;
}

/** The type as Go's reflect.TypeOf sees a decoded JSON value: a changed type replaces the value. */
function kindOf(v: unknown): string {
  return v === null ? 'null' : Array.isArray(v) ? 'list' : typeof v;
}

/**
 * Whether `kubectl apply` sends a patch at all: it prints `<kind>/<name> unchanged` only when the three-way patch is
 * `{}`. A patch is needed when the manifest drops something it set before, or sets something the live object does not
 * hold as it is (a merged list counts as changed when its items or their order differ from the live list's).
 */
export function patchNeeded(
  original: unknown,
  modified: unknown,
  current: unknown,
  schema: PatchSchema,
): boolean {
  return (
    changesOrAdditions(asMap(current), asMap(modified), schema) ||
    deletions(asMap(original), asMap(modified), schema)
  );
}

/** The object the API server holds after the three-way patch: `current` with the manifest's changes. */
export function threeWayMerge<T>(
  original: unknown,
  modified: T,
  current: unknown,
  schema: PatchSchema,
): T {
  return mergeMaps(asMap(original), asMap(modified), asMap(current), schema) as T;
}

function asMap(v: unknown): JsonMap {
  return isMap(v) ? v : {};
}

// diffMaps(current, modified) with IgnoreDeletions: is anything added or changed?
function changesOrAdditions(current: JsonMap, modified: JsonMap, schema: PatchSchema): boolean {
  for (const [key, m] of Object.entries(modified)) {
    if (!Object.hasOwn(current, key)) return true;
    const c = current[key];
    if (kindOf(c) !== kindOf(m)) return true;
    const field = schema[key] ?? {};
    if (isMap(m) && isMap(c)) {
      if (changesOrAdditions(c, m, field.fields ?? {})) return true;
      if (field.retainKeys && hasAdditionalField(c, m)) return true;
    } else if (Array.isArray(m) && Array.isArray(c)) {
      if (!field.merge) {
        if (!jsonEqual(c, m)) return true;
      } else if (!field.mergeKey) {
        // A merged list of scalars: any difference sets the element order.
        if (!jsonEqual(c, m)) return true;
      } else {
        if (c.length === 0) {
          if (m.length > 0) return true;
          continue;
        }
        if (!sameKeyOrder(c, m, field.mergeKey)) return true;
        for (const item of m) {
          const live = findItem(c, field.mergeKey, (item as JsonMap)[field.mergeKey]);
          if (!live) return true;
          if (changesOrAdditions(live, item as JsonMap, field.fields ?? {})) return true;
          if (field.retainKeys && hasAdditionalField(live, item as JsonMap)) return true;
        }
      }
    } else if (!jsonEqual(c, m)) return true;
  }
  return false;
}

// diffMaps(original, modified) with IgnoreChangesAndAdditions: does the manifest drop anything it set before?
function deletions(original: JsonMap, modified: JsonMap, schema: PatchSchema): boolean {
  for (const [key, o] of Object.entries(original)) {
    if (!Object.hasOwn(modified, key)) return true;
    const m = modified[key];
    if (kindOf(o) !== kindOf(m)) continue;
    const field = schema[key] ?? {};
    if (isMap(o) && isMap(m)) {
      if (deletions(o, m, field.fields ?? {})) return true;
    } else if (Array.isArray(o) && Array.isArray(m) && field.merge) {
      if (!field.mergeKey) {
        if (o.some((v) => !m.some((w) => jsonEqual(v, w)))) return true;
        continue;
      }
      for (const item of o) {
        const kept = findItem(m, field.mergeKey, (item as JsonMap)[field.mergeKey]);
        if (!kept) return true;
        if (deletions(item as JsonMap, kept, field.fields ?? {})) return true;
      }
    }
  }
  return false;
}

function hasAdditionalField(current: JsonMap, modified: JsonMap): boolean {
  return Object.entries(current).some(([k, v]) => v !== null && !Object.hasOwn(modified, k));
}

function sameKeyOrder(current: Json[], modified: Json[], mergeKey: string): boolean {
  return (
    current.length === modified.length &&
    modified.every((item, i) =>
      jsonEqual((item as JsonMap)?.[mergeKey], (current[i] as JsonMap)?.[mergeKey]),
    )
  );
}

function findItem(list: Json[], mergeKey: string, value: Json | undefined): JsonMap | undefined {
  return list.find((item): item is JsonMap => isMap(item) && jsonEqual(item[mergeKey], value));
}

function mergeMaps(
  original: JsonMap,
  modified: JsonMap,
  current: JsonMap,
  schema: PatchSchema,
  retainKeys = false,
): JsonMap {
  const result: JsonMap = { ...current };
  for (const [key, m] of Object.entries(modified)) {
    const c = current[key];
    const o = original[key];
    const field = schema[key] ?? {};
    if (!Object.hasOwn(current, key) || kindOf(c) !== kindOf(m)) result[key] = structuredClone(m);
    else if (isMap(m) && isMap(c))
      result[key] = mergeMaps(asMap(o), m, c, field.fields ?? {}, field.retainKeys);
    else if (Array.isArray(m) && Array.isArray(c) && field.merge)
      result[key] = mergeLists(Array.isArray(o) ? o : [], m, c, field);
    else result[key] = structuredClone(m);
  }
  for (const key of Object.keys(original)) if (!Object.hasOwn(modified, key)) delete result[key];
  // retainKeys: what the manifest leaves out of this map is cleared (a union such as a volume's source).
  if (retainKeys)
    for (const key of Object.keys(result)) if (!Object.hasOwn(modified, key)) delete result[key];
  return result;
}

function mergeLists(
  original: Json[],
  modified: Json[],
  current: Json[],
  field: PatchField,
): Json[] {
  const key = field.mergeKey;
  const keyOf = (item: Json): Json | undefined => (key ? (item as JsonMap)?.[key] : item);
  const inList = (list: Json[], item: Json) => list.some((x) => jsonEqual(keyOf(x), keyOf(item)));
  const dropped = original.filter((item) => !inList(modified, item));
  if (
    !changesOrAdditions({ list: current }, { list: modified }, { list: field }) &&
    dropped.length === 0
  )
    return current;
  const patched = modified.map((item) => {
    const live = key ? findItem(current, key, keyOf(item)) : undefined;
    const before = key ? findItem(original, key, keyOf(item)) : undefined;
    return live && isMap(item)
      ? mergeMaps(before ?? {}, item, live, field.fields ?? {}, field.retainKeys)
      : structuredClone(item);
  });
  const serverOnly = current.filter((item) => !inList(modified, item) && !inList(dropped, item));
  return mergeByLiveOrder(serverOnly, patched, current, keyOf);
}

// mergeSortedSlice: the live object's own items keep their places relative to the manifest's items, by live order.
function mergeByLiveOrder(
  serverOnly: Json[],
  patched: Json[],
  live: Json[],
  keyOf: (item: Json) => Json | undefined,
): Json[] {
  const position = (item: Json) => live.findIndex((x) => jsonEqual(keyOf(x), keyOf(item)));
  const merged: Json[] = [];
  let i = 0;
  let j = 0;
  while (i < serverOnly.length || j < patched.length) {
    if (i >= serverOnly.length) merged.push(patched[j++]);
    else if (j >= patched.length) merged.push(serverOnly[i++]);
    else {
      const left = position(serverOnly[i]);
      const right = position(patched[j]);
      if (left >= 0 && right >= 0 && left < right) merged.push(serverOnly[i++]);
      else merged.push(patched[j++]);
    }
  }
  return merged;
}
