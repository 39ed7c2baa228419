// ajv validators for the request, response and capabilities schemas in docs/schemas.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';
import type { Ajv2020, ErrorObject, ValidateFunction } from 'ajv/dist/2020.js';
import { MlxRequestError } from './errors.js';

// An installed package carries its copies in schemas/; the repository reads docs/schemas.
const PACKAGED_SCHEMAS = join(dirname(fileURLToPath(import.meta.url)), '../schemas');
export const SCHEMA_DIR = existsSync(PACKAGED_SCHEMAS) ? PACKAGED_SCHEMAS : join(dirname(fileURLToPath(import.meta.url)), '../../../docs/schemas');

function load(name: string): object {
  return JSON.parse(readFileSync(join(SCHEMA_DIR, `${name}.v1.schema.json`), 'utf8'));
}

type Kind = 'request' | 'response' | 'capabilities';
// Each compiled on first use: the request schema (an entry per op) takes
// seconds to compile, which a caller that never validates requests must not pay.
const validators = new Map<Kind, ValidateFunction>();
let ajv: Ajv2020 | undefined;

function compiled(kind: Kind): ValidateFunction {
  let v = validators.get(kind);
  if (!v) {
    // ajv itself loads on first use too: a program that never validates skips it
    ajv ??= new (createRequire(import.meta.url)('ajv/dist/2020.js') as typeof import('ajv/dist/2020.js')).Ajv2020({
      allErrors: false,
      discriminator: true,
      strict: false,
    });
    v = ajv.compile(load(kind));
    validators.set(kind, v);
  }
  return v;
}

function describe(errors: ErrorObject[] | null | undefined): { path: string; message: string } {
  const e = errors?.[0];
  if (!e) return { path: '', message: 'invalid' };
  const extra = e.keyword === 'additionalProperties' ? ` "${(e.params as { additionalProperty: string }).additionalProperty}"` : '';
  return { path: e.instancePath, message: `${e.message ?? 'invalid'}${extra}` };
}

export function validateRequest(request: unknown): void {
  const v = compiled('request');
  if (!v(request)) {
    const { path, message } = describe(v.errors);
    throw new MlxRequestError('schema_violation', path, message);
  }
}

/** Returns a message when the engine's JSON breaks its schema (a bug to report). */
export function checkAgainst(kind: 'response' | 'capabilities', value: unknown): string | undefined {
  const v = compiled(kind);
  if (v(value)) return undefined;
  const { path, message } = describe(v.errors);
  return `${kind} breaks its schema at ${path}: ${message}`;
}
