// RIFF/WAVE in TypeScript. The chunk walk reads through a callback so the same code serves a buffer
// in memory and a file read piece by piece (a WAV can be far larger than we want to hold twice).
// Decisions:
// - Sizes are not trusted: a data chunk longer than the file, or 0xFFFFFFFF (streamed writers), is
//   taken as "to the end of the file", whole frames only. The RIFF size is ignored for the same reason.
// - A well-formed WAV holding another codec (ADPCM, mu-law, GSM, MP3...) is reported as `codec`, and
//   decodeAudio hands the file to ffmpeg; a broken header is an error, not a reason to try ffmpeg.
// - RF64/BW64 (WAVs over 4 GiB) are read through their ds64 chunk.
// - Rates below 1 kHz are refused: upsampling them would multiply a small file into a huge buffer.
import { SonaError } from "../errors.ts";
import { isSupported, toMono, type SampleFormat } from "./pcm.ts";

export const MIN_RATE = 1000;
export const MAX_RATE = 1_000_000;
export const MAX_CHANNELS = 256;
const MAX_CHUNKS = 10_000;
const WAVE_FORMAT_PCM = 1;
const WAVE_FORMAT_IEEE_FLOAT = 3;
const WAVE_FORMAT_EXTENSIBLE = 0xfffe;
// bytes 2..15 of every KSDATAFORMAT_SUBTYPE_* GUID; bytes 0..1 carry the format tag
const GUID_TAIL = [0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x80, 0x00, 0x00, 0xaa, 0x00, 0x38, 0x9b, 0x71];

/** Reads up to `length` bytes at `offset`; fewer only at the end of the input. */
export type ReadAt = (offset: number, length: number) => Uint8Array;

export interface WavFormat extends SampleFormat {
  /** as written in the fmt chunk (0xFFFE for WAVE_FORMAT_EXTENSIBLE) */
  formatTag: number;
  sampleRate: number;
  bitsPerSample: number;
}

export type WavLayout =
  | (WavFormat & {
      kind: "pcm";
      dataOffset: number;
      dataBytes: number;
      frames: number;
      /** the data chunk's size as its header declares it; null for "to the end" (0xFFFFFFFF) */
      declaredBytes: number | null;
    })
  | { kind: "codec"; formatTag: number };

export interface ParsedWav {
  /** mono (channels averaged) at the file's own rate */
  samples: Float32Array;
  sampleRate: number;
  channels: number;
  bitsPerSample: number;
  formatTag: number;
}

export function isWavHeader(head: Uint8Array): boolean {
  const riff = ascii(head, 0);
  return head.length >= 12 && (riff === "RIFF" || riff === "RF64" || riff === "BW64") && ascii(head, 8) === "WAVE";
}

export function parseWav(bytes: Uint8Array): ParsedWav {
  const layout = readWavLayout((o, n) => bytes.subarray(o, o + n), bytes.length);
  if (layout.kind === "codec") throw invalid(`WAV codec ${hex(layout.formatTag)} is not PCM or float; it needs ffmpeg`);
  const samples = new Float32Array(layout.frames);
  const step = Math.max(1, Math.floor((1 << 20) / (layout.bytesPerSample * layout.channels))) * layout.bytesPerSample * layout.channels;
  const end = layout.dataOffset + layout.frames * layout.bytesPerSample * layout.channels;
  for (let pos = layout.dataOffset, at = 0; pos < end; pos += step) {
    at += toMono(bytes.subarray(pos, Math.min(pos + step, end)), layout, samples, at);
  }
  const { sampleRate, channels, bitsPerSample, formatTag } = layout;
  return { samples, sampleRate, channels, bitsPerSample, formatTag };
}

export function readWavLayout(read: ReadAt, size: number): WavLayout {
  const head = read(0, 12);
  if (!isWavHeader(head)) throw invalid("invalid WAV file: missing RIFF/WAVE header");
  const rf64 = ascii(head, 0) !== "RIFF";
  let fmt: Uint8Array | null = null;
  let data: { offset: number; bytes: number; declared: number | null } | null = null;
  let ds64Data: number | null = null;
  for (let pos = 12, chunks = 0; pos + 8 <= size && !(fmt && data); chunks++) {
    // real files have a handful; a crafted one with millions of empty chunks would cost a read each
    if (chunks >= MAX_CHUNKS) throw invalid(`invalid WAV file: more than ${MAX_CHUNKS} chunks before the audio`);
    const h = read(pos, 8);
    if (h.length < 8) break;
    const id = ascii(h, 0);
    let bodySize = u32(h, 4);
    const body = pos + 8;
    if (id === "ds64" && rf64) {
      const b = read(body, 16);
      if (b.length < 16) throw invalid("invalid WAV file: ds64 chunk is truncated");
      ds64Data = u32(b, 8) + u32(b, 12) * 2 ** 32;
    } else if (id === "fmt " && !fmt) {
      fmt = read(body, Math.min(bodySize, 40));
      if (bodySize < 16) throw invalid("invalid WAV file: fmt chunk is too short");
      if (fmt.length < Math.min(bodySize, 40)) throw invalid("invalid WAV file: fmt chunk is truncated");
    } else if (id === "data" && !data) {
      if (bodySize === 0xffffffff && ds64Data !== null) bodySize = ds64Data;
      data = { offset: body, bytes: Math.min(bodySize, size - body), declared: bodySize === 0xffffffff ? null : bodySize };
    }
    pos = body + bodySize + (bodySize % 2); // chunks are padded to even sizes
  }
  if (!fmt) throw invalid("invalid WAV file: no fmt chunk");
  if (!data) throw invalid("invalid WAV file: no data chunk");
  return layoutOf(fmt, data);
}

