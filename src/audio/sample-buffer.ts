// Decoded samples that arrive in pieces (ffmpeg's f32le output, a WAV on a pipe), appended into one
// ArrayBuffer that is the result: no list of blocks joined at the end (2x the samples at the peak).
// Measured in Bun: a large ArrayBuffer costs no resident memory until it is written, while
// ArrayBuffer.transfer() copies, old and new both resident until a collection. So the buffer is
// reserved once from the best length known (ffmpeg's duration, a WAV header), grown only when that
// was too short, never trimmed: the unwritten tail costs nothing, a trim would cost a copy.
import { tooLong } from "./_errors.ts";
import { audioTooLong } from "./limit.ts";

export interface OutputLimit {
  /** bytes of float32 samples past which the decode is audio_too_long */
  bytes: number;
  /** for the error's message */
  maxSec: number | undefined;
}

/** ffmpeg's header may lie; if the whole reservation cannot be had, an hour of it is tried */
const FALLBACK_RESERVE = 3600 * 16000 * 4;

export class SampleBuffer {
  #buf: ArrayBuffer;
  #bytes: Uint8Array;
  #used = 0;

  constructor(reserveBytes: number, readonly limit: OutputLimit) {
    const want = Math.max(65536, Math.min(Math.ceil(reserveBytes), limit.bytes));
    try {
      this.#buf = new ArrayBuffer(want);
    } catch {
      this.#buf = allocate(Math.min(want, FALLBACK_RESERVE));
    }
    this.#bytes = new Uint8Array(this.#buf);
  }

  /** Raw bytes of little-endian float32 (a sample may straddle two pushes). */
  push(chunk: Uint8Array): void {
    const end = this.#used + chunk.length;
    if (end > this.limit.bytes) throw audioTooLong(this.limit.maxSec);
    if (end > this.#buf.byteLength) {
      const size = Math.min(this.limit.bytes, Math.max(end, Math.ceil(this.#buf.byteLength * 1.5)));
      try {
        this.#buf = this.#buf.transfer(size);
      } catch (e) {
        throw tooLong(size / 4, e);
      }
      this.#bytes = new Uint8Array(this.#buf);
    }
    this.#bytes.set(chunk, this.#used);
    this.#used = end;
  }

  pushSamples(block: Float32Array): void {
    this.push(new Uint8Array(block.buffer, block.byteOffset, block.byteLength));
  }

  get samples(): number {
    return this.#used >> 2;
  }

  /** The whole samples so far, a view on the buffer (which moves to the engine's worker as it is). */
  result(): Float32Array {
    return new Float32Array(this.#buf, 0, this.#used >> 2);
  }
}

function allocate(bytes: number): ArrayBuffer {
  try {
    return new ArrayBuffer(bytes);
  } catch (e) {
    throw tooLong(bytes / 4, e);
  }
}
