/**
 * The protobuf messages the local provider server exchanges with Terraform: only those it uses, with the field
 * numbers of Terraform's plugin protocol 6.8 (`tfplugin6`, the version Terraform 1.11 speaks) and of go-plugin's
 * controller, stdio and health services. Fields the server never reads or sets are left out: protobuf skips them.
 */
import type * as grpc from '@grpc/grpc-js';
import protobuf from 'protobufjs/light.js';

type Fields = { [name: string]: { type: string; id: number; rule?: 'repeated'; keyType?: string } };
const message = (
  fields: Fields,
  nested?: { [name: string]: protobuf.AnyNestedObject },
): protobuf.AnyNestedObject =>
  ({ fields, ...(nested ? { nested } : {}) }) as protobuf.AnyNestedObject;
const diagnostics = (id: number) => ({
  diagnostics: { type: 'tfplugin6.Diagnostic', id, rule: 'repeated' as const },
});
const empty = message({});

const tfplugin6: { [name: string]: protobuf.AnyNestedObject } = {
  DynamicValue: message({ msgpack: { type: 'bytes', id: 1 }, json: { type: 'bytes', id: 2 } }),
  Diagnostic: message(
    {
      severity: { type: 'Severity', id: 1 },
      summary: { type: 'string', id: 2 },
      detail: { type: 'string', id: 3 },
      attribute: { type: 'AttributePath', id: 4 },
    },
    { Severity: { values: { INVALID: 0, ERROR: 1, WARNING: 2 } } },
  ),
  AttributePath: message(
    { steps: { type: 'Step', id: 1, rule: 'repeated' } },
    {
      Step: {
        oneofs: {
          selector: { oneof: ['attribute_name', 'element_key_string', 'element_key_int'] },
        },
        fields: {
          attribute_name: { type: 'string', id: 1 },
          element_key_string: { type: 'string', id: 2 },
          element_key_int: { type: 'int64', id: 3 },
        },
      },
    },
  ),
  RawState: message({
    json: { type: 'bytes', id: 1 },
    flatmap: { type: 'string', keyType: 'string', id: 2 },
  }),
  StringKind: { values: { PLAIN: 0, MARKDOWN: 1 } },
  Schema: message(
    { version: { type: 'int64', id: 1 }, block: { type: 'Block', id: 2 } },
    {
      Block: message({
        version: { type: 'int64', id: 1 },
        attributes: { type: 'Attribute', id: 2, rule: 'repeated' },
        block_types: { type: 'NestedBlock', id: 3, rule: 'repeated' },
        description: { type: 'string', id: 4 },
      }),
      Attribute: message({
        name: { type: 'string', id: 1 },
        type: { type: 'bytes', id: 2 },
        description: { type: 'string', id: 3 },
        required: { type: 'bool', id: 4 },
        optional: { type: 'bool', id: 5 },
        computed: { type: 'bool', id: 6 },
        sensitive: { type: 'bool', id: 7 },
        deprecated: { type: 'bool', id: 9 },
        write_only: { type: 'bool', id: 11 },
      }),
      NestedBlock: message(
        {
          type_name: { type: 'string', id: 1 },
          block: { type: 'Block', id: 2 },
          nesting: { type: 'NestingMode', id: 3 },
          min_items: { type: 'int64', id: 4 },
          max_items: { type: 'int64', id: 5 },
        },
        { NestingMode: { values: { INVALID: 0, SINGLE: 1, LIST: 2, SET: 3, MAP: 4, GROUP: 5 } } },
      ),
    },
  ),
  ServerCapabilities: message({
    plan_destroy: { type: 'bool', id: 1 },
    get_provider_schema_optional: { type: 'bool', id: 2 },
    move_resource_state: { type: 'bool', id: 3 },
  }),
  ClientCapabilities: message({
    deferral_allowed: { type: 'bool', id: 1 },
    write_only_attributes_allowed: { type: 'bool', id: 2 },
  }),
  GetMetadata: message(
    {},
    {
      Request: empty,
      Response: message({
        server_capabilities: { type: 'tfplugin6.ServerCapabilities', id: 1 },
        ...diagnostics(2),
        data_sources: { type: 'TypeName', id: 3, rule: 'repeated' },
        resources: { type: 'TypeName', id: 4, rule: 'repeated' },
      }),
      // DataSourceMetadata and ResourceMetadata have the same one field.
      TypeName: message({ type_name: { type: 'string', id: 1 } }),
    },
  ),
  GetProviderSchema: message(
    {},
    {
      Request: empty,
      Response: message({
        provider: { type: 'tfplugin6.Schema', id: 1 },
        resource_schemas: { type: 'tfplugin6.Schema', keyType: 'string', id: 2 },
        data_source_schemas: { type: 'tfplugin6.Schema', keyType: 'string', id: 3 },
        ...diagnostics(4),
        server_capabilities: { type: 'tfplugin6.ServerCapabilities', id: 6 },
      }),
    },
  ),
  ValidateProviderConfig: message(
    {},
    {
      Request: message({ config: { type: 'tfplugin6.DynamicValue', id: 1 } }),
      Response: message(diagnostics(2)),
    },
  ),
  ValidateResourceConfig: message(
    {},
    {
      Request: message({
        type_name: { type: 'string', id: 1 },
        config: { type: 'tfplugin6.DynamicValue', id: 2 },
        client_capabilities: { type: 'tfplugin6.ClientCapabilities', id: 3 },
      }),
      Response: message(diagnostics(1)),
    },
  ),
  ValidateDataResourceConfig: message(
    {},
    {
      Request: message({
        type_name: { type: 'string', id: 1 },
        config: { type: 'tfplugin6.DynamicValue', id: 2 },
      }),
      Response: message(diagnostics(1)),
    },
  ),
  ValidateEphemeralResourceConfig: message(
    {},
    {
      Request: message({
        type_name: { type: 'string', id: 1 },
        config: { type: 'tfplugin6.DynamicValue', id: 2 },
      }),
      Response: message(diagnostics(1)),
    },
  ),
  UpgradeResourceState: message(
    {},
    {
      Request: message({
        type_name: { type: 'string', id: 1 },
        version: { type: 'int64', id: 2 },
        raw_state: { type: 'tfplugin6.RawState', id: 3 },
      }),
      Response: message({
        upgraded_state: { type: 'tfplugin6.DynamicValue', id: 1 },
        ...diagnostics(2),
      }),
    },
  ),
  ConfigureProvider: message(
    {},
    {
      Request: message({
        terraform_version: { type: 'string', id: 1 },
        config: { type: 'tfplugin6.DynamicValue', id: 2 },
        client_capabilities: { type: 'tfplugin6.ClientCapabilities', id: 3 },
      }),
      Response: message(diagnostics(1)),
    },
  ),
  ReadResource: message(
    {},
    {
      Request: message({
        type_name: { type: 'string', id: 1 },
        current_state: { type: 'tfplugin6.DynamicValue', id: 2 },
        private: { type: 'bytes', id: 3 },
      }),
      Response: message({
        new_state: { type: 'tfplugin6.DynamicValue', id: 1 },
        ...diagnostics(2),
        private: { type: 'bytes', id: 3 },
      }),
    },
  ),
  PlanResourceChange: message(
    {},
    {
      Request: message({
        type_name: { type: 'string', id: 1 },
        prior_state: { type: 'tfplugin6.DynamicValue', id: 2 },
        proposed_new_state: { type: 'tfplugin6.DynamicValue', id: 3 },
        config: { type: 'tfplugin6.DynamicValue', id: 4 },
        prior_private: { type: 'bytes', id: 5 },
      }),
      Response: message({
        planned_state: { type: 'tfplugin6.DynamicValue', id: 1 },
        requires_replace: { type: 'tfplugin6.AttributePath', id: 2, rule: 'repeated' },
        planned_private: { type: 'bytes', id: 3 },
        ...diagnostics(4),
        legacy_type_system: { type: 'bool', id: 5 },
      }),
    },
  ),
  ApplyResourceChange: message(
    {},
    {
      Request: message({
        type_name: { type: 'string', id: 1 },
        prior_state: { type: 'tfplugin6.DynamicValue', id: 2 },
        planned_state: { type: 'tfplugin6.DynamicValue', id: 3 },
        config: { type: 'tfplugin6.DynamicValue', id: 4 },
        planned_private: { type: 'bytes', id: 5 },
      }),
      Response: message({
        new_state: { type: 'tfplugin6.DynamicValue', id: 1 },
        private: { type: 'bytes', id: 2 },
        ...diagnostics(3),
        legacy_type_system: { type: 'bool', id: 4 },
      }),
    },
  ),
  ImportResourceState: message(
    {},
    {
      Request: message({ type_name: { type: 'string', id: 1 }, id: { type: 'string', id: 2 } }),
      ImportedResource: message({
        type_name: { type: 'string', id: 1 },
        state: { type: 'tfplugin6.DynamicValue', id: 2 },
        private: { type: 'bytes', id: 3 },
      }),
      Response: message({
        imported_resources: { type: 'ImportedResource', id: 1, rule: 'repeated' },
        ...diagnostics(2),
      }),
    },
  ),
  MoveResourceState: message(
    {},
    {
      Request: message({
        source_type_name: { type: 'string', id: 2 },
        target_type_name: { type: 'string', id: 5 },
      }),
      Response: message(diagnostics(2)),
    },
  ),
  ReadDataSource: message(
    {},
    {
      Request: message({
        type_name: { type: 'string', id: 1 },
        config: { type: 'tfplugin6.DynamicValue', id: 2 },
      }),
      Response: message({ state: { type: 'tfplugin6.DynamicValue', id: 1 }, ...diagnostics(2) }),
    },
  ),
  // No provider functions: the response's functions map stays empty.
  GetFunctions: message({}, { Request: empty, Response: message(diagnostics(2)) }),
  StopProvider: message(
    {},
    { Request: empty, Response: message({ Error: { type: 'string', id: 1 } }) },
  ),
};

