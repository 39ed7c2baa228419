// Typed errors for the engine's "error" and "refused" responses.

/** The request was invalid; `path` is a JSON pointer into it. */
export class MlxRequestError extends Error {
  constructor(readonly code: string, readonly path: string, message: string) {
    super(`${code} at ${path || '(request)'}: ${message}`);
    this.name = 'MlxRequestError';
  }
}

/** The request was valid but the engine will not run it. */
export class MlxRefusedError extends Error {
  constructor(readonly code: string, readonly scope: string, readonly subject: string, readonly detail: string) {
    super(`refused (${code}) ${scope} ${subject}: ${detail}`);
    this.name = 'MlxRefusedError';
  }
}

/** The library could not be loaded or broke its own contract. */
export class MlxBridgeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MlxBridgeError';
  }
}
