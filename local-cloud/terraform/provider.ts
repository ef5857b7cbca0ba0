/**
 * One provider's answers to Terraform's calls (plugin protocol 6), independent of the transport: schemas from the
 * generated files, values through the cty codec, behaviour from the registered handlers.
 */
import { appendFileSync } from 'node:fs';
import { CloudStoreError } from '../core/cloud-store';
import { decodeValue, encodeValue, fromJson } from './cty';
import { PROVIDER_FACTS, type ProviderFacts } from './facts';
import { type Attributes, AzureError, type HandlerContext, UNKNOWN, type Value } from './handler';
import type { ProviderHandlers } from './handlers/index';
import { type PathStep, type PlanDiagnostic, planChange, validateConfig } from './planner';
import type { Message, ProviderCall } from './protocol';
import {
  type BlockSchema,
  blockType,
  type CtyType,
  type ProviderSchema,
  type ResourceSchema,
} from './schema';

type Diagnostic = {
  severity: 'ERROR' | 'WARNING';
  summary: string;
  detail?: string;
  attribute?: { steps: ({ attribute_name: string } | { element_key_int: number })[] };
};

/** A call's failure as Terraform shows it: an error diagnostic. */
class DiagnosticError extends Error {
  constructor(readonly diagnostic: Diagnostic) {
    super(diagnostic.summary);
  }
}

function attributePath(steps: readonly PathStep[] | undefined) {
  return steps && steps.length > 0
    ? {
        steps: steps.map((step) =>
          typeof step === 'number' ? { element_key_int: step } : { attribute_name: step },
        ),
      }
    : undefined;
}

/** The planner's refusals as Terraform shows them. */
function diagnosticsOf(found: readonly PlanDiagnostic[]): Diagnostic[] {
  return found.map((d) => ({
    severity: 'ERROR',
    summary: d.summary,
    detail: d.detail,
    attribute: attributePath(d.path),
  }));
}

/** What a handler's exception becomes: Azure's refusal reads as the real provider's error, anything else as a bug. */
function toDiagnostic(err: unknown, what: string): Diagnostic {
  if (err instanceof DiagnosticError) return err.diagnostic;
  if (err instanceof AzureError) {
    const summary = err.message.includes(err.code) ? err.message : `${err.message} (${err.code})`;
    return { severity: 'ERROR', summary, attribute: attributePath(err.attribute) };
  }
  // The store cannot be used: its one line names the file and the way out; a stack would tell the user nothing.
  if (err instanceof CloudStoreError) return { severity: 'ERROR', summary: err.message };
  return {
    severity: 'ERROR',
    summary: `local provider failed to ${what}`,
    detail: (err as Error)?.stack ?? String(err),
  };
}

/** Set every write-only attribute to null: Terraform refuses a plan or state that holds one. */
export function withoutWriteOnly(value: Value, block: BlockSchema): Value {
  if (value === null || value === UNKNOWN || typeof value !== 'object' || Array.isArray(value))
    return value;
  const result: Attributes = { ...value };
  for (const [name, attribute] of Object.entries(block.attributes))
    if (attribute.writeOnly) result[name] = null;
  for (const [name, nested] of Object.entries(block.blocks)) {
    const item = result[name];
    if (Array.isArray(item))
      result[name] = item.map((element) => withoutWriteOnly(element, nested.block));
    else if (item !== undefined) result[name] = withoutWriteOnly(item, nested.block);
  }
  return result;
}

function schemaMessage(block: BlockSchema): Message {
  return {
    attributes: Object.entries(block.attributes).map(([name, a]) => ({
      name,
      type: Buffer.from(JSON.stringify(a.type)),
      required: a.required ?? false,
      optional: a.optional ?? false,
      computed: a.computed ?? false,
      sensitive: a.sensitive ?? false,
      write_only: a.writeOnly ?? false,
    })),
    block_types: Object.entries(block.blocks).map(([type_name, nested]) => ({
      type_name,
      block: schemaMessage(nested.block),
      nesting: nested.nesting.toUpperCase(),
      min_items: nested.minItems ?? 0,
      max_items: nested.maxItems ?? 0,
    })),
  };
}

const isObject = (value: Value): value is Attributes =>
  value !== null && value !== UNKNOWN && typeof value === 'object' && !Array.isArray(value);

/**
 * When set, every call the server answers is appended to this file as `<provider> <call> <pid>`: what Terraform asked,
 * of which process.
 */
export const CALL_LOG_VARIABLE = 'WI_LOCAL_PROVIDER_CALL_LOG';

export class LocalProvider {
  private providerConfig: Attributes = {};
  /** Aborted by StopProvider: this instance's waits end (another instance of the same process goes on). */
  private readonly stopping = new AbortController();
  /** Calls answered so far, by name: what Terraform asked of this process. */
  readonly calls = new Map<string, number>();

  /** What the real provider's source says of each type (facts/<provider>.json). */
  readonly facts: ProviderFacts;