const root = protobuf.Root.fromJSON({
  nested: {
    tfplugin6: { nested: tfplugin6 },
    plugin: {
      nested: {
        Empty: empty,
        StdioData: message({ channel: { type: 'int32', id: 1 }, data: { type: 'bytes', id: 2 } }),
      },
    },
    grpc: {
      nested: {
        health: {
          nested: {
            v1: {
              nested: {
                HealthCheckRequest: message({ service: { type: 'string', id: 1 } }),
                HealthCheckResponse: message({ status: { type: 'int32', id: 1 } }),
              },
            },
          },
        },
      },
    },
  },
});

/** A decoded message: fields by their proto name (snake_case), 64-bit integers as numbers. */
// biome-ignore lint/suspicious/noExplicitAny: protobuf messages are dynamic
export type Message = { [field: string]: any };

function codec(name: string) {
  const type = root.lookupType(name);
  return {
    serialize: (value: Message) => Buffer.from(type.encode(type.fromObject(value)).finish()),
    deserialize: (bytes: Buffer): Message =>
      type.toObject(type.decode(bytes), {
        longs: Number,
        enums: String,
        defaults: false,
        oneofs: true,
      }),
  };
}

/** A gRPC method definition; `stream` marks a server-streaming response. */
function method(
  service: string,
  name: string,
  request: string,
  response: string,
  stream = false,
): grpc.MethodDefinition<Message, Message> {
  const req = codec(request);
  const res = codec(response);
  return {
    path: `/${service}/${name}`,
    requestStream: false,
    responseStream: stream,
    requestSerialize: req.serialize,
    requestDeserialize: req.deserialize,
    responseSerialize: res.serialize,
    responseDeserialize: res.deserialize,
  };
}

