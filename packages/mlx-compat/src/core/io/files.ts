// Reading files in bounded pieces: a header that lies about sizes can make
// no read larger than the file itself.
import { closeSync, fstatSync, openSync, readSync, writeSync } from 'node:fs';
import { MxIOError } from './errors.js';

/** An open file read at offsets, for one load. */
export class FileReader {
  readonly size: number;
  private readonly fd: number;

  constructor(readonly op: string, readonly path: string) {
    try {
      this.fd = openSync(path, 'r');
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      throw new MxIOError(op, path, code === 'ENOENT' ? 'not_found' : 'unreadable', code === 'ENOENT' ? 'no such file' : `cannot open (${code ?? String(e)})`);
    }
    const st = fstatSync(this.fd);
    if (!st.isFile()) {
      closeSync(this.fd);
      throw new MxIOError(op, path, 'unreadable', 'not a regular file');
    }
    this.size = st.size;
  }

  fail(code: ConstructorParameters<typeof MxIOError>[2], detail: string): never {
    throw new MxIOError(this.op, this.path, code, detail);
  }

  /** `length` bytes at `offset`; the file must hold them (else `truncated`, saying what was being read). */
  read(offset: number, length: number, what: string): Uint8Array {
    if (offset + length > this.size) this.fail('truncated', `the file ends at byte ${this.size}, before the ${what} (bytes ${offset} to ${offset + length})`);
    const out = new Uint8Array(length);
    let done = 0;
    while (done < length) {
      const n = readSync(this.fd, out, done, length - done, offset + done);
      if (n === 0) this.fail('truncated', `the file ended while reading the ${what}`);
      done += n;
    }
    return out;
  }

  close(): void {
    closeSync(this.fd);
  }
}

/** Opens `path`, runs fn, closes it whatever happens. */
export function withFile<T>(op: string, path: string, fn: (f: FileReader) => T): T {
  const f = new FileReader(op, path);
  try {
    return fn(f);
  } finally {
    f.close();
  }
}

/** Writes the parts in order, as one file. */
export function writeParts(op: string, path: string, parts: Uint8Array[]): void {
  try {
    const fd = openSync(path, 'w');
    try {
      for (const p of parts) for (let done = 0; done < p.byteLength; ) done += writeSync(fd, p, done, p.byteLength - done);
    } finally {
      closeSync(fd);
    }
  } catch (e) {
    throw new MxIOError(op, path, 'unreadable', `cannot write (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
  }
}

/** MLX adds the format's extension to a path that does not end with it. */
export function withExtension(path: string, ext: string): string {
  return path.endsWith(ext) ? path : path + ext;
}

export function bytesOf(view: ArrayBufferView): Uint8Array {
  return new Uint8Array(view.buffer, view.byteOffset, view.byteLength);
}
