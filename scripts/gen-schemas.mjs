// Writes docs/schemas/*.v1.schema.json from the engine's op registry (read
// through its capabilities call), so the schemas never list ops by hand.
// --check: exit 1 when the committed schemas differ from what the registry gives.
import { readFileSync, writeFileSync, existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import koffi from 'koffi';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const libPath = process.env.MLXCOMPAT_LIBRARY ?? join(root, 'build/native/libmlxcompat.so');
const lib = koffi.load(libPath);
const capabilitiesFn = lib.func('void *mlxcompat_capabilities(void)');
const stringFree = lib.func('void mlxcompat_string_free(void *s)');
const raw = capabilitiesFn();
const caps = JSON.parse(koffi.decode(raw, 'char', -1));
stringFree(raw);

const special = { enum: ['nan', 'inf', '-inf'] };
const intList = { type: 'array', items: { type: 'integer' } };
const attrSchema = {
  int: { type: 'integer' },
  int_list: intList,
  int_or_int_list: { oneOf: [{ type: 'integer' }, intList] },
  axes: { oneOf: [{ type: 'null' }, { type: 'integer' }, intList] },
  float: { oneOf: [{ type: 'number' }, special] },
  scalar: { oneOf: [{ type: 'number' }, { type: 'boolean' }, special] },
  bool: { type: 'boolean' },
  dtype: { $ref: '#/$defs/dtype' },
  shape: { type: 'array', items: { type: 'integer', minimum: 0 } },
  enum: { type: 'string' },
  string: { type: 'string' },
};

const id = { type: 'string', pattern: '^[A-Za-z_][A-Za-z0-9_.\\-]{0,127}$' };
const ref = { type: 'string', pattern: '^[A-Za-z_][A-Za-z0-9_.\\-]{0,127}(:[0-9]{1,6})?$' };
// an output may also name every output of a node: "id:*"
const outRef = { type: 'string', pattern: '^[A-Za-z_][A-Za-z0-9_.\\-]{0,127}(:([0-9]{1,6}|\\*))?$' };
const shape = { type: 'array', items: { type: 'integer', minimum: 0 } };

const nodeSchemas = caps.ops.map((op) => {
  const properties = Object.fromEntries(
    op.attrs.map((a) => {
      const base = a.type === 'enum' ? { enum: a.choices } : attrSchema[a.type];
      return [a.name, a.nullable && a.type !== 'axes' ? { oneOf: [base, { type: 'null' }] } : base];
    }),
  );
  const inputs = { type: 'array', items: { $ref: '#/$defs/ref' }, minItems: op.inputs.min };
  if (op.inputs.max !== null) inputs.maxItems = op.inputs.max;
  return {
    type: 'object',
    required: ['id', 'op', ...(op.inputs.min > 0 ? ['inputs'] : []), ...(op.attrs.some((a) => a.required) ? ['attrs'] : [])],
    additionalProperties: false,
    properties: {
      id: { $ref: '#/$defs/id' },
      op: { const: op.name },
      inputs,
      attrs: {
        type: 'object',
        additionalProperties: false,
        required: op.attrs.filter((a) => a.required).map((a) => a.name),
        properties,
      },
    },
  };
});

const value = { oneOf: [{ type: 'number' }, { type: 'boolean' }, special, { type: 'array' }] };
const request = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  $id: 'https://mlx-compat.dev/schemas/request.v1.schema.json',
  title: 'mlx-compat eval request, schema version 1 (generated from the op registry)',
  type: 'object',
  required: ['schema_version'],
  additionalProperties: false,
  properties: {
    schema_version: { const: 1 },
    device: { type: 'string' },
    // which backend runs the request (default: the session's)
    backend: { enum: caps.backends.map((b) => b.name) },
    // keep this request's graph as a plan under this name (inputs may be placeholders)
    define_plan: { $ref: '#/$defs/id' },
    // run a kept plan: inputs give its placeholders by id
    run_plan: { $ref: '#/$defs/id' },
    // a run_plan's response: "full" (the default) or "compact" (handles and buffer indices only)
    reply: { enum: ['full', 'compact'] },
    // write the graph as an MLX function (.mlxfn) of its placeholders (the mlx backend)
    export_function: {
      type: 'object',
      required: ['file'],
      additionalProperties: false,
      properties: {
        file: { type: 'string', minLength: 1 },
        shapeless: { type: 'boolean' },
        // one tracing per entry (default: every placeholder in input order, every output)
        traces: {
          type: 'array',
          minItems: 1,
          items: {
            type: 'object',
            required: ['inputs', 'outputs'],
            additionalProperties: false,
            properties: { inputs: { type: 'array', items: { $ref: '#/$defs/id' } }, outputs: { type: 'array', items: { $ref: '#/$defs/outRef' } } },
          },
        },
      },
    },
    inputs: {
      type: 'array',
      items: {
        type: 'object',
        required: ['id'],
        additionalProperties: false,
        properties: {
          id: { $ref: '#/$defs/id' },
          dtype: { $ref: '#/$defs/dtype' },
          shape,
          data: value,
          base64: { type: 'string' },
          buffer: { type: 'integer', minimum: 0 },
          handle: { type: 'string' },
          placeholder: { const: true },
        },
        // dtype and shape come with data, except for handles and for the inputs of run_plan
        oneOf: [
          { required: ['data'] },
          { required: ['base64'] },
          { required: ['buffer'] },
          { required: ['handle'] },
          { required: ['placeholder', 'dtype', 'shape'] },
        ],
      },
    },
    nodes: {
      type: 'array',
      items: {
        type: 'object',
        required: ['op'],
        properties: { op: { enum: caps.ops.map((o) => o.name) } },
        discriminator: { propertyName: 'op' },
        oneOf: nodeSchemas,
      },
    },
    outputs: {
      type: 'array',
      items: {
        oneOf: [
          { $ref: '#/$defs/outRef' },
          {
            type: 'object',
            required: ['ref'],
            additionalProperties: false,
            properties: { ref: { $ref: '#/$defs/outRef' }, as: { enum: ['inline', 'base64', 'buffer', 'handle'] } },
          },
        ],
      },
    },
  },
  $defs: { id, ref, outRef, dtype: { enum: caps.dtypes } },
};

