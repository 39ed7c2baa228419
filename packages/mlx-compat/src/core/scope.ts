// What mx.stream and mx.printoptions return: a scope that ends at dispose(),
// or at the end of a `using` block.

// Symbol.dispose is typed by TypeScript's esnext lib and by @types/node; this
// types it for projects on an older lib too (lib es2022 without node's
// types), so the published declarations compile there. The declaration is
// the same as theirs, so the three merge.
declare global {
  interface SymbolConstructor {
    readonly dispose: unique symbol;
  }
}

export interface Scope {
  dispose(): void;
  [Symbol.dispose](): void;
}

/** A scope whose end runs `end` once, however it is ended. */
export function scope(end: () => void): Scope {
  let open = true;
  const dispose = () => {
    if (!open) return;
    open = false;
    end();
  };
  return { dispose, [Symbol.dispose]: dispose };
}
