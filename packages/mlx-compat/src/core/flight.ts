// Evaluations in flight (asyncEval): a request computes on the engine's
// threads while the program goes on. The values it will give handles to
// point at their Flight until it lands; anything that needs one of them
// now (eval, item(), tolist(), a request that reads it) joins that flight,
// never sends its graph again. A request reading values still in flight
// waits for them to land (it needs their handles), then goes out at once,
// even when they landed by a join, so the next step computes while the
// program reads the last one (the streaming pattern).
//
// A graph too small to be worth a thread (a handful of elementwise ops over
// a few thousand elements: microseconds of work, where handing it to a
// thread and back costs tens) runs at once on the calling thread when no
// other flight is running on the session; its promise still settles later,
// as a promise does.
import type { EvalResponse, Job } from 'mlx-capi-bridge';
import type { GraphNode, Value } from './array.js';
import { buildRequest, checkUsable, finish, noteReceipt, ran, session } from './graph.js';
import { engineOp } from './registry.js';

/** Op families whose cost grows linearly with the elements they read and write. */
const LINEAR_FAMILIES = new Set(['creation', 'unary', 'binary', 'comparison', 'logical', 'bitwise', 'ternary', 'reduction', 'scan', 'shape', 'indexing', 'random']);
/** Elements read and written, over all nodes, up to which a graph runs on the calling thread. */
let inlineElements = 1 << 14;
/** @internal Sets that bound (0: every flight goes to a thread; tests of the flight machinery use it). Returns the old one. */
export function setInlineElements(n: number): number {
  const old = inlineElements;
  inlineElements = n;
  return old;
}

const elements = (v: Value) => v.shape.reduce((n, d) => n * d, 1);

/** True when `nodes` are linear ops over few enough elements to compute on the calling thread. */
function worthNoThread(nodes: GraphNode[]): boolean {
  if (!inlineElements) return false;
  let total = 0;
  for (const n of nodes) {
    if (!LINEAR_FAMILIES.has(engineOp(n.op).family)) return false;
    for (const v of n.inputs) total += elements(v);
    for (const v of n.values) total += elements(v);
    if (total > inlineElements) return false;
  }
  return true;
}

/** True while some flight has a request queued or running on the session. */
const sessionBusy = () => {
  for (const f of flying) if (f.job && !f.done) return true;
  return false;
};

export class Flight {
  readonly landed: Promise<void>;
  /** The values the request returns: the targets, and what it keeps (set when it is sent). */
  values: Value[];
  /** How many of `values` are targets (the rest are kept). */
  private targets = 0;
  job?: Job;
  /** The request sent, for the receipt observer. */
  request?: string;
  /** The nodes it runs. */
  private nodes: GraphNode[] = [];
  done = false;
  error?: unknown;
  /** Flights whose values this one's graph reads, not landed yet. */
  readonly waitsFor = new Set<Flight>();
  /** Flights waiting for this one. */
  readonly waiters: Flight[] = [];
  /** Promises asyncEval returned that settle with this one: a join that throws its error handles them. */
  readonly promises: Promise<void>[] = [];
  private resolve!: () => void;
  private reject!: (e: unknown) => void;

  constructor(targets: Value[]) {
    this.values = targets;
    this.landed = new Promise<void>((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
    });
    for (const v of targets) v.flight = this;
    flying.add(this);
  }

  /**
   * Sends the request once no value it reads is in a flight already sent
   * (it needs their handles). Values of flights not sent yet are computed
   * here, and kept when held, so that those flights find them in flight.
   */
  send(): void {
    if (this.done || this.job) return;
    // targets disposed while the flight waited need nothing; targets another flight took are waited for
    const mine: Value[] = [];
    for (const v of this.values) {
      if (v.flight === this && !v.disposed) mine.push(v);
      else if (v.flight === this) v.flight = undefined;
      else if (v.flight) this.wait(v.flight);
    }
    this.values = mine;
    for (const f of flightsBehind(mine, this)) this.wait(f);
    if (this.waitsFor.size) return;
    if (!mine.length) return this.land(undefined);
    try {
      const { text, buffers, outputs, nodes } = buildRequest(mine, new Set(), undefined, undefined, true);
      for (const v of outputs) v.flight = this;
      this.values = outputs;
      this.targets = mine.length;
      this.request = text;
      this.nodes = nodes;
      // a request on a busy session would wait here for the one running
      if (!sessionBusy() && worthNoThread(nodes)) return this.land(undefined, session().evalText(text, buffers));
      this.job = session().submit(text, buffers);
    } catch (e) {
      this.land(e);
      return;
    }
    this.job.result.then(
      (res) => this.land(undefined, res, true),
      (e: unknown) => this.land(e),
    );
  }

