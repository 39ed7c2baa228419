// FinalizationRegistry, counted: how the facade learns that wrappers, nodes
// and values are gone.
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

// A registry's callbacks run only when the event loop turns, which a
// synchronous loop (a training loop, as MLX users write it) never does: the
// engine memory of every array such a loop drops would stay held until it
// ends. V8 up to version 11 (Node 20) has FinalizationRegistry's cleanupSome,
// which runs the callbacks of what was collected at once, behind a flag that
// takes effect in contexts made after it is set. Later V8s do not have it:
// there the facade falls back to the event loop's turns.
type Registry<T> = FinalizationRegistry<T> & { cleanupSome?: () => void };
const Registry: typeof FinalizationRegistry = (() => {
  if (Number(process.versions.v8.split('.')[0]) <= 11) {
    setFlagsFromString('--harmony-weak-refs-with-cleanup-some');
    const made = runInNewContext('FinalizationRegistry') as typeof FinalizationRegistry;
    if (typeof (made.prototype as Registry<unknown>).cleanupSome === 'function') return made;
  }
  return FinalizationRegistry;
})();

/**
 * A FinalizationRegistry that counts its registrations. Until its callbacks
 * run, every registration stays in memory even when its target is gone; so
 * the facade unregisters wherever it learns first that a thing is done with
 * (an evaluated or disposed value, a node that ran), tests count what is
 * left, and each evaluation first runs the callbacks of what the collector
 * found gone (sweep), where the runtime allows it.
 */
export class CountedRegistry<T> {
  /** @internal Registrations not yet unregistered or finalized, over every registry (tests read it). */
  static live = 0;
  static readonly #all: Array<CountedRegistry<unknown>> = [];
  readonly #registry: Registry<T>;
  constructor(cleanup: (held: T) => void) {
    this.#registry = new Registry((held: T) => {
      CountedRegistry.live--;
      cleanup(held);
    });
    CountedRegistry.#all.push(this as CountedRegistry<unknown>);
  }
  register(target: object, held: T, token: object): void {
    CountedRegistry.live++;
    this.#registry.register(target, held, token);
  }
  /** Unregisters what `token` registered, `count` registrations (their callbacks will not run). */
  unregister(token: object, count = 1): void {
    if (this.#registry.unregister(token)) CountedRegistry.live -= count;
  }
  /** @internal Whether sweep() can run callbacks here (tests read it). */
  static readonly sweeps = Registry !== FinalizationRegistry;
  /** Runs now the callbacks of every registry whose targets were collected (nothing where the runtime cannot). */
  static sweep(): void {
    for (const r of CountedRegistry.#all) r.#registry.cleanupSome?.();
  }
}
