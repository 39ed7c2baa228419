// Dtypes as singleton objects, with MLX's categories and promotion rules.
import type { DType as DTypeName } from 'mlx-capi-bridge';

export type { DTypeName as DtypeName };

export type Category = 'bool' | 'unsignedinteger' | 'signedinteger' | 'floating' | 'complexfloating';

export class Dtype {
  /** @internal */
  constructor(readonly name: DTypeName, readonly size: number, readonly category: Category) {}
  toString(): string {
    return this.name;
  }
}

export const bool = new Dtype('bool', 1, 'bool');
/** node-mlx's name for bool (Python's `bool_`). */
export const bool_ = bool;
export const uint8 = new Dtype('uint8', 1, 'unsignedinteger');
export const uint16 = new Dtype('uint16', 2, 'unsignedinteger');
export const uint32 = new Dtype('uint32', 4, 'unsignedinteger');
export const uint64 = new Dtype('uint64', 8, 'unsignedinteger');
export const int8 = new Dtype('int8', 1, 'signedinteger');
export const int16 = new Dtype('int16', 2, 'signedinteger');
export const int32 = new Dtype('int32', 4, 'signedinteger');
export const int64 = new Dtype('int64', 8, 'signedinteger');
export const float16 = new Dtype('float16', 2, 'floating');
export const bfloat16 = new Dtype('bfloat16', 2, 'floating');
export const float32 = new Dtype('float32', 4, 'floating');
export const float64 = new Dtype('float64', 8, 'floating');
export const complex64 = new Dtype('complex64', 8, 'complexfloating');

export const ALL_DTYPES = [bool, uint8, uint16, uint32, uint64, int8, int16, int32, int64, float16, bfloat16, float32, float64, complex64];
const BY_NAME = new Map(ALL_DTYPES.map((d) => [d.name as string, d]));

export function dtypeByName(name: string): Dtype {
  const d = BY_NAME.get(name);
  if (!d) throw new TypeError(`unknown dtype ${name}`);
  return d;
}

/** Abstract categories for issubdtype, as in MLX. */
export class DtypeCategory {
  /** @internal */
  constructor(readonly name: string, readonly parents: string[]) {}
  toString(): string {
    return this.name;
  }
}
export const complexfloating = new DtypeCategory('complexfloating', ['inexact', 'number', 'generic']);
export const floating = new DtypeCategory('floating', ['inexact', 'number', 'generic']);
export const inexact = new DtypeCategory('inexact', ['number', 'generic']);
export const signedinteger = new DtypeCategory('signedinteger', ['integer', 'number', 'generic']);
export const unsignedinteger = new DtypeCategory('unsignedinteger', ['integer', 'number', 'generic']);
export const integer = new DtypeCategory('integer', ['number', 'generic']);
export const number = new DtypeCategory('number', ['generic']);
export const generic = new DtypeCategory('generic', []);

const CATEGORY_OF: Record<Exclude<Category, 'bool'>, DtypeCategory> = { complexfloating, floating, signedinteger, unsignedinteger };

function lineage(x: Dtype | DtypeCategory): string[] {
  if (x instanceof DtypeCategory) return [x.name, ...x.parents];
  if (x.category === 'bool') return [x.name, 'generic'];
  const cat = CATEGORY_OF[x.category];
  return [x.name, cat.name, ...cat.parents];
}

/** True when `a` is `b` or falls under category `b`. */
export function issubdtype(a: Dtype | DtypeCategory, b: Dtype | DtypeCategory): boolean {
  return b instanceof Dtype ? a === b : lineage(a).includes(b.name);
}

export const isFloating = (d: Dtype) => d.category === 'floating';
export const isInexact = (d: Dtype) => d.category === 'floating' || d.category === 'complexfloating';
export const isInteger = (d: Dtype) => d.category === 'signedinteger' || d.category === 'unsignedinteger';
export const toInexact = (d: Dtype) => (isInexact(d) ? d : float32);

/** MLX's promotion lattice (the engine has the same table; tests hold them equal). */
export function promoteTypes(a: Dtype, b: Dtype): Dtype {
  if (a === b) return a;
  if (a === bool) return b;
  if (b === bool) return a;
  if (a === complex64 || b === complex64) return complex64;
  const fa = isFloating(a), fb = isFloating(b);
  if (fa || fb) {
    if (fa !== fb) return fa ? a : b;
    if (a === float64 || b === float64) return float64;
    return float32; // float32 with a half type, or float16 with bfloat16
  }
  if (a.category === b.category) return a.size >= b.size ? a : b;
  const [s, u] = a.category === 'signedinteger' ? [a, b] : [b, a];
  if (s.size > u.size) return s;
  return ({ 1: int16, 2: int32, 4: int64 } as Record<number, Dtype>)[u.size] ?? float32;
}

export interface Finfo {
  dtype: Dtype;
  min: number;
  max: number;
  eps: number;
}

const FINFO: Record<string, [number, number]> = {
  float16: [65504, 2 ** -10],
  bfloat16: [3.3895313892515355e38, 2 ** -7],
  float32: [3.4028234663852886e38, 2 ** -23],
  float64: [Number.MAX_VALUE, Number.EPSILON],
  complex64: [3.4028234663852886e38, 2 ** -23],
};

export function finfo(d: Dtype): Finfo {
  const f = FINFO[d.name];
  if (!f) throw new TypeError(`[finfo] ${d.name} is not an inexact type`);
  return { dtype: d, min: -f[0], max: f[0], eps: f[1] };
}