  private wait(f: Flight): void {
    if (f.done || this.waitsFor.has(f)) return;
    this.waitsFor.add(f);
    f.waiters.push(this);
  }

  /** Waits on this thread until the flight has landed; throws its error. */
  join(): void {
    if (!this.done) {
      // each round lands flights already sent, so this ends
      while (!this.done && !this.job) {
        for (const dep of [...this.waitsFor]) dep.joinQuietly();
        this.send();
      }
      if (!this.done && this.job) {
        try {
          this.land(undefined, this.job.join());
        } catch (e) {
          this.land(e);
        }
      }
    }
    if (this.error !== undefined) {
      // the joiner gets the error: the promises' rejections count as handled
      for (const p of [this.landed, ...this.promises]) p.catch(() => {});
      throw this.error;
    }
  }

  private joinQuietly(): void {
    try {
      this.join();
    } catch {
      // a waiter learns of it when it lands (land passes the error on)
    }
  }

  private land(error: unknown, res?: EvalResponse, later = false): void {
    if (this.done) return;
    this.done = true;
    flying.delete(this);
    for (const v of this.values) if (v.flight === this) v.flight = undefined;
    if (error === undefined && res) {
      noteReceipt(res.receipt, this.request!);
      try {
        finish(this.values, res.outputs, later, this.targets);
        ran(this.nodes);
        this.nodes = [];
      } catch (e) {
        error = e;
      }
    }
    this.error = error;
    if (error === undefined) this.resolve();
    else this.reject(error);
    for (const w of this.waiters.splice(0)) {
      w.waitsFor.delete(this);
      if (error !== undefined) w.land(error);
      else w.send();
    }
  }
}

/** Flights not landed yet. */
const flying = new Set<Flight>();

/** @internal True while some evaluation is in flight (requests must then look for what they read). */
export const inFlight = () => flying.size > 0;

/**
 * @internal The flights that `targets` or the unevaluated graph behind them
 * meet. With `self` (a flight about to be sent), its own values and those of
 * flights not sent yet count as unevaluated graph, and only flights already
 * sent are returned.
 */
export function flightsBehind(targets: Value[], self?: Flight): Set<Flight> {
  const found = new Set<Flight>();
  const seen = new Set<Value>();
  const stack = targets.slice();
  while (stack.length) {
    const v = stack.pop()!;
    if (seen.has(v)) continue;
    seen.add(v);
    const f = v.flight;
    if (f && !(self && (f === self || !f.job))) found.add(f);
    else if (v.node && !v.handle) stack.push(...v.node.inputs);
  }
  return found;
}

/** @internal Starts evaluating `targets` (not evaluated, not in flight); the flight lands when their values do. */
export function launch(targets: Value[]): Flight {
  const f = new Flight(targets);
  f.send();
  return f;
}

/**
 * @internal asyncEval: sends one request for what `targets` need that is
 * neither evaluated nor in flight, and settles when every target has landed.
 */
export function evalLater(targets: Value[]): Promise<void> {
  const flights = new Set<Flight>();
  const fresh: Value[] = [];
  for (const v of targets) {
    if (v.flight) flights.add(v.flight);
    else {
      checkUsable(v);
      if (v.node && !v.handle && !fresh.includes(v)) fresh.push(v);
    }
  }
  if (fresh.length) flights.add(launch(fresh));
  if (!flights.size) return Promise.resolve();
  if (flights.size === 1) return [...flights][0].landed;
  const all = Promise.all([...flights].map((f) => f.landed)).then(() => undefined);
  for (const f of flights) f.promises.push(all);
  return all;
}

/** @internal Waits for every evaluation in flight. */
export function joinAll(): void {
  for (const f of [...flying]) f.join();
}
