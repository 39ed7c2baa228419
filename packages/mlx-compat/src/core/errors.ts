// The facade's own errors: raised at the call that made the mistake.
export class MxError extends TypeError {
  constructor(readonly op: string, readonly argument: string, detail: string) {
    super(`[${op}] ${argument}: ${detail}`);
    this.name = 'MxError';
  }
}
