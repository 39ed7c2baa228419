// How every benchmark here times its peers. Peers take turns by blocks of
// runs. A block starts settled, so that it pays for nothing left behind by
// the one before (often another library's): with node --expose-gc, garbage
// is collected now rather than inside a timed run, and a pause lets other
// threads go idle, so they do not compete for the cores: V8's background
// sweepers, and the workers of real MLX's OpenBLAS, which spin (yielding)
// for about 0.1 s after each product before they sleep.
// The async form also turns the event loop first: real MLX frees its arrays
// from finalizers, which run only then. The block's first run is not timed
// (caches and threads are cold after the pause); the rest run back to back,
// as a program that uses the library runs them.
const gc = (globalThis as { gc?: () => void }).gc;
const pause = new Int32Array(new SharedArrayBuffer(4));
const PAUSE_MS = 150;

export function settleSync(): void {
  if (!gc) return;
  gc();
  Atomics.wait(pause, 0, 0, PAUSE_MS);
}

export async function settle(): Promise<void> {
  gc?.();
  await new Promise((resolve) => setImmediate(resolve));
  settleSync();
}

/** Milliseconds of each of `count` runs of `run`, timed as a block. */
export function timeBlock(run: () => void, count: number): number[] {
  settleSync();
  run();
  const times: number[] = [];
  for (let i = 0; i < count; i++) {
    const t0 = process.hrtime.bigint();
    run();
    times.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  return times;
}
