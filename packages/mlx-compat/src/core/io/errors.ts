// Typed errors of loading and saving: each names the file and what is wrong.
import { MxError } from '../errors.js';

export type IOErrorCode =
  | 'not_found' // no file at the path
  | 'unreadable' // a directory, no permission, an I/O error
  | 'unknown_format' // an extension or format name that is none of MLX's
  | 'bad_magic' // the file does not start as its format says it must
  | 'truncated' // the file ends before what its header describes
  | 'bad_header' // the header cannot be read, or contradicts itself
  | 'bad_dtype' // a dtype or tensor type the format or MLX does not have
  | 'bad_offsets' // a tensor's bytes lie outside the data, or do not match its shape
  | 'overlap' // two tensors share bytes
  | 'bad_argument'; // what the caller passed to a save or load

/** A file that cannot be loaded or saved; `file` is its path, `code` what is wrong. */
export class MxIOError extends MxError {
  constructor(op: string, readonly file: string, readonly code: IOErrorCode, detail: string) {
    super(op, 'file', `${file}: ${detail} (${code})`);
    this.name = 'MxIOError';
  }
}
