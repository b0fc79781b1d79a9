// Audio from a pipe (`-`, /dev/stdin, `<(…)`, a FIFO): nothing can be read twice or sized up
// front. A PCM/float WAV is decoded as it arrives: the header is buffered until it parses, then
// the data is converted to mono and resampled piece by piece. Anything else goes to ffmpeg on its
// stdin (pipe:0), with the bytes already read replayed first.
import { SonaError } from "../errors.ts";
import { aborted } from "./_errors.ts";
import { decodePipeWithFfmpeg } from "./ffmpeg-pipe.ts";
import { maxSamples } from "./limit.ts";
import { toMono } from "./pcm.ts";
import { outputLength, Resampler, TARGET_RATE } from "./resample.ts";
import { SampleBuffer } from "./sample-buffer.ts";
import { isWavHeader, readWavLayout, truncationWarning, type WavLayout } from "./wav.ts";

/** a WAV header (fmt, LIST, ... up to the data chunk) bigger than this is refused */
const MAX_HEADER_BYTES = 1 << 20;

export interface StreamDecoded {
  samples: Float32Array;
  sourceRate: number;
  sourceChannels: number;
  format: string;
  warnings: string[];
}

export async function decodeAudioStream(
  source: AsyncIterable<Uint8Array>,
  opts: { enhance?: boolean; signal?: AbortSignal; ffmpegPath?: string; maxSec?: number } = {},
): Promise<StreamDecoded> {
  const input = new Buffered(source);
  while (input.bytes.length < 12 && (await input.more()));
  if (input.bytes.length === 0) throw new SonaError("invalid_audio", "audio input contains no samples");
  if (!opts.enhance && isWavHeader(input.bytes.subarray(0, 12))) {
    const layout = await wavLayout(input);
    if (layout.kind === "pcm") return streamWav(input, layout, opts.signal, opts.maxSec);
  }
  return decodePipeWithFfmpeg(input.bytes, input.rest(), opts);
}

class Buffered {
  bytes = new Uint8Array(0);
  ended = false;
  readonly #it: AsyncIterator<Uint8Array>;
  constructor(source: AsyncIterable<Uint8Array>) {
    this.#it = source[Symbol.asyncIterator]();
  }
  /** reads one more chunk onto `bytes`; false at the end of the input */
  async more(): Promise<boolean> {
    const chunk = await this.next();
    if (!chunk) return false;
    const joined = new Uint8Array(this.bytes.length + chunk.length);
    joined.set(this.bytes);
    joined.set(chunk, this.bytes.length);
    this.bytes = joined;
    return true;
  }
  async next(): Promise<Uint8Array | null> {
    if (this.ended) return null;
    const r = await this.#it.next();
    if (r.done) {
      this.ended = true;
      return null;
    }
    return r.value instanceof Uint8Array ? r.value : new Uint8Array(r.value as ArrayBuffer);
  }
  /** what has not been read yet */
  async *rest(): AsyncGenerator<Uint8Array> {
    for (let c = await this.next(); c; c = await this.next()) yield c;
  }
}

/** Parses the header once enough of it has arrived; a malformed one fails at the end of the input. */
async function wavLayout(input: Buffered): Promise<WavLayout> {
  for (;;) {
    const bytes = input.bytes;
    try {
      return readWavLayout((o, n) => bytes.subarray(o, o + n), input.ended ? bytes.length : Number.MAX_SAFE_INTEGER);
    } catch (e) {
      if (input.ended || bytes.length > MAX_HEADER_BYTES) throw e;
      await input.more(); // at the end, the next try parses against the real size
    }
  }
}

async function streamWav(input: Buffered, layout: WavLayout & { kind: "pcm" }, signal?: AbortSignal, maxSec?: number): Promise<StreamDecoded> {
  const frameBytes = layout.bytesPerSample * layout.channels;
  // sized from the header when it declares a length (a pipe may still end sooner); the decoded
  // samples are counted against the cap, not the header: a stream may run past what it declared
  const declared = layout.declaredBytes === null ? 0 : outputLength(layout.frames, layout.sampleRate) * 4;
  const out = new SampleBuffer(declared || 1 << 20, { bytes: maxSamples(maxSec) * 4, maxSec });
  const sink = (block: Float32Array) => out.pushSamples(block);
  const resampler = layout.sampleRate === TARGET_RATE ? null : new Resampler(layout.sampleRate);
  let left = layout.dataBytes; // whole frames the header declares
  let carry = new Uint8Array(0); // a frame split across two chunks
  const feed = (chunk: Uint8Array) => {
    if (left <= 0) return;
    chunk = chunk.subarray(0, left);
    left -= chunk.length;
    let bytes = chunk;
    if (carry.length) {
      bytes = new Uint8Array(carry.length + chunk.length);
      bytes.set(carry);
      bytes.set(chunk, carry.length);
    }
    const whole = bytes.length - (bytes.length % frameBytes);
    carry = bytes.slice(whole);
    if (whole === 0) return;
    const mono = new Float32Array(whole / frameBytes);
    toMono(bytes.subarray(0, whole), layout, mono, 0);
    if (resampler) resampler.push(mono, sink);
    else sink(mono);
  };
  feed(input.bytes.subarray(layout.dataOffset));
  for (let c = await input.next(); c && left > 0; c = await input.next()) {
    if (signal?.aborted) throw aborted();
    feed(c);
  }
  resampler?.finish(sink);
  if (out.samples === 0) throw new SonaError("invalid_audio", "audio input contains no samples");
  const samples = out.result();
  const received = layout.dataBytes - left;
  const warning = truncationWarning(layout, received);
  return { samples, sourceRate: layout.sampleRate, sourceChannels: layout.channels, format: "wav", warnings: warning ? [warning] : [] };
}
