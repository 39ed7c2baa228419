// Devices and streams. The engine runs on the CPU; asking for the GPU is a
// typed refusal at the call, as the engine would refuse it at eval.
import { arch, cpus, machine } from 'node:os';
import { MlxRefusedError } from 'mlx-capi-bridge';
import { evalArrays, collectArrays } from './graph.js';
import { MxError } from './errors.js';
import { describe } from './args.js';
import { scope, type Scope } from './scope.js';
import { evalLater, joinAll } from './flight.js';

export type DeviceType = 'cpu' | 'gpu';

export class Device {
  constructor(readonly type: DeviceType, readonly index = 0) {}
  toString(): string {
    return `Device(${this.type}, ${this.index})`;
  }
}

export class Stream {
  /** @internal */
  constructor(readonly device: Device, readonly index: number) {}
  toString(): string {
    return `Stream(${this.device}, ${this.index})`;
  }
}

export type StreamOrDevice = Stream | Device;

export const cpu = new Device('cpu');
export const gpu = new Device('gpu');

let current: Device = cpu;
let streams = 0;
const first = new Stream(cpu, streams++);
const defaults = new Map<DeviceType, Stream>([['cpu', first]]);

function refuseGpu(where: string): never {
  throw new MlxRefusedError('unsupported_device', 'device', where, 'the mlx-compat engine runs on cpu only; gpu is not available');
}

export function defaultDevice(): Device {
  return current;
}

export function setDefaultDevice(device: Device): void {
  if (device.type !== 'cpu') refuseGpu('setDefaultDevice');
  current = device;
}

export function newStream(device: Device): Stream {
  if (device.type !== 'cpu') refuseGpu('newStream');
  return new Stream(device, streams++);
}

export function defaultStream(device: Device): Stream {
  if (device.type !== 'cpu') refuseGpu('defaultStream');
  return defaults.get('cpu')!;
}

/** A new stream for the calling thread (JavaScript has one: the same as newStream). */
export function newThreadLocalStream(device: Device): Stream {
  if (!(device instanceof Device)) throw new MxError('newThreadLocalStream', 'device', `expected a Device, got ${describe(device)}`);
  if (device.type !== 'cpu') refuseGpu('newThreadLocalStream');
  return new Stream(device, streams++);
}

/** Forgets the streams made so far: the first CPU stream is the default again. */
export function clearStreams(): void {
  defaults.set('cpu', first);
}

function deviceType(op: string, d: Device | DeviceType): DeviceType {
  const t = d instanceof Device ? d.type : d;
  if (t !== 'cpu' && t !== 'gpu') throw new MxError(op, 'device', `expected a Device or 'cpu' or 'gpu', got ${describe(d)}`);
  return t;
}

/** deviceCount(device): how many devices of its type there are: one CPU, no GPU. */
export function deviceCount(device: Device | DeviceType): number {
  return deviceType('deviceCount', device) === 'cpu' ? 1 : 0;
}

/** deviceInfo(device = the default): the CPU's architecture and name, as MLX reports them. */
export function deviceInfo(device: Device | DeviceType = current): { architecture: string; device_name: string } {
  if (deviceType('deviceInfo', device) !== 'cpu') refuseGpu('deviceInfo');
  return { architecture: typeof machine === 'function' ? machine() : arch(), device_name: cpus()[0]?.model.trim() ?? '' };
}

/** Makes `stream` its device's default stream. */
export function setDefaultStream(stream: Stream): void {
  if (!(stream instanceof Stream)) throw new MxError('setDefaultStream', 'stream', `expected a Stream, got ${describe(stream)}`);
  if (stream.device.type !== 'cpu') refuseGpu('setDefaultStream');
  defaults.set('cpu', stream);
}

/** The stream a stream-or-device argument means (the default device's default stream when absent). */
export function toStream(s?: StreamOrDevice | null): Stream {
  if (s === undefined || s === null) return defaultStream(current);
  if (s instanceof Stream) {
    checkStream('toStream', s);
    return s;
  }
  if (s instanceof Device) return defaultStream(s);
  throw new MxError('toStream', 's', `expected a Stream or a Device, got ${describe(s)}`);
}

/**
 * stream(s): makes s the default for a scope, until the returned object is
 * disposed (`using _ = mx.stream(mx.cpu)`, or its dispose()).
 */
export function stream(s: StreamOrDevice): Scope {
  const chosen = toStream(s);
  const before = defaults.get('cpu')!;
  setDefaultStream(chosen);
  return scope(() => setDefaultStream(before));
}

/** Checks an op's stream argument: only CPU devices and streams run here. */
export function checkStream(op: string, s: StreamOrDevice | undefined): void {
  if (s === undefined || s === null) return;
  const device = s instanceof Stream ? s.device : s;
  if (!(device instanceof Device)) return;
  if (device.type !== 'cpu') refuseGpu(op);
}

/** Waits for every evaluation in flight (asyncEval); throws the first one's error. */
export function synchronize(stream?: Stream): void {
  if (stream) checkStream('synchronize', stream);
  joinAll();
}

/** Evaluates every array in the arguments (arrays, lists, objects of arrays). */
export function evaluate(...trees: unknown[]): void {
  evalArrays(collectArrays(trees));
}

/**
 * Starts evaluating every array in the arguments on the engine's threads and
 * returns at once; the promise settles when their values are ready, or
 * rejects with the error eval would throw. The rules for arrays in flight
 * are in the README (mlx.core).
 */
export function asyncEval(...trees: unknown[]): Promise<void> {
  try {
    return evalLater(collectArrays(trees).map((a) => a._v));
  } catch (e) {
    return Promise.reject(e);
  }
}
