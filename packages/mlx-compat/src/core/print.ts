// MLX's array printing: array([[1, 2],\n       [3, 4]], dtype=int32), floats
// with six significant digits (C++ stream style) unless the print options
// say otherwise; a dimension longer than six shows its first and last three
// entries around "...", as real MLX prints.
import type { MxArray } from './array.js';
import { MxError } from './errors.js';
import { describe } from './args.js';

/** MLX's print options: `precision`, the significant digits of printed floats (null: the default, 6). */
export class PrintOptions {
  constructor(readonly precision: number | null = null) {
    if (precision !== null && (!Number.isInteger(precision) || precision < 0))
      throw new MxError('PrintOptions', 'precision', `expected a non-negative integer or null, got ${describe(precision)}`);
  }
  toString(): string {
    return `PrintOptions(precision=${this.precision ?? 'None'})`;
  }
}

let options = new PrintOptions();

export function getPrintoptions(): PrintOptions {
  return options;
}

/** setPrintoptions(precision?) or setPrintoptions(options): the global print options. */
export function setPrintoptions(precision?: number | null | PrintOptions): void {
  options = precision instanceof PrintOptions ? precision : new PrintOptions(precision ?? null);
}

/** printoptions(precision?): set for a scope, until the returned object is disposed (`using _ = mx.printoptions(3)`). */
export function printoptions(precision?: number | null | PrintOptions): { dispose(): void } {
  const before = options;
  setPrintoptions(precision);
  const restore = { dispose: () => void (options = before) };
  Object.defineProperty(restore, Symbol.dispose, { value: restore.dispose });
  return restore;
}

const EDGE_ITEMS = 3;

/** A number as C++'s default stream prints it (%g with `digits` significant digits, 6 by default). */
export function formatG(v: number, digits = options.precision ?? 6): string {
  if (Number.isNaN(v)) return 'nan';
  if (!Number.isFinite(v)) return v > 0 ? 'inf' : '-inf';
  if (v === 0) return Object.is(v, -0) ? '-0' : '0';
  const p = Math.min(Math.max(1, digits), 90);
  const [mant, expText] = v.toExponential(p - 1).split('e');
  const exp = Number(expText);
  const strip = (s: string) => (s.includes('.') ? s.replace(/0+$/, '').replace(/\.$/, '') : s);
  if (exp < -4 || exp >= p) return `${strip(mant)}e${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`;
  return strip(v.toFixed(p - 1 - exp));
}

function formatValue(v: unknown, dtype: string): string {
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (typeof v === 'bigint') return v.toString();
  if (typeof v === 'object' && v !== null) {
    // complex64 as MLX prints it: 1+2j
    const { re, im = 0 } = v as { re: number; im?: number };
    return `${formatG(re)}${im < 0 || Object.is(im, -0) ? '-' : '+'}${formatG(Math.abs(im))}j`;
  }
  if (dtype.startsWith('float') || dtype === 'bfloat16' || dtype === 'complex64') return formatG(v as number);
  return String(v);
}

export function formatArray(a: MxArray): string {
  const dtype = a.dtype.name;
  const values = a.values();
  const strides = a.shape.map((_, i) => a.shape.slice(i + 1).reduce((p, q) => p * q, 1));
  const body = (dim: number, offset: number): string => {
    if (dim === a.ndim) return formatValue(values[offset], dtype);
    const n = a.shape[dim];
    const sep = dim === a.ndim - 1 ? ', ' : `,\n${' '.repeat(7 + dim)}`;
    const parts: string[] = [];
    const show = (i: number) => parts.push(body(dim + 1, offset + i * strides[dim]));
    if (n > 2 * EDGE_ITEMS) {
      for (let i = 0; i < EDGE_ITEMS; i++) show(i);
      parts.push('...');
      for (let i = n - EDGE_ITEMS; i < n; i++) show(i);
    } else {
      for (let i = 0; i < n; i++) show(i);
    }
    return `[${parts.join(sep)}]`;
  };
  return `array(${body(0, 0)}, dtype=${dtype})`;
}
