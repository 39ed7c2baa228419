// ajv validators for the request, response and capabilities schemas in docs/schemas.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js';
import { MlxRequestError } from './errors.js';

// An installed package carries its copies in schemas/; the repository reads docs/schemas.
const PACKAGED_SCHEMAS = join(dirname(fileURLToPath(import.meta.url)), '../schemas');
export const SCHEMA_DIR = existsSync(PACKAGED_SCHEMAS) ? PACKAGED_SCHEMAS : join(dirname(fileURLToPath(import.meta.url)), '../../../docs/schemas');

function load(name: string): object {
  return JSON.parse(readFileSync(join(SCHEMA_DIR, `${name}.v1.schema.json`), 'utf8'));
}

let validators: { request: ValidateFunction; response: ValidateFunction; capabilities: ValidateFunction } | undefined;

function compiled() {
  if (!validators) {
    const ajv = new Ajv2020({ allErrors: false, discriminator: true, strict: false });
    validators = {
      request: ajv.compile(load('request')),
      response: ajv.compile(load('response')),
      capabilities: ajv.compile(load('capabilities')),
    };
  }
  return validators;
}

function describe(errors: ErrorObject[] | null | undefined): { path: string; message: string } {
  const e = errors?.[0];
  if (!e) return { path: '', message: 'invalid' };
  const extra = e.keyword === 'additionalProperties' ? ` "${(e.params as { additionalProperty: string }).additionalProperty}"` : '';
  return { path: e.instancePath, message: `${e.message ?? 'invalid'}${extra}` };
}

export function validateRequest(request: unknown): void {
  const v = compiled().request;
  if (!v(request)) {
    const { path, message } = describe(v.errors);
    throw new MlxRequestError('schema_violation', path, message);
  }
}

/** Returns a message when the engine's JSON breaks its schema (a bug to report). */
export function checkAgainst(kind: 'response' | 'capabilities', value: unknown): string | undefined {
  const v = compiled()[kind];
  if (v(value)) return undefined;
  const { path, message } = describe(v.errors);
  return `${kind} breaks its schema at ${path}: ${message}`;
}
