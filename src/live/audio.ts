// The live engine's audio bookkeeping: 16 kHz mono f32, Silero's 512-sample windows, and a buffer
// that holds a stretch of the stream (the open utterance, or only its pre-roll while nobody speaks)
// with its position on the stream's timeline, so memory follows the utterance, not the session.

export const SAMPLE_RATE = 16000;
/** Silero v5/v6 at 16 kHz: one probability per 512 samples (32 ms) */
export const VAD_WINDOW_SAMPLES = 512;

export const seconds = (samples: number) => Math.round((samples / SAMPLE_RATE) * 1000) / 1000;

/** Samples from stream position `from` onward; grows by doubling, trimmed from the front in place. */
export class StreamBuffer {
  private data = new Float32Array(SAMPLE_RATE);
  private length = 0;
  /** the stream position of the first sample held */
  from = 0;

  get size(): number {
    return this.length;
  }

  /** samples of memory held (the array's capacity) */
  get capacity(): number {
    return this.data.length;
  }

  /** the stream position just after the last sample held */
  get to(): number {
    return this.from + this.length;
  }

  append(samples: Float32Array): void {
    if (this.length + samples.length > this.data.length) {
      const next = new Float32Array(Math.max(this.data.length * 2, this.length + samples.length));
      next.set(this.data.subarray(0, this.length));
      this.data = next;
    }
    this.data.set(samples, this.length);
    this.length += samples.length;
  }

  /** Keeps only the last `n` samples. */
  keepLast(n: number): void {
    if (this.length <= n) return;
    const drop = this.length - n;
    this.data.copyWithin(0, drop, this.length);
    this.length = n;
    this.from += drop;
    // an utterance of 25 s grew the array to 1.6 MB; silence needs far less
    if (this.data.length > 4 * Math.max(n, SAMPLE_RATE)) this.data = this.data.slice(0, Math.max(2 * n, SAMPLE_RATE));
  }

  /** Drops everything before stream position `at`. */
  dropBefore(at: number): void {
    this.keepLast(Math.max(0, this.to - at));
  }

  /** A copy of the samples from stream position `at` (clamped) to the end. */
  copyFrom(at: number): Float32Array {
    return this.data.slice(Math.max(0, at - this.from), this.length);
  }

  clear(): void {
    this.from = this.to;
    this.length = 0;
  }
}
