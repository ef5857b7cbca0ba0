/**
 * cty values across the plugin protocol: msgpack `DynamicValue`s <-> handler `Value`s, guided by the schema's type.
 *
 * msgpack carries no cty type, so decoding needs the type the value has (the block's implied type); the one place
 * the encoding carries its own type is the dynamic pseudo-type, sent as a pair [type as JSON, value].
 */
import { decode, ExtensionCodec, encode } from '@msgpack/msgpack';
import { UNKNOWN, type Value } from './handler';
import type { CtyType } from './schema';

/** Extension type cty uses for an unknown value; 12 is an unknown with refinements (e.g. "not null"). */
const UNKNOWN_EXT = 0;
const REFINED_UNKNOWN_EXT = 12;

const extensions = new ExtensionCodec();
extensions.register({
  type: UNKNOWN_EXT,
  encode: (input: unknown) => (input === UNKNOWN ? new Uint8Array([0]) : null),
  decode: () => UNKNOWN,
});
extensions.register({ type: REFINED_UNKNOWN_EXT, encode: () => null, decode: () => UNKNOWN });

/**
 * Map keys are data: a tag may be named `__proto__` (Azure accepts it), which the msgpack decoder refuses as a key
 * string. It is handed over boxed, kept under a symbol while decoding, and set as an own property of the result.
 */
const PROTO = '__proto__';
const PROTO_BOX = {};
const PROTO_KEY = Symbol(PROTO);
const utf8 = new TextDecoder();
const decodeOptions = {
  extensionCodec: extensions,
  useBigInt64: false,
  keyDecoder: {
    canBeCached: () => true,
    decode: (bytes: Uint8Array, offset: number, length: number) => {
      const key = utf8.decode(bytes.subarray(offset, offset + length));
      return (key === PROTO ? PROTO_BOX : key) as string;
    },
  },
  mapKeyConverter: (key: unknown) => (key === PROTO_BOX ? PROTO_KEY : key) as string,
};

/** Set `key` as an own data property, whatever its name (`result[key] =` would set the prototype for `__proto__`). */
function setData(target: object, key: string, value: unknown): void {
  Object.defineProperty(target, key, {
    value,
    enumerable: true,
    writable: true,
    configurable: true,
  });
}

/** The entries of a decoded map, the boxed `__proto__` key among them by its name. */
function dataEntries(raw: object): [string, unknown][] {
  const entries = Object.entries(raw);
  if (PROTO_KEY in raw) entries.push([PROTO, (raw as { [PROTO_KEY]: unknown })[PROTO_KEY]]);
  return entries;
}

/** The type a dynamic value was decoded with, kept so that returning it unchanged re-encodes it identically. */
const DECODED_TYPE = Symbol('cty type');

/** Decode a msgpack cty value of type `type`. */
export function decodeValue(bytes: Uint8Array, type: CtyType): Value {
  if (bytes.length === 0) return null;
  return fromWire(decode(bytes, decodeOptions), type, []);
}

/** Encode `value` as a msgpack cty value of type `type`; throws naming the attribute path when it does not conform. */
export function encodeValue(value: Value, type: CtyType): Uint8Array {
  return encode(toWire(value, type, []), { extensionCodec: extensions, ignoreUndefined: false });
}

/** Convert a JSON value (e.g. from the state file) to `type`: JSON cannot carry unknowns. */
export function fromJson(json: unknown, type: CtyType): Value {
  return fromWire(json, type, [], true);
}

/** A human path for errors: `default_node_pool[0].name`. */
function pathText(path: readonly (string | number)[]): string {
  return (
    path.map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? p : `.${p}`)).join('') ||
    '(root)'
  );
}

function typeText(type: CtyType): string {
  return JSON.stringify(type);
}

