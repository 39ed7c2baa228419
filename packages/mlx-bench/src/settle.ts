// What every benchmark does between timed runs, so that no run pays for work
// left behind by the one before (often another library's): with node
// --expose-gc, collect garbage now rather than inside the next run, and pause
// while V8's background threads finish sweeping, so they do not compete with
// that run for the cores. The async form also turns the event loop first:
// real MLX frees its arrays from finalizers, which run only then.
const gc = (globalThis as { gc?: () => void }).gc;
const pause = new Int32Array(new SharedArrayBuffer(4));
const PAUSE_MS = 20;

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
