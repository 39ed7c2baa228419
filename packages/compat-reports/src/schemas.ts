// ajv validation of the parity report and the matrix against docs/schemas.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { ROOT } from './symbols.js';

/** The schema's complaints about `value` (empty when it is valid). */
export function validate(kind: 'parity-report' | 'compatibility-matrix', value: unknown): string[] {
  const schema = JSON.parse(readFileSync(join(ROOT, `docs/schemas/${kind}.v1.schema.json`), 'utf8'));
  const check = new Ajv2020({ allErrors: true, strict: false }).compile(schema);
  return check(value) ? [] : (check.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message}`);
}