// what a receipt counts, in the full response and the compact reply
const receiptCounts = {
  op_count: { type: 'integer', minimum: 0 },
  fused_groups: { type: 'integer', minimum: 0 },
  elapsed_ms: { type: 'number', minimum: 0 },
};

const response = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  $id: 'https://mlx-compat.dev/schemas/response.v1.schema.json',
  title: 'mlx-compat eval response, schema version 1',
  type: 'object',
  required: ['schema_version', 'status'],
  properties: { schema_version: { const: 1 }, status: { enum: ['ok', 'refused', 'error'] } },
  oneOf: [
    {
      properties: {
        status: { const: 'ok' },
        outputs: {
          type: 'array',
          items: {
            type: 'object',
            required: ['ref', 'dtype', 'shape'],
            additionalProperties: false,
            properties: {
              ref: { type: 'string' },
              dtype: { enum: caps.dtypes },
              shape,
              data: { type: 'array' },
              base64: { type: 'string' },
              buffer: { type: 'integer', minimum: 0 },
              handle: { type: 'string' },
            },
            oneOf: [{ required: ['data'] }, { required: ['base64'] }, { required: ['buffer'] }, { required: ['handle'] }],
          },
        },
        receipt: {
          type: 'object',
          required: ['engine', 'engine_version', 'op_count', 'elapsed_ms'],
          properties: {
            engine: { type: 'string' },
            engine_version: { type: 'string' },
            backend: { enum: caps.backends.map((b) => b.name) },
            backend_version: { type: 'string' },
            ...receiptCounts,
          },
        },
      },
      required: ['outputs', 'receipt'],
    },
    {
      // the compact reply of a run_plan request ("reply": "compact") or of
      // mlxcompat_eval_compact: each output's handle or buffer index, in
      // order, their types as numbers (dtype index in capabilities' dtypes,
      // rank, dimensions, output after output) and the receipt's counts
      properties: {
        status: { const: 'ok' },
        compact: {
          type: 'object',
          required: ['outputs', 'types', 'op_count', 'fused_groups', 'elapsed_ms'],
          additionalProperties: false,
          properties: {
            outputs: { type: 'array', items: { oneOf: [{ type: 'string' }, { type: 'integer', minimum: 0 }] } },
            types: { type: 'array', items: { type: 'integer', minimum: 0 } },
            ...receiptCounts,
          },
        },
      },
      required: ['compact'],
    },
    {
      properties: {
        status: { const: 'refused' },
        refusal: {
          type: 'object',
          required: ['code', 'scope', 'subject', 'detail'],
          additionalProperties: false,
          properties: {
            code: { enum: ['unsupported_op', 'unsupported_dtype', 'unsupported_attr', 'unsupported_device', 'unsupported_output', 'unsupported_backend', 'resource_limit'] },
            scope: { type: 'string' },
            subject: { type: 'string' },
            detail: { type: 'string' },
          },
        },
      },
      required: ['refusal'],
    },
    {
      properties: {
        status: { const: 'error' },
        error: {
          type: 'object',
          required: ['code', 'path', 'message'],
          additionalProperties: false,
          properties: { code: { type: 'string' }, path: { type: 'string' }, message: { type: 'string' } },
        },
      },
      required: ['error'],
    },
  ],
};

