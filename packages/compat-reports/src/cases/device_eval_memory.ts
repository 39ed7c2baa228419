// device_eval_memory: devices and streams, evaluation, and the engine's memory figures.
import { type ParityCase, ours, real } from '../case.js';

const dev = (name: string) => `test_device.py::${name}`;
const ev = (name: string) => `test_eval.py::${name}`;

function byHand(id: string, symbols: string[], upstream: string[], run: () => [unknown, unknown], oracle: ParityCase['oracle'] = 'math'): ParityCase {
  return { id: `device_eval_memory.${id}`, family: 'device_eval_memory', upstream, symbols: symbols.map((s) => `mlx.core.${s}`), oracle, run };
}

export function cases(): ParityCase[] {
  return [
    byHand('default_device', ['default_device', 'Device', 'cpu'], [dev('test_mlx_default_device'), dev('test_device')], () => [[Number(ours.defaultDevice().type === 'cpu')], [1]]),
    byHand('set_default_device_cpu', ['set_default_device'], [dev('test_device_context')], () => {
      ours.setDefaultDevice(ours.cpu);
      return [[Number(ours.defaultDevice().type === 'cpu')], [1]];
    }),
    byHand('set_default_device_gpu', ['set_default_device', 'gpu'], [dev('test_op_on_device')], () => {
      ours.setDefaultDevice(ours.gpu);
      return [null, null];
    }),
    byHand('streams', ['new_stream', 'default_stream', 'Stream', 'synchronize'], [dev('test_stream'), dev('test_op_on_stream')], () => {
      const s = ours.newStream(ours.cpu);
      const r = ours.add(ours.array([1, 2]), 1, s);
      ours.synchronize(s);
      return [r, real.add(real.array([1, 2]), 1)];
    }, 'mlx-0.13'),
    byHand('eval', ['eval'], [ev('test_eval'), ev('test_eval_mixed')], () => {
      const x = ours.multiply(ours.arange(4), 2);
      ours.eval([x, { y: ours.add(x, 1) }]);
      return [x, real.multiply(real.arange(4), 2)];
    }, 'mlx-0.13'),
    byHand('async_eval', ['async_eval'], [ev('test_async_eval')], () => {
      const x = ours.exp(ours.arange(3));
      void ours.asyncEval(x);
      return [x, real.exp(real.arange(3))];
    }, 'mlx-0.13'),
    byHand('memory_figures', ['get_active_memory', 'get_peak_memory', 'get_cache_memory', 'reset_peak_memory', 'clear_cache'], ['allocator_tests.cpp::test large allocations'], () => {
      ours.resetPeakMemory();
      const before = ours.getActiveMemory();
      const x = ours.zeros([256, 1024]);
      ours.eval(x);
      const grew = ours.getActiveMemory() - before >= 1 << 20 && ours.getPeakMemory() >= 1 << 20;
      ours.dispose(x);
      ours.clearCache();
      return [[Number(grew), Number(ours.getCacheMemory() === 0)], [1, 1]];
    }),
  ];
}
