// Where the native backend deliberately answers otherwise than MLX v0.31.2
// (the mlx backend) on the same request. The differential test accepts
// exactly these disagreements; the compatibility matrix shows each as a
// boundary note on its symbol.
export interface BackendDifference {
  /** deliberate: the native backend keeps its answer; open: a native value difference to fix (issue 12). */
  kind: 'deliberate' | 'open';
  /** The registry op, as the request names it. */
  op: string;
  /** The MLX symbol whose matrix row carries the note. */
  symbol: string;
  /** What differs, for the matrix's notes. */
  note: string;
  /** Whether a disagreement the differential test found is this one. */
  matches(d: { op: string; dtype: string; native: string; mlx: string; what: string }): boolean;
}

/** Whether a value disagreement (`value [i] ours vs theirs`) is within `rel` of max(1, |theirs|). */
function valueWithin(what: string, rel: number): boolean {
  const m = /^value \[\d+\] (\S+) vs (\S+)$/.exec(what);
  return !!m && Math.abs(Number(m[1]) - Number(m[2])) <= rel * Math.max(1, Math.abs(Number(m[2])));
}

export const BACKEND_DIFFERENCES: BackendDifference[] = [
  {
    kind: 'deliberate',
    op: 'power',
    symbol: 'mlx.core.power',
    note: 'on the mlx backend, integer powers are refused: MLX v0.31.2 never returns from a negative integer exponent (the native backend computes them)',
    matches: (d) => d.native === 'ok' && d.mlx.startsWith('refused unsupported_dtype') && /integer power/.test(d.mlx),
  },
  ...(['eye', 'identity'] as const).map((op) => ({
    kind: 'deliberate' as const, op, symbol: `mlx.core.${op}`,
    note: 'n = 0 (or m = 0) gives an empty array; MLX v0.31.2 raises "N and M must be positive integers"',
    matches: (d: { native: string; mlx: string }) => d.native === 'ok' && /N and M must be positive integers/.test(d.mlx),
  })),
  {
    kind: 'deliberate', op: 'logsumexp', symbol: 'mlx.core.logsumexp',
    note: 'over an empty axis gives -inf (the log of an empty sum); MLX v0.31.2 raises "Received empty array"',
    matches: (d) => d.native === 'ok' && /\[logsumexp\] Received empty array/.test(d.mlx),
  },
  {
    kind: 'deliberate', op: 'logsumexp', symbol: 'mlx.core.logsumexp',
    note: 'over every axis of a one-element array (keepdims false) gives a 0-d array, as sum does; MLX v0.31.2 gives shape [1]',
    matches: (d) => d.native === 'ok' && d.mlx === 'ok' && /^shape \[\] vs \[1(,1)*\]$/.test(d.what),
  },
  // Measured on float64 inputs 0.5, 1.5, -0.3, 0.9 (relative differences 8e-9 to 5e-7).
  ...(['exp', 'sin', 'cos', 'sigmoid', 'erf', 'erfinv', 'logaddexp', 'softmax', 'logsumexp', 'logcumsumexp', 'round'] as const).map((op) => ({
    kind: 'deliberate' as const, op, symbol: `mlx.core.${op}`,
    note: 'float64 is computed to float64 accuracy; MLX v0.31.2 on the CPU computes it to about float32 accuracy (relative differences up to 5e-7)',
    matches: (d: { dtype: string; native: string; mlx: string; what: string }) => d.dtype === 'float64' && d.native === 'ok' && d.mlx === 'ok' && d.what.startsWith('value'),
  })),
  {
    kind: 'deliberate', op: 'remainder', symbol: 'mlx.core.remainder',
    note: 'float16 and bfloat16 give the float32 answer (1.25 % 1.75 = 1.25, -1.25 % -1.75 = -1.25); MLX v0.31.2 gives -0.5 and 0.5 there, a remainder of the wrong sign',
    matches: (d) => (d.dtype === 'float16' || d.dtype === 'bfloat16') && d.native === 'ok' && d.mlx === 'ok' && d.what.startsWith('value'),
  },
  ...(['left_shift', 'right_shift'] as const).map((op) => ({
    kind: 'deliberate' as const, op, symbol: `mlx.core.${op}`,
    note: 'a shift by a negative count or by the bit width or more gives 0 (the sign for right shifts of negatives); in MLX v0.31.2 it is undefined behaviour of C++ (the count modulo the width in scalar loops, 0 in vector ones)',
    matches: (d: { native: string; mlx: string; what: string }) => d.native === 'ok' && d.mlx === 'ok' && d.what.startsWith('value'),
  })),
  {
    kind: 'deliberate', op: 'put_along_axis', symbol: 'mlx.core.put_along_axis',
    note: 'the registry op also reduces into the array (reduce "add", "prod", "max" or "min"); the mlx backend runs "none" and "add" (MLX\'s put_along_axis and scatter_add_axis) and refuses the others',
    matches: (d) => d.native === 'ok' && /refused unsupported_attr: MLX has put_along_axis and scatter_add_axis/.test(d.mlx),
  },
  // Measured: sin and cos of 1e5, 1e6, -1082130432 and 3e8 in float32 (float64 math: -0.897 and -0.443 at -1082130432).
  ...(['sin', 'cos'] as const).map((op) => ({
    kind: 'deliberate' as const, op, symbol: `mlx.core.${op}`,
    note: 'float32 arguments of magnitude 1e8 and beyond are reduced exactly (the float64 answer, rounded); MLX v0.31.2 on the CPU gives values far outside [-1, 1] or NaN there (cos(-1082130432) = 477821152)',
    matches: (d: { mlx: string; what: string }) => {
      const theirs = Number(/ vs (\S+)$/.exec(d.what)?.[1]);
      return d.mlx === 'ok' && (Number.isNaN(theirs) || Math.abs(theirs) > 1);
    },
  })),
  // Measured: all and any over an axis of [-0.0, 1] (float32 and float64) on the mlx backend.
  ...(['all', 'any'] as const).map((op) => ({
    kind: 'deliberate' as const, op, symbol: `mlx.core.${op}`,
    note: '-0.0 is false, as 0.0 is; MLX v0.31.2 on the CPU reads -0.0 as true when it reduces over an axis',
    matches: (d: { mlx: string; what: string }) => d.mlx === 'ok' && /^value \[\d+\] 0 vs 1$/.test(d.what),
  })),
  // Measured: prod over axis 0 of [1, 2] arrays of bool, int8 and uint16 (sum, mean and the others promote there as elsewhere).
  {
    kind: 'deliberate', op: 'prod', symbol: 'mlx.core.prod',
    note: 'over axes that all have size 1, bool and integers narrower than 32 bits give int32 (uint32 for unsigned) as over any other axes; MLX v0.31.2 returns the input unchanged there, in its own dtype',
    matches: (d) => d.native === 'ok' && d.mlx === 'ok' && /^dtype u?int32 vs (bool|u?int8|u?int16)$/.test(d.what),
  },
  // Measured on the differential test's float16 graphs (seeds 13 and 15): largest error against a float64
  // attention 9.7e-4 and 4.5e-4 here, 7.2e-3 and 4.5e-3 on MLX v0.31.2.
  {
    kind: 'deliberate', op: 'scaled_dot_product_attention', symbol: 'mlx.core.fast.scaled_dot_product_attention',
    note: 'float16 keeps the scores, the softmax and the weighted sum in float32 and rounds once; MLX v0.31.2 on the CPU rounds them to float16 on the way, with errors up to about 1e-2 of the largest value (ten times the native ones)',
    matches: (d) => d.dtype === 'float16' && d.native === 'ok' && d.mlx === 'ok' && valueWithin(d.what, 1e-2),
  },
  // Measured: logsumexp over axis 0 of bfloat16 [[-1.75, -1.75], [-0.25, 3]]: the float64 answer -0.048587 and
  // 3.008615 round to -0.048584 and 3.015625 here; MLX v0.31.2 gives -0.051758 and 3.
  {
    kind: 'deliberate', op: 'logsumexp', symbol: 'mlx.core.logsumexp',
    note: 'float16 and bfloat16 are computed in float32 and rounded once; MLX v0.31.2 on the CPU rounds on the way, with errors of several units in the last place of the largest operand',
    matches: (d) => (d.dtype === 'float16' || d.dtype === 'bfloat16') && d.native === 'ok' && d.mlx === 'ok' && valueWithin(d.what, 2 ** -6),
  },
  {
    kind: 'deliberate', op: 'hadamard_transform', symbol: 'mlx.core.hadamard_transform',
    note: 'an empty array gives an empty array; MLX v0.31.2 raises "Does not support empty arrays"',
    matches: (d) => d.native === 'ok' && /\[hadamard_transform\] Does not support empty arrays/.test(d.mlx),
  },
  {
    kind: 'deliberate', op: 'conv_general', symbol: 'mlx.core.conv_general',
    note: 'float64 convolutions are computed; MLX v0.31.2 on the CPU refuses them when it evaluates ("got unsupported data type")',
    matches: (d) => d.native === 'ok' && /\[Convolution::eval\] got unsupported data type/.test(d.mlx),
  },
];