function layoutOf(fmt: Uint8Array, data: { offset: number; bytes: number; declared: number | null }): WavLayout {
  const formatTag = u16(fmt, 0);
  const channels = u16(fmt, 2);
  const sampleRate = u32(fmt, 4);
  const blockAlign = u16(fmt, 12);
  const bitsPerSample = u16(fmt, 14);
  if (channels === 0) throw invalid("invalid WAV file: fmt chunk declares 0 channels");
  if (channels > MAX_CHANNELS) throw invalid(`unsupported WAV file: ${channels} channels (at most ${MAX_CHANNELS})`);
  if (sampleRate === 0) throw invalid("invalid WAV file: fmt chunk declares a sample rate of 0");
  if (sampleRate < MIN_RATE || sampleRate > MAX_RATE) {
    throw invalid(`unsupported WAV sample rate: ${sampleRate} Hz (${MIN_RATE} to ${MAX_RATE} Hz are supported)`);
  }
  let codec = formatTag;
  if (formatTag === WAVE_FORMAT_EXTENSIBLE) {
    if (fmt.length < 40) throw invalid("invalid WAV file: WAVE_FORMAT_EXTENSIBLE fmt chunk is too short");
    const standard = GUID_TAIL.every((b, i) => fmt[26 + i] === b);
    codec = standard ? u16(fmt, 24) : -1;
  }
  if (codec !== WAVE_FORMAT_PCM && codec !== WAVE_FORMAT_IEEE_FLOAT) return { kind: "codec", formatTag };
  if (bitsPerSample === 0) throw invalid("invalid WAV file: fmt chunk declares 0 bits per sample");
  // blockAlign sets the frame stride; 12- or 20-bit samples sit left-justified in a wider container
  const container = blockAlign > 0 && blockAlign % channels === 0 ? blockAlign / channels : Math.ceil(bitsPerSample / 8);
  if (bitsPerSample > container * 8) {
    throw invalid(`invalid WAV file: ${bitsPerSample}-bit samples do not fit a block of ${blockAlign} bytes`);
  }
  const encoding = codec === WAVE_FORMAT_PCM ? "int" : "float";
  const format: WavFormat = { formatTag, encoding, bytesPerSample: container, channels, sampleRate, bitsPerSample };
  if (!isSupported(format)) {
    throw invalid(`unsupported WAV sample format: ${container * 8}-bit ${encoding === "int" ? "integer PCM" : "float"}`);
  }
  const frames = Math.floor(Math.max(0, data.bytes) / (container * channels));
  if (frames === 0) throw invalid("audio file contains no samples");
  return { kind: "pcm", ...format, dataOffset: data.offset, dataBytes: frames * container * channels, frames, declaredBytes: data.declared };
}

/**
 * A truncated WAV (a download cut short, a recorder that crashed) is decoded as far as it goes,
 * with this one warning, rather than failing or passing silently for a shorter recording.
 */
export function truncationWarning(layout: WavLayout & { kind: "pcm" }, receivedBytes: number): string | null {
  const frameBytes = layout.bytesPerSample * layout.channels;
  if (layout.declaredBytes === null || receivedBytes + frameBytes > layout.declaredBytes) return null;
  const secs = (bytes: number) => (bytes / frameBytes / layout.sampleRate).toFixed(2);
  return `the WAV file is truncated: its header declares ${secs(layout.declaredBytes)} s of audio, the file holds ${secs(receivedBytes)} s; transcribing what is there`;
}

function invalid(message: string): SonaError {
  return new SonaError("invalid_audio", message);
}

const u16 = (b: Uint8Array, o: number): number => b[o]! | (b[o + 1]! << 8);
const u32 = (b: Uint8Array, o: number): number => (b[o]! | (b[o + 1]! << 8) | (b[o + 2]! << 16) | (b[o + 3]! << 24)) >>> 0;
const ascii = (b: Uint8Array, o: number): string => String.fromCharCode(b[o] ?? 0, b[o + 1] ?? 0, b[o + 2] ?? 0, b[o + 3] ?? 0);
const hex = (n: number): string => `0x${n.toString(16).padStart(4, "0")}`;
