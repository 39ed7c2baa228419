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
    kind: 'open', op: 'scaled_dot_product_attention', symbol: 'mlx.core.fast.scaled_dot_product_attention',
    note: 'differs from MLX v0.31.2 (open, issue 12): with a causal mask and more queries than keys, a query that sees no key gives NaN on native, finite values on MLX v0.31.2',
    matches: (d) => /^value \[\d+\] NaN vs -?[\d.]+$/.test(d.what),
  },
];