  constructor(
    readonly schema: ProviderSchema,
    readonly handlers: ProviderHandlers,
  ) {
    const facts = PROVIDER_FACTS[schema.name];
    if (!facts)
      throw new Error(`no facts for the ${schema.name} provider (facts/${schema.name}.json)`);
    this.facts = facts;
  }

  private get context(): HandlerContext {
    return { providerConfig: this.providerConfig, stopping: this.stopping.signal };
  }

  private resource(type: string): ResourceSchema {
    const schema = this.schema.resources[type];
    if (!schema)
      throw new DiagnosticError({
        severity: 'ERROR',
        summary: `Invalid resource type: the ${this.schema.name} provider does not serve ${type}`,
      });
    return schema;
  }

  private dataSource(type: string): ResourceSchema {
    const schema = this.schema.dataSources[type];
    if (!schema)
      throw new DiagnosticError({
        severity: 'ERROR',
        summary: `Invalid data source: the ${this.schema.name} provider does not serve ${type}`,
      });
    return schema;
  }

  private decode(dynamic: Message | undefined, type: CtyType): Value {
    if (!dynamic) return null;
    if (dynamic.msgpack && dynamic.msgpack.length > 0) return decodeValue(dynamic.msgpack, type);
    if (dynamic.json && dynamic.json.length > 0)
      return fromJson(JSON.parse(Buffer.from(dynamic.json).toString('utf8')), type);
    return null;
  }

  private encode(value: Value, type: CtyType): Message {
    return { msgpack: Buffer.from(encodeValue(value, type)) };
  }

  private resourceHandler(type: string) {
    const handler = this.handlers.resources[type];
    if (!handler)
      throw new DiagnosticError({
        severity: 'ERROR',
        summary: `The local cloud does not model ${type} (no handler registered for it in local-cloud/terraform/handlers)`,
      });
    return handler;
  }

  /** Answer one call; a failure becomes the response's error diagnostic, as Terraform expects. */
  async call(name: ProviderCall, request: Message): Promise<Message> {
    this.calls.set(name, (this.calls.get(name) ?? 0) + 1);
    const log = process.env[CALL_LOG_VARIABLE];
    if (log) appendFileSync(log, `${this.schema.name} ${name} ${process.pid}\n`);
    try {
      return await this.answer(name, request);
    } catch (err) {
      return { diagnostics: [toDiagnostic(err, name)] };
    }
  }

  private async answer(name: ProviderCall, request: Message): Promise<Message> {
    switch (name) {
      case 'GetMetadata':
        return {
          server_capabilities: { get_provider_schema_optional: true },
          resources: Object.keys(this.schema.resources).map((type_name) => ({ type_name })),
          data_sources: Object.keys(this.schema.dataSources).map((type_name) => ({ type_name })),
        };
      case 'GetProviderSchema': {
        const schemas = (all: { [type: string]: ResourceSchema }) =>
          Object.fromEntries(
            Object.entries(all).map(([type, s]) => [
              type,
              { version: 0, block: schemaMessage(s.block) },
            ]),
          );
        return {
          provider: { version: 0, block: schemaMessage(this.schema.provider) },
          resource_schemas: schemas(this.schema.resources),
          data_source_schemas: schemas(this.schema.dataSources),
          server_capabilities: { get_provider_schema_optional: true },
        };
      }
      case 'GetFunctions':
        return {};
      case 'ValidateProviderConfig':
        this.decode(request.config, blockType(this.schema.provider));
        return {};
      case 'ValidateResourceConfig':
      case 'ValidateDataResourceConfig': {
        // Types, required arguments and ephemeral values are Terraform's own checks, against the schema; the
        // provider's validators and combinations of arguments are the planner's, from the facts.
        const kind = name === 'ValidateResourceConfig' ? 'resources' : 'dataSources';
        const schema =
          kind === 'resources'
            ? this.resource(request.type_name)
            : this.dataSource(request.type_name);
        const config = this.decode(request.config, blockType(schema.block));
        if (!isObject(config)) return {};
        const found = validateConfig(
          this.facts,
          this.facts[kind][request.type_name],
          schema.block,
          config,
        );
        return found.length > 0 ? { diagnostics: diagnosticsOf(found) } : {};
      }
      case 'ValidateEphemeralResourceConfig':
        throw new DiagnosticError({
          severity: 'ERROR',
          summary: `The ${this.schema.name} provider serves no ephemeral resource ${request.type_name}`,
        });
      case 'ConfigureProvider': {
        const config = this.decode(request.config, blockType(this.schema.provider));
        this.providerConfig = isObject(config) ? config : {};
        return {};
      }
      case 'StopProvider':
        this.stopping.abort();
        return { Error: '' };
      case 'MoveResourceState':
        throw new DiagnosticError({
          severity: 'ERROR',
          summary: `Unsupported Resource Move: the local ${this.schema.name} provider moves no state into ${request.target_type_name}`,
        });
      case 'UpgradeResourceState':
        return this.upgrade(request);
      case 'PlanResourceChange':
        return this.plan(request);
      case 'ApplyResourceChange':
        return this.apply(request);
      case 'ReadResource':
        return this.read(request);
      case 'ImportResourceState':
        return this.importState(request);
      case 'ReadDataSource':
        return this.readDataSource(request);
    }
  }

