// MLX's generation loop: the next token is evaluated asynchronously while
// the last one is printed. The "model" is a toy: greedy decoding over logits
// read from a fixed 16 x 16 table.
import mlx from 'mlx-compat';

const mx = mlx.core;
const table = mx.reshape(mx.remainder(mx.multiply(mx.arange(256, mx.int32), 37), 101), [16, 16]);
const step = (token) => mx.argmax(mx.take(table, token, 0), -1);

let y = step(mx.array([1], mx.int32));
mx.asyncEval(y);
const tokens = [];
for (let n = 0; n < 12; n++) {
  const next = step(y); // built on y while y is still computing
  mx.asyncEval(next); // goes to the engine as soon as y lands
  tokens.push(y.item()); // waits for y; next computes meanwhile
  y = next;
}
console.log(tokens.join(' '));
