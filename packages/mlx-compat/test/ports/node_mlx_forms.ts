// Code written for node-mlx (@frost-beta/mlx): its classes, call forms and
// names compile unchanged against mlx-compat.
import { core as mx } from 'mlx-compat';

const a = new mx.array([[1, 2], [3, 4]], mx.float32);
const isArray: boolean = a instanceof mx.array;
const total: mx.array = mx.sum(a, true);
const flat = mx.flatten(mx.zeros([2, 2, 2]), null, 1);
const padded = mx.pad(mx.array([1, 2]), [1, 1], 0);
const rows: mx.array[] = [];
for (const row of a) rows.push(row);
const n: number = a.length;
const b = mx.array([1, 2], mx.bool_);
const c = mx.array([mx.Complex(1, 2)]);
const z = mx.zeros([2], 'int32');
const cast = a.astype('float16');
const m = mx.mean(a, null, true);
const big = mx.max(a, 1, undefined);
const [q, r] = mx.divmod(a, 3);
const parts: mx.array[] = mx.split(a, 2, 1);
const updated: mx.array = a.at(0).add(1);
a.indexPut_([0, new mx.Slice(null, 1)], 5);
const item = a.index(mx.newaxis, '...', 0).item();
const key = mx.random.key(0);
const u = mx.random.uniform(0, 1, [3], mx.float32, key);
const vm = mx.vmap((x: mx.array) => mx.square(x))(mx.arange(4));
const [outs, tangents] = mx.jvp((x: mx.array) => mx.sin(x), [mx.array(1)], [mx.array(1)]);
const compiled = mx.compile((x: mx.array, y: mx.array) => mx.add(x, y));
const sum2: mx.array = compiled(a, a);
mx.eval(total, flat, padded, rows, b, c, z, cast, m, big, q, r, parts, updated, u, vm, outs, tangents, sum2);
console.log(isArray, n, item, mx.pi, mx.inf, mx.metal.isAvailable());
