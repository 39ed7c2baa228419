import { Session } from './packages/mlx-capi-bridge/dist/index.js';
const s = new Session();
const cases = [[[3,4],[4,5]],[[4],[4,2]],[[2,4],[4]],[[4],[4]],[[2,1,3,4],[5,4,2]],[[1,7],[7,1]],[[0,3],[3,2]],[[3,0],[0,2]]];
for (const dt of ['float32','float16']) for (const [a,b] of cases) {
  const n=(s)=>s.reduce((x,y)=>x*y,1);
  console.log(dt, JSON.stringify(a), JSON.stringify(b));
  const r = s.evalJson({schema_version:1, inputs:[{id:'a',dtype:dt,shape:a,data:Array(n(a)).fill(1)},{id:'b',dtype:dt,shape:b,data:Array(n(b)).fill(1)}], nodes:[{id:'y',op:'matmul',inputs:['a','b']}], outputs:['y']});
  console.log(JSON.stringify(r.outputs[0].shape));
}
