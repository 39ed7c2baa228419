import mlx from 'mlx-compat';

const mx = mlx.core;
const a = mx.array([[1, 2], [3, 4]], mx.float32);
const b = mx.softmax(mx.matmul(a, a.T), -1);
console.log(b.sum(1).toString());
console.log(a.index(new mx.Slice(), 1).toString());
const c = mx.zeros([3]).at(mx.array([0, 0, 2], mx.int32)).add(1);
console.log(c.toString());
