// MLX's array printing: array([[1, 2],\n       [3, 4]], dtype=int32), floats
// with six significant digits (C++ stream style), or with `precision` decimal
// places in fixed notation once the print options set one (MLX's formatter);
// a dimension longer than six shows its first and last three entries around
// "...", as real MLX prints.
import type { MxArray } from './array.js';
import { MxError } from './errors.js';
import { describe } from './args.js';
import { scope, type Scope } from './scope.js';

const EDGE_ITEMS = 3;

/** MLX's print options: `precision`, the decimal places of printed floats (-1: the default style). */
export class PrintOptions {
  constructor(readonly precision = -1) {
    if (!Number.isInteger(precision) || precision < -1 || precision > 100)
      throw new MxError('PrintOptions', 'precision', `expected an integer from -1 (the default) to 100, got ${describe(precision)}`);
  }
  toString(): string {
    return `PrintOptions(precision=${this.precision})`;
  }
}

let options = new PrintOptions();

export function getPrintoptions(): PrintOptions {
  return options;
}

/** setPrintoptions(precision = -1) or setPrintoptions(options): the global print options. */
export function setPrintoptions(precision?: number | null | PrintOptions): void {
  options = precision instanceof PrintOptions ? precision : new PrintOptions(precision ?? -1);
}

/** printoptions(precision = -1): set for a scope, until the returned object is disposed (`using _ = mx.printoptions(3)`). */
export function printoptions(precision?: number | null | PrintOptions): Scope {
  const before = options;
  setPrintoptions(precision);
  return scope(() => void (options = before));
}

/** A float as MLX prints it: C++'s default stream style (%g, 6 digits), or fixed with the set precision. */
export function formatG(v: number): string {
  if (Number.isNaN(v)) return 'nan';
  if (!Number.isFinite(v)) return v > 0 ? 'inf' : '-inf';
  if (options.precision >= 0) return `${Object.is(v, -0) ? '-' : ''}${v.toFixed(options.precision)}`;
  if (v === 0) return Object.is(v, -0) ? '-0' : '0';
  const [mant, expText] = v.toExponential(5).split('e');
  const exp = Number(expText);
  const strip = (s: string) => (s.includes('.') ? s.replace(/0+$/, '').replace(/\.$/, '') : s);
  if (exp < -4 || exp >= 6) return `${strip(mant)}e${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`;
  return strip(v.toFixed(5 - exp));
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
