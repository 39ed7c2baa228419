// The engine's op registry, read once through its capabilities: the facade
// checks op names and elementwise dtypes against it instead of its own list.
import { capabilities, type Capabilities } from 'mlx-capi-bridge';
import type { Dtype } from './dtype.js';
import { MxError } from './errors.js';

type OpInfo = Capabilities['ops'][number];
let ops: Map<string, OpInfo> | undefined;

export function engineOp(name: string): OpInfo {
  // the engine is the one this package ships with: its capabilities are checked by its tests, not at each start
  ops ??= new Map(capabilities({ validate: false }).ops.map((o) => [o.name, o]));
  const op = ops.get(name);
  if (!op) throw new MxError(name, 'op', 'the engine has no such op');
  return op;
}

/** Raises at the call when an elementwise op has no kernel for the dtype. */
export function checkKernelDtype(op: string, facadeName: string, dtype: Dtype): void {
  const info = engineOp(op);
  if (info.kernel_dtypes && !info.kernel_dtypes.includes(dtype.name))
    throw new MxError(facadeName, 'dtype', `${dtype.name} is not supported (supported: ${info.kernel_dtypes.join(', ')})`);
}