const capabilities = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  $id: 'https://mlx-compat.dev/schemas/capabilities.v1.schema.json',
  title: 'mlx-compat engine capabilities, schema version 1',
  type: 'object',
  required: ['schema_version', 'engine', 'engine_version', 'devices', 'backends', 'dtypes', 'ops', 'limits'],
  additionalProperties: false,
  properties: {
    schema_version: { const: 1 },
    engine: { type: 'string' },
    engine_version: { type: 'string' },
    devices: { type: 'array', items: { type: 'string' } },
    backends: {
      type: 'array',
      items: {
        type: 'object',
        required: ['name', 'available'],
        additionalProperties: false,
        properties: {
          name: { type: 'string' },
          available: { type: 'boolean' },
          version: { type: 'string' },
          devices: { type: 'array', items: { type: 'string' } },
          library: { type: 'string', description: 'where the backend loads its library from' },
          reason: { type: 'string', description: 'why the backend is unavailable' },
        },
      },
    },
    dtypes: { type: 'array', items: { type: 'string' } },
    ops: {
      type: 'array',
      items: {
        type: 'object',
        required: ['name', 'family', 'inputs', 'attrs', 'dtype_rule', 'elementwise', 'backends', 'shapeless'],
        additionalProperties: false,
        properties: {
          name: { type: 'string' },
          family: { type: 'string' },
          inputs: { type: 'object', properties: { min: { type: 'integer' }, max: { type: ['integer', 'null'] } } },
          attrs: {
            type: 'array',
            items: {
              type: 'object',
              required: ['name', 'type', 'required', 'nullable', 'default'],
              additionalProperties: false,
              properties: {
                name: { type: 'string' }, type: { enum: Object.keys(attrSchema) }, required: { type: 'boolean' }, nullable: { type: 'boolean' }, default: {},
                choices: { type: 'array', items: { type: 'string' } },
              },
            },
          },
          dtype_rule: { type: 'string' },
          elementwise: { type: 'boolean' },
          backends: { type: 'array', items: { type: 'string' }, description: 'the backends with a kernel for the op' },
          shapeless: { type: 'boolean', description: "the output's shape follows from the inputs' shapes alone (false where attributes fix sizes)" },
          kernel_dtypes: { type: 'array', items: { enum: caps.dtypes } },
        },
      },
    },
    limits: { type: 'object', additionalProperties: { type: 'integer' } },
  },
};

const outputs = {
  'request.v1.schema.json': request,
  'response.v1.schema.json': response,
  'capabilities.v1.schema.json': capabilities,
};
let stale = [];
for (const [name, schema] of Object.entries(outputs)) {
  const file = join(root, 'docs/schemas', name);
  const text = JSON.stringify(schema, null, 2) + '\n';
  if (process.argv.includes('--check')) {
    if (!existsSync(file) || readFileSync(file, 'utf8') !== text) stale.push(name);
  } else {
    writeFileSync(file, text);
  }
}
if (stale.length) {
  console.error(`schemas out of date with the op registry: ${stale.join(', ')} (run npm run schemas)`);
  process.exit(1);
}
console.log(process.argv.includes('--check') ? 'schemas match the op registry' : `wrote ${Object.keys(outputs).length} schemas for ${caps.ops.length} ops`);
