/**
 * The API server's validation of the objects the local cluster keeps, for the rules the project's objects can break,
 * as field errors worded by k8s.io/apimachinery's field.Error (`<path>: <type>[: <value>][: <detail>]`), and the
 * decoder's bound on how deep an object may nest.
 *
 * Sources, release 1.35: k8s.io/apimachinery v0.35.7 (cited with lines) and kubernetes/kubernetes
 * pkg/apis/core/validation/validation.go (cited by function: ValidatePod, ValidatePodSpec, validateContainers,
 * validateInitContainers, validateContainerCommon, ValidatePodTemplateSpec; apps' ValidateDeployment calls the last
 * with the path `spec.template`).
 */

/** `TotalAnnotationSizeLimitB`: 256 KiB of keys and values (kubernetes/apimachinery@v0.35.7:pkg/api/validation/objectmeta.go:36). */
export const TOTAL_ANNOTATION_SIZE_LIMIT_BYTES = 256 * 1024;

/**
 * How deep JSON may nest where the API machinery decodes it: `maxDepth` "to prevent stack overflow errors"
 * (kubernetes/apimachinery@v0.35.7:pkg/util/json/json.go:40, refused at :67-68 with `exceeded max depth of 10000`);
 * the JSON scanner it decodes with bounds its own stack at the same 10000, the object itself counting as the first
 * level (kubernetes-sigs/json@cfa47c3:internal/golang/encoding/json/scanner.go:146 `maxNestingDepth`, refused at
 * :180-183; apimachinery v0.35.7 pins a later commit of that module, not read here).
 */
export const MAX_JSON_DEPTH = 10_000;

/**
 * How deep the local cloud itself can take an object: Node's own structuredClone and JSON overflow the stack near
 * 2,400 and 4,100 levels (Node 20), and the three-way merge recurses once or twice a level. This is the local cloud's
 * limit, not Kubernetes': an object between this and MAX_JSON_DEPTH is refused with words that say so.
 */
export const LOCAL_MAX_DEPTH = 1_000;

/** The deepest nesting of maps and lists in `value` (the value itself is level 1), walked without recursion. */
export function nestingDepth(value: unknown, stopAbove = Number.POSITIVE_INFINITY): number {
  let deepest = 0;
  const stack: [unknown, number][] = [[value, 1]];
  while (stack.length > 0) {
    const [item, depth] = stack.pop() as [unknown, number];
    if (item === null || typeof item !== 'object') continue;
    if (depth > deepest) deepest = depth;
    if (deepest > stopAbove) return deepest;
    for (const child of Object.values(item)) stack.push([child, depth + 1]);
  }
  return deepest;
}

// field.Error's ErrorBody for a string value: Go's %q (kubernetes/apimachinery@v0.35.7:pkg/util/validation/field/errors.go:88-89);
// JSON's quoting is the same for the printable names that reach here.
const quoted = (value: string) => JSON.stringify(value);

/** `field.Required(path, "")`: `<path>: Required value` (field/errors.go:63-64 Error, :76-77, :179-180, :216). */
const required = (path: string) => `${path}: Required value`;
/** `field.Duplicate(path, value)`: `<path>: Duplicate value: "<value>"` (field/errors.go:78-89, :181-182, :222). */
const duplicate = (path: string, value: string) => `${path}: Duplicate value: ${quoted(value)}`;
/**
 * `field.TooLong(path, "", max)`: `<path>: Too long: may not be more than <max> bytes` (field/errors.go:76-77, :189-190,
 * :259-270). Since release 1.34 (k8s.io/apimachinery v0.34.0); releases before it said `must have at most <max> bytes`.
 */
const tooLong = (path: string, max: number) =>
  `${path}: Too long: may not be more than ${max} ${max === 1 ? 'byte' : 'bytes'}`;

/**
 * ValidateAnnotations' size rule: keys and values together, in bytes, at most 256 KiB
 * (kubernetes/apimachinery@v0.35.7:pkg/api/validation/objectmeta.go:52-53 and ValidateAnnotationsSize :58-66). Every
 * object's `metadata.annotations` passes it on create and update (objectmeta.go:267, :338).
 */
export function validateAnnotations(annotations: unknown, path: string): string[] {
  if (!annotations || typeof annotations !== 'object') return [];
  let total = 0;
  for (const [key, value] of Object.entries(annotations))
    total += Buffer.byteLength(key, 'utf8') + Buffer.byteLength(String(value ?? ''), 'utf8');
  return total > TOTAL_ANNOTATION_SIZE_LIMIT_BYTES
    ? [tooLong(path, TOTAL_ANNOTATION_SIZE_LIMIT_BYTES)]
    : [];
}

type ContainerLike = { name?: unknown } | null | undefined;

const nameOf = (container: ContainerLike): string =>
  typeof container?.name === 'string' ? container.name : '';

/**
 * ValidatePodSpec's container rules (validation.go, release 1.35):
 * - validateContainers: `containers` is required (`<path>.containers: Required value`, and nothing more is checked);
 *   each container's name is required (validateContainerCommon: `field.Required(namePath, "")`) and unique among the
 *   containers (`field.Duplicate(path.Child("name"), ctr.Name)`, an empty name counted too);
 * - validateInitContainers, after them: an init container's name must not be one of the containers' or of an earlier
 *   init container's (an empty one is not remembered).
 */
export function validatePodSpecContainers(spec: unknown, path: string): string[] {
  const podSpec = (spec ?? {}) as { containers?: unknown; initContainers?: unknown };
  const containers = Array.isArray(podSpec.containers)
    ? (podSpec.containers as ContainerLike[])
    : [];
  const initContainers = Array.isArray(podSpec.initContainers)
    ? (podSpec.initContainers as ContainerLike[])
    : [];
  const errors: string[] = [];
  if (containers.length === 0) errors.push(required(`${path}.containers`));
  const names = new Set<string>();
  for (const [i, container] of containers.entries()) {
    const name = nameOf(container);
    if (name === '') errors.push(required(`${path}.containers[${i}].name`));
    if (names.has(name)) errors.push(duplicate(`${path}.containers[${i}].name`, name));
    else names.add(name);
  }
  const allNames = new Set(containers.map(nameOf));
  for (const [i, container] of initContainers.entries()) {
    const name = nameOf(container);
    if (name === '') errors.push(required(`${path}.initContainers[${i}].name`));
    if (allNames.has(name)) errors.push(duplicate(`${path}.initContainers[${i}].name`, name));
    else if (name !== '') allNames.add(name);
  }
  return errors;
}

type Meta = { readonly [field: string]: unknown } | undefined;

/**
 * The field errors of an object on create or update, in the API server's order: ValidateObjectMeta (annotations)
 * first, then the kind's own rules (ValidatePod: ValidatePodSpec at `spec`; ValidateDeployment: the pod template's
 * annotations at `spec.template.annotations` and its ValidatePodSpec at `spec.template.spec`).
 */
export function validateObjectFields(object: {
  kind: string;
  metadata?: Meta;
  spec?: unknown;
}): string[] {
  const errors = validateAnnotations(object.metadata?.annotations, 'metadata.annotations');
  if (object.kind === 'Pod') errors.push(...validatePodSpecContainers(object.spec, 'spec'));
  if (object.kind === 'Deployment') {
    const template = (object.spec as { template?: { metadata?: Meta; spec?: unknown } } | undefined)
      ?.template;
    errors.push(
      ...validateAnnotations(template?.metadata?.annotations, 'spec.template.annotations'),
      ...validatePodSpecContainers(template?.spec, 'spec.template.spec'),
    );
  }
  return errors;
}
