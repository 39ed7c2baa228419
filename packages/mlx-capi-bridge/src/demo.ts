// The main job in one screen: a graph of MLX-named ops goes to the native
// engine with its input passed by pointer, and arrays come back.
import { Session, capabilities, version } from './index.js';

const caps = capabilities();
console.log(`mlx-compat engine ${version()} (${caps.engine}): ${caps.ops.length} ops, dtypes ${caps.dtypes.join(' ')}`);

const session = new Session();
const x = new Float32Array([1, 2, 3, 4, 5, 6]);
const w = new Float32Array([0.5, -1, 2, 0, 1, 1]);
// y = softmax(relu(x @ w)), with relu as maximum(h, 0)
const res = session.eval(
  {
    schema_version: 1,
    inputs: [
      { id: 'x', dtype: 'float32', shape: [2, 3], buffer: 0 },
      { id: 'w', dtype: 'float32', shape: [3, 2], buffer: 1 },
      { id: 'zero', dtype: 'float32', shape: [], data: 0 },
    ],
    nodes: [
      { id: 'h', op: 'matmul', inputs: ['x', 'w'] },
      { id: 'r', op: 'maximum', inputs: ['h', 'zero'] },
      { id: 'y', op: 'softmax', inputs: ['r'], attrs: { axes: [-1] } },
    ],
    outputs: ['h', 'y'],
  },
  [x, w],
);
for (const out of res.outputs) console.log(`${out.ref}: ${out.dtype}[${out.shape.join(', ')}] = [${Array.from(out.array as Float32Array).map((v) => Number(v).toFixed(4)).join(', ')}]`);
console.log(`receipt: ${JSON.stringify(res.receipt)}`);
session.close();
