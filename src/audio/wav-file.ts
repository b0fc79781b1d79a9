// A WAV file decoded piece by piece: read a few MiB, convert to mono, resample, repeat. Only the
// 16 kHz result is held in full; a 1-hour 44.1 kHz stereo file (635 MB) never sits in memory.
import { readSync } from "node:fs";
import type { FileHandle } from "node:fs/promises";
import { SonaError } from "../errors.ts";
import { aborted, tooLong } from "./_errors.ts";
import { audioTooLong, maxSamples } from "./limit.ts";
import { toMono } from "./pcm.ts";
import { outputLength, Resampler, TARGET_RATE } from "./resample.ts";
import { readWavLayout, truncationWarning } from "./wav.ts";

const CHUNK_BYTES = 4 << 20;

export interface WavFileAudio {
  samples: Float32Array;
  sourceRate: number;
  sourceChannels: number;
  warnings: string[];
}

/** null when the file is a WAV holding a codec other than PCM/float: ffmpeg's job. */
export async function decodeWavFile(fh: FileHandle, size: number, signal?: AbortSignal, maxSec?: number): Promise<WavFileAudio | null> {
  const layout = readWavLayout((offset, length) => {
    const b = new Uint8Array(length);
    return b.subarray(0, readSync(fh.fd, b, 0, length, offset));
  }, size);
  if (layout.kind === "codec") return null;
  const { sampleRate, channels, dataOffset, dataBytes } = layout;
  const frameBytes = layout.bytesPerSample * channels;
  const raw = new Uint8Array(Math.max(1, Math.floor(CHUNK_BYTES / frameBytes)) * frameBytes);
  const length = outputLength(layout.frames, sampleRate);
  // the frames the file holds (not what its header claims), so a short file is never refused
  if (length > maxSamples(maxSec)) throw audioTooLong(maxSec, layout.frames / sampleRate);
  let out: Float32Array;
  try {
    out = new Float32Array(length);
  } catch (e) {
    throw tooLong(length, e);
  }
  // toMono writes a scratch block, never `out` itself, even at 16 kHz where it could: `out` goes to
  // the engine's worker, and in about one server process in five the conversion loop stayed ~30x
  // slow for the process's life while it wrote those arrays (bench/ANALYSIS.md, row 3; the cause is
  // not pinned down). The extra copy is a native memcpy: 1 h of 16 kHz took 230 ms instead of 190.
  const mono = new Float32Array(raw.length / frameBytes);
  const resampler = sampleRate === TARGET_RATE ? null : new Resampler(sampleRate);
  let at = 0;
  const sink = (block: Float32Array) => { out.set(block, at); at += block.length; };
  let pos = 0;
  while (pos < dataBytes) {
    if (signal?.aborted) throw aborted();
    const want = Math.min(raw.length, dataBytes - pos);
    let got = 0;
    while (got < want) {
      const { bytesRead } = await fh.read(raw, got, want - got, dataOffset + pos + got);
      if (bytesRead === 0) break; // the file shrank under us: keep what was read
      got += bytesRead;
    }
    const block = mono.subarray(0, toMono(raw.subarray(0, got), layout, mono, 0));
    if (resampler) resampler.push(block, sink);
    else sink(block);
    pos += got;
    if (got < want) break;
  }
  resampler?.finish(sink);
  if (at === 0) throw new SonaError("invalid_audio", "audio file contains no samples");
  const warning = truncationWarning(layout, Math.min(pos, dataBytes));
  return { samples: at === out.length ? out : out.subarray(0, at), sourceRate: sampleRate, sourceChannels: channels, warnings: warning ? [warning] : [] };
}