  private legacy(schema: ResourceSchema): boolean {
    return schema.legacyTypeSystem ?? false;
  }

  private upgrade(request: Message): Message {
    const schema = this.resource(request.type_name);
    const type = blockType(schema.block);
    const raw = request.raw_state?.json
      ? JSON.parse(Buffer.from(request.raw_state.json).toString('utf8'))
      : null;
    if (raw === null)
      throw new DiagnosticError({
        severity: 'ERROR',
        summary: `state of ${request.type_name} is not JSON (flatmap state of Terraform < 0.12 is not supported)`,
      });
    // Attributes that the schema no longer has are dropped, as the legacy SDK does.
    return { upgraded_state: this.encode(fromJson(raw, type), type) };
  }

  private async plan(request: Message): Promise<Message> {
    const schema = this.resource(request.type_name);
    const type = blockType(schema.block);
    const prior = this.decode(request.prior_state, type);
    const proposed = this.decode(request.proposed_new_state, type);
    const config = this.decode(request.config, type);
    const response: Message = {
      planned_private: request.prior_private,
      legacy_type_system: this.legacy(schema),
    };
    if (!isObject(proposed)) return { ...response, planned_state: this.encode(null, type) };
    const handler = this.resourceHandler(request.type_name);
    const priorState = isObject(prior) ? prior : null;
    const configuration = isObject(config) ? config : {};
    const facts = this.facts.resources[request.type_name];
    // Terraform validates before it plans; values known only now are validated here.
    const refused = validateConfig(this.facts, facts, schema.block, configuration);
    if (refused.length > 0) return { diagnostics: diagnosticsOf(refused) };
    const change = planChange({
      provider: this.facts,
      facts,
      block: schema.block,
      prior: priorState,
      proposed,
      config: configuration,
    });
    // What the resource's own planning code adds to the SDK's rules (kubernetes_manifest's object).
    const planned =
      handler.plan?.({
        prior: priorState,
        planned: change.planned,
        config: configuration,
        context: this.context,
      }) ?? change.planned;
    return {
      ...response,
      planned_state: this.encode(withoutWriteOnly(planned, schema.block), type),
      requires_replace: change.requiresReplace.map((path) => attributePath(path)),
    };
  }

  private async apply(request: Message): Promise<Message> {
    const schema = this.resource(request.type_name);
    const type = blockType(schema.block);
    const prior = this.decode(request.prior_state, type);
    const planned = this.decode(request.planned_state, type);
    const config = this.decode(request.config, type);
    const handler = this.resourceHandler(request.type_name);
    const response: Message = {
      private: request.planned_private,
      legacy_type_system: this.legacy(schema),
    };
    const configuration = isObject(config) ? config : {};
    let state: Value;
    if (!isObject(planned)) {
      if (isObject(prior)) await handler.delete({ state: prior, context: this.context });
      state = null;
    } else if (!isObject(prior)) {
      state = await handler.create({ planned, config: configuration, context: this.context });
    } else {
      state = await handler.update({
        prior,
        planned,
        config: configuration,
        context: this.context,
      });
    }
    return { ...response, new_state: this.encode(withoutWriteOnly(state, schema.block), type) };
  }

  private async read(request: Message): Promise<Message> {
    const schema = this.resource(request.type_name);
    const type = blockType(schema.block);
    const current = this.decode(request.current_state, type);
    if (!isObject(current)) return { new_state: this.encode(null, type), private: request.private };
    const state = await this.resourceHandler(request.type_name).read({
      state: current,
      context: this.context,
    });
    return {
      new_state: this.encode(withoutWriteOnly(state, schema.block), type),
      private: request.private,
    };
  }

  private async importState(request: Message): Promise<Message> {
    const schema = this.resource(request.type_name);
    const handler = this.resourceHandler(request.type_name);
    if (!handler.importState) {
      throw new DiagnosticError({
        severity: 'ERROR',
        summary: `Resource Import Not Implemented: the local cloud cannot import ${request.type_name}`,
      });
    }
    const state = await handler.importState({ id: request.id, context: this.context });
    return {
      imported_resources: [
        {
          type_name: request.type_name,
          state: this.encode(withoutWriteOnly(state, schema.block), blockType(schema.block)),
        },
      ],
    };
  }

  private async readDataSource(request: Message): Promise<Message> {
    const schema = this.dataSource(request.type_name);
    const type = blockType(schema.block);
    const config = this.decode(request.config, type);
    const handler = this.handlers.dataSources[request.type_name];
    if (!handler)
      throw new DiagnosticError({
        severity: 'ERROR',
        summary: `The local cloud does not model data source ${request.type_name} (no handler registered for it in local-cloud/terraform/handlers)`,
      });
    const configuration = isObject(config) ? config : {};
    const state = await handler.read({ config: configuration, context: this.context });
    // What the configuration set stays as set; the handler fills in the rest.
    return {
      state: this.encode(withoutWriteOnly({ ...configuration, ...state }, schema.block), type),
    };
  }
}