/** The `tfplugin6.Provider` calls the server answers; calls not listed here get gRPC's UNIMPLEMENTED. */
export const PROVIDER_CALLS = [
  'GetMetadata',
  'GetProviderSchema',
  'ValidateProviderConfig',
  'ValidateResourceConfig',
  'ValidateDataResourceConfig',
  'ValidateEphemeralResourceConfig',
  'UpgradeResourceState',
  'ConfigureProvider',
  'ReadResource',
  'PlanResourceChange',
  'ApplyResourceChange',
  'ImportResourceState',
  'MoveResourceState',
  'ReadDataSource',
  'GetFunctions',
  'StopProvider',
] as const;
export type ProviderCall = (typeof PROVIDER_CALLS)[number];

export const providerService: grpc.ServiceDefinition = Object.fromEntries(
  PROVIDER_CALLS.map((call) => [
    call,
    method('tfplugin6.Provider', call, `tfplugin6.${call}.Request`, `tfplugin6.${call}.Response`),
  ]),
);

/** go-plugin's controller: Terraform asks the plugin to exit with Shutdown. */
export const controllerService: grpc.ServiceDefinition = {
  Shutdown: method('plugin.GRPCController', 'Shutdown', 'plugin.Empty', 'plugin.Empty'),
};

/** go-plugin's stdio stream: the server writes nothing to stdout or stderr after the handshake, so it stays empty. */
export const stdioService: grpc.ServiceDefinition = {
  StreamStdio: method('plugin.GRPCStdio', 'StreamStdio', 'plugin.Empty', 'plugin.StdioData', true),
};

/** The gRPC health service go-plugin pings (service name "plugin"). */
export const healthService: grpc.ServiceDefinition = {
  Check: method(
    'grpc.health.v1.Health',
    'Check',
    'grpc.health.v1.HealthCheckRequest',
    'grpc.health.v1.HealthCheckResponse',
  ),
};