function fromWire(raw: unknown, type: CtyType, path: (string | number)[], json = false): Value {
  if (raw === UNKNOWN) return UNKNOWN;
  if (raw === null || raw === undefined) return null;
  const fail = (): never => {
    throw new Error(
      `cty value at ${pathText(path)} is not a ${typeText(type)}: ${JSON.stringify(raw)?.slice(0, 80)}`,
    );
  };
  if (type === 'string') return typeof raw === 'string' ? raw : fail();
  if (type === 'bool') return typeof raw === 'boolean' ? raw : fail();
  if (type === 'number') {
    if (typeof raw === 'number') return raw;
    // cty sends numbers beyond float64's exact range as strings.
    if (typeof raw === 'string' && raw.trim() !== '' && !Number.isNaN(Number(raw)))
      return Number(raw);
    if (typeof raw === 'bigint') return Number(raw);
    return fail();
  }
  if (type === 'dynamic') {
    // Both encodings pair the value with its type: JSON as {"value", "type"}, msgpack as [type, value].
    if (json) {
      const { value, type: actual } = raw as { value?: unknown; type?: CtyType };
      if (actual === undefined) return fail();
      return withType(fromWire(value, actual, path, true), actual);
    }
    if (!Array.isArray(raw) || raw.length !== 2) return fail();
    const [typeJson, inner] = raw as [Uint8Array | string, unknown];
    const actual = JSON.parse(
      typeof typeJson === 'string' ? typeJson : new TextDecoder().decode(typeJson),
    ) as CtyType;
    return withType(fromWire(inner, actual, path), actual);
  }
  const [kind, element] = type;
  if (kind === 'list' || kind === 'set') {
    if (!Array.isArray(raw)) return fail();
    return raw.map((item, i) => fromWire(item, element, [...path, i], json));
  }
  if (kind === 'tuple') {
    if (!Array.isArray(raw) || raw.length !== element.length) return fail();
    return raw.map((item, i) => fromWire(item, element[i] as CtyType, [...path, i], json));
  }
  if (typeof raw !== 'object' || Array.isArray(raw) || raw instanceof Uint8Array) return fail();
  const entries = raw as { [key: string]: unknown };
  const result: { [key: string]: Value } = {};
  if (kind === 'map') {
    for (const [key, item] of dataEntries(entries))
      setData(result, key, fromWire(item, element, [...path, key], json));
  } else {
    const own = new Map(dataEntries(entries));
    for (const [name, attributeType] of Object.entries(element))
      setData(result, name, fromWire(own.get(name), attributeType, [...path, name], json));
  }
  return result;
}

function withType(value: Value, type: CtyType): Value {
  if (value !== null && typeof value === 'object')
    Object.defineProperty(value, DECODED_TYPE, { value: type, enumerable: false });
  return value;
}

function toWire(value: Value, type: CtyType, path: (string | number)[]): unknown {
  if (value === UNKNOWN) return UNKNOWN;
  if (value === null || value === undefined) return null;
  const fail = (): never => {
    throw new Error(
      `value at ${pathText(path)} is not a ${typeText(type)}: ${JSON.stringify(value)?.slice(0, 80)}`,
    );
  };
  if (type === 'string') return typeof value === 'string' ? value : fail();
  if (type === 'bool') return typeof value === 'boolean' ? value : fail();
  if (type === 'number')
    return typeof value === 'number' && Number.isFinite(value) ? value : fail();
  if (type === 'dynamic') {
    // Re-use the type the value arrived with when it still fits, else describe the value as it is now.
    const decoded = (value as { [DECODED_TYPE]?: CtyType })[DECODED_TYPE];
    let actual = decoded ?? inferType(value);
    let wire: unknown;
    try {
      wire = toWire(value, actual, path);
    } catch (err) {
      if (!decoded) throw err;
      actual = inferType(value);
      wire = toWire(value, actual, path);
    }
    return [new TextEncoder().encode(JSON.stringify(actual)), wire];
  }
  const [kind, element] = type;
  if (kind === 'list' || kind === 'set') {
    if (!Array.isArray(value)) return fail();
    return value.map((item, i) => toWire(item, element, [...path, i]));
  }
  if (kind === 'tuple') {
    if (!Array.isArray(value) || value.length !== element.length) return fail();
    return value.map((item, i) => toWire(item, element[i] as CtyType, [...path, i]));
  }
  if (typeof value !== 'object' || Array.isArray(value)) return fail();
  const result: { [key: string]: unknown } = {};
  if (kind === 'map') {
    for (const [key, item] of Object.entries(value))
      setData(result, key, toWire(item, element, [...path, key]));
    return result;
  }
  const attributes = element as { [name: string]: CtyType };
  for (const name of Object.keys(value)) {
    if (!Object.hasOwn(attributes, name))
      throw new Error(
        `value at ${pathText(path)} has attribute "${name}", which its type ${typeText(type)} does not`,
      );
  }
  // An object value carries every attribute of its type, null when unset.
  for (const [name, attributeType] of Object.entries(attributes))
    setData(
      result,
      name,
      toWire(Object.hasOwn(value, name) ? value[name] : null, attributeType, [...path, name]),
    );
  return result;
}

/** The cty type a plain value has (what HCL gives a JSON literal): objects and tuples, not maps and lists. */
export function inferType(value: Value): CtyType {
  if (value === null || value === UNKNOWN) return 'dynamic';
  if (typeof value === 'string') return 'string';
  if (typeof value === 'number') return 'number';
  if (typeof value === 'boolean') return 'bool';
  if (Array.isArray(value)) return ['tuple', value.map(inferType)];
  const attributes: { [name: string]: CtyType } = {};
  for (const [name, item] of Object.entries(value)) setData(attributes, name, inferType(item));
  return ['object', attributes];
}
