// How every benchmark here times its peers. Peers take turns by blocks of
// runs, so that noise on the shared machine hits all of them alike.
//  - A block starts settled: a pause lets other threads go idle so they do
//    not compete for the cores, above all the workers of an OpenBLAS (real
//    MLX's, or the engine's own), which spin, yielding, for about 0.1 s
//    after each product before they sleep.
//  - Before each run, untimed: with node --expose-gc, garbage is collected
//    and the event loop turns, so both libraries free the arrays the last
//    run dropped (real MLX frees them from finalizers that run only then; so
//    does mlx-compat), as a program that awaits between steps lets them.
//  - The block's first run is not timed: it pays for the pause.
const gc = (globalThis as { gc?: () => void }).gc;
const pause = new Int32Array(new SharedArrayBuffer(4));
const PAUSE_MS = 150;

const turn = () => new Promise((resolve) => setImmediate(resolve));

/** Collects garbage (with --expose-gc) and lets finalizers run. */
export async function collect(): Promise<void> {
  gc?.();
  await turn();
}

export async function settle(): Promise<void> {
  await collect();
  Atomics.wait(pause, 0, 0, PAUSE_MS);
}

/**
 * Milliseconds of each of `count` runs of `run`, timed as a loop runs them:
 * the block starts settled with one untimed run, then the runs follow each
 * other with no collection or event-loop turn between them (garbage is
 * collected when V8 decides, as in a program's loop). Run i is passed its
 * index from `first`, so that a caller can take a different input each run.
 */
export async function timeLoop(run: (i: number) => void, count: number, first = 0): Promise<number[]> {
  await settle();
  run(first);
  const times: number[] = [];
  for (let i = 1; i <= count; i++) {
    const t0 = process.hrtime.bigint();
    run(first + i);
    times.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  return times;
}

/** Milliseconds of each of `count` runs of `run`, timed as a block. */
export async function timeBlock(run: () => void, count: number): Promise<number[]> {
  await settle();
  run();
  const times: number[] = [];
  for (let i = 0; i < count; i++) {
    await collect();
    const t0 = process.hrtime.bigint();
    run();
    times.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  return times;
}
