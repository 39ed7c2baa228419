// FinalizationRegistry, counted: how the facade learns that wrappers, nodes
// and values are gone.

/**
 * A FinalizationRegistry that counts its registrations. Its callbacks run
 * only when the event loop turns, which a synchronous loop never does, and
 * until then every registration stays in memory even when its target is
 * gone; so the facade unregisters wherever it learns first that a thing is
 * done with (an evaluated or disposed value, a node that ran), and tests
 * count what is left.
 */
export class CountedRegistry<T> {
  /** @internal Registrations not yet unregistered or finalized, over every registry (tests read it). */
  static live = 0;
  readonly #registry: FinalizationRegistry<T>;
  constructor(cleanup: (held: T) => void) {
    this.#registry = new FinalizationRegistry((held: T) => {
      CountedRegistry.live--;
      cleanup(held);
    });
  }
  register(target: object, held: T, token: object): void {
    CountedRegistry.live++;
    this.#registry.register(target, held, token);
  }
  /** Unregisters what `token` registered, `count` registrations (their callbacks will not run). */
  unregister(token: object, count = 1): void {
    if (this.#registry.unregister(token)) CountedRegistry.live -= count;
  }
}
