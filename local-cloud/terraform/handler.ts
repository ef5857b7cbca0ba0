/**
 * The contract between the local Terraform provider server (plugin protocol 6) and the resources it serves.
 *
 * The server speaks the protocol: handshake, schemas, cty/msgpack values, plan and apply. A handler gives one
 * resource type or data source its Azure (or Kubernetes, or time) behaviour against the local cloud's store,
 * and refuses what Azure refuses with an `AzureError` carrying Azure's own code and text.
 */

/** A value that Terraform will know only after apply (cty's unknown). */
export const UNKNOWN: unique symbol = Symbol('unknown');

/** A cty value as handlers see it: objects by attribute name, nested blocks as arrays of objects (or one object
 * for a block with at most one item, as the provider schema nests it), unknowns as `UNKNOWN`. */
export type Value =
  | null
  | string
  | number
  | boolean
  | typeof UNKNOWN
  | Value[]
  | { [attribute: string]: Value };
/** One resource instance's attributes. */
export type Attributes = { [attribute: string]: Value };

/** What a handler may use: the provider block's own settings and the shared store of the local cloud. */
export interface HandlerContext {
  /** The provider block's configuration (e.g. azurerm `tenant_id`, `subscription_id`, `features`). */
  readonly providerConfig: Attributes;
  /**
   * Aborted when Terraform sends this provider StopProvider (Ctrl-C): waits in progress end at once, as the real
   * providers' do when their request context is cancelled. Absent: never stopped.
   */
  readonly stopping?: AbortSignal;
}

/** Azure's refusal: becomes an error diagnostic whose summary and detail read as the real provider's would. */
export class AzureError extends Error {
  constructor(
    /** Azure's error code, e.g. `VaultAlreadyExists`, `ForbiddenByRbac`. */
    readonly code: string,
    message: string,
    /** The attribute the error is about, when there is one. */
    readonly attribute?: readonly string[],
  ) {
    super(message);
    this.name = 'AzureError';
  }
}

/** One managed resource type. */
export interface ResourceHandler {
  /**
   * What the resource's own planning code adds to the generic planner's result (`planned`), for values no schema
   * fact describes (kubernetes_manifest's `object`). It never decides whether a change replaces: the facts do.
   * @default - the generic planner's result
   */
  plan?(args: {
    prior: Attributes | null;
    planned: Attributes;
    config: Attributes;
    context: HandlerContext;
  }): Attributes;
  /** Create: `config` still holds write-only values (e.g. `value_wo`), which must never be returned in the state. */
  create(args: {
    planned: Attributes;
    config: Attributes;
    context: HandlerContext;
  }): Promise<Attributes>;
  /** Refresh: the current state, or null when the resource is gone. */
  read(args: { state: Attributes; context: HandlerContext }): Promise<Attributes | null>;
  update(args: {
    prior: Attributes;
    planned: Attributes;
    config: Attributes;
    context: HandlerContext;
  }): Promise<Attributes>;
  delete(args: { state: Attributes; context: HandlerContext }): Promise<void>;
  /** `terraform import`: the state of the resource with Azure id `id`. */
  importState?(args: { id: string; context: HandlerContext }): Promise<Attributes>;
}

/** One data source. */
export interface DataSourceHandler {
  read(args: { config: Attributes; context: HandlerContext }): Promise<Attributes>;
}
