// Test helpers: a small WAV writer that can also write the odd files real tools produce.
import { expect } from "bun:test";
import { type ErrorCode, SonaError } from "../errors.ts";

export interface WavSpec {
  rate: number;
  channels: number;
  /** container bits: 8, 16, 24, 32 (int) or 32, 64 (float) */
  bits: number;
  float?: boolean;
  extensible?: boolean;
  /** written in the fmt chunk instead of `bits` (e.g. 20 valid bits in a 24-bit container) */
  validBits?: number;
  /** interleaved samples in -1..1; ints are rounded and clamped */
  samples: ArrayLike<number>;
  /** raw chunks written before fmt, e.g. LIST or an odd-sized JUNK */
  before?: { id: string; body: Uint8Array }[];
  /** overrides the data chunk's declared size */
  dataSize?: number;
  formatTag?: number;
}

export function makeWav(spec: WavSpec): Uint8Array {
  const { rate, channels, bits } = spec;
  const bytes = bits / 8;
  const data = new Uint8Array(spec.samples.length * bytes);
  const dv = new DataView(data.buffer);
  for (let i = 0; i < spec.samples.length; i++) {
    const x = spec.samples[i]!;
    const o = i * bytes;
    if (spec.float) {
      if (bits === 32) dv.setFloat32(o, x, true);
      else dv.setFloat64(o, x, true);
    } else if (bits === 8) {
      dv.setUint8(o, clamp(Math.round(x * 128) + 128, 0, 255));
    } else {
      const max = 2 ** (bits - 1);
      const v = clamp(Math.round(x * max), -max, max - 1);
      if (bits === 16) dv.setInt16(o, v, true);
      else if (bits === 32) dv.setInt32(o, v, true);
      else for (let k = 0; k < 3; k++) dv.setUint8(o + k, (v >> (8 * k)) & 0xff);
    }
  }
  const tag = spec.formatTag ?? (spec.extensible ? 0xfffe : spec.float ? 3 : 1);
  const fmt = new Uint8Array(spec.extensible ? 40 : 16);
  const f = new DataView(fmt.buffer);
  f.setUint16(0, tag, true);
  f.setUint16(2, channels, true);
  f.setUint32(4, rate, true);
  f.setUint32(8, rate * channels * bytes, true);
  f.setUint16(12, channels * bytes, true);
  f.setUint16(14, spec.extensible ? bits : (spec.validBits ?? bits), true);
  if (spec.extensible) {
    f.setUint16(16, 22, true);
    f.setUint16(18, spec.validBits ?? bits, true);
    f.setUint32(20, 0, true);
    const guid = [spec.float ? 3 : 1, 0, 0, 0, 0, 0, 0x10, 0, 0x80, 0, 0, 0xaa, 0, 0x38, 0x9b, 0x71];
    fmt.set(guid, 24);
  }
  const chunks = [...(spec.before ?? []), { id: "fmt ", body: fmt }, { id: "data", body: data, size: spec.dataSize }];
  return riff(chunks);
}

/** RIFF/WAVE from raw chunks (odd sizes get their pad byte). */
export function riff(chunks: { id: string; body: Uint8Array; size?: number }[], magic = "RIFF"): Uint8Array {
  const total = 12 + chunks.reduce((n, c) => n + 8 + c.body.length + (c.body.length % 2), 0);
  const out = new Uint8Array(total);
  const dv = new DataView(out.buffer);
  out.set(ascii(magic), 0);
  dv.setUint32(4, total - 8, true);
  out.set(ascii("WAVE"), 8);
  let pos = 12;
  for (const c of chunks) {
    out.set(ascii(c.id), pos);
    dv.setUint32(pos + 4, c.size ?? c.body.length, true);
    out.set(c.body, pos + 8);
    pos += 8 + c.body.length + (c.body.length % 2);
  }
  return out;
}

export function sine(freq: number, rate: number, seconds: number, amp = 0.5, channels = 1): Float64Array {
  const n = Math.round(rate * seconds);
  const out = new Float64Array(n * channels);
  for (let i = 0; i < n; i++) for (let c = 0; c < channels; c++) out[i * channels + c] = amp * Math.sin((2 * Math.PI * freq * i) / rate);
  return out;
}

/** Amplitude of `freq` in `x` (Goertzel over the middle, away from edge transients). */
export function toneLevel(x: Float32Array, freq: number, rate: number, skip = 0.1): number {
  const start = Math.floor(x.length * skip), end = x.length - start, n = end - start;
  const w = (2 * Math.PI * freq) / rate;
  let re = 0, im = 0;
  for (let i = start; i < end; i++) {
    re += x[i]! * Math.cos(w * i);
    im += x[i]! * Math.sin(w * i);
  }
  return (2 * Math.hypot(re, im)) / n;
}

export function rms(x: Float32Array, skip = 0.1): number {
  const start = Math.floor(x.length * skip), end = x.length - start;
  let s = 0;
  for (let i = start; i < end; i++) s += x[i]! ** 2;
  return Math.sqrt(s / Math.max(1, end - start));
}

const clamp = (v: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, v));
const ascii = (s: string) => [...s].map((c) => c.charCodeAt(0));

/** Awaits p, expects a one-line SonaError with this code and message, and returns it. */
export async function rejects(p: Promise<unknown>, code: ErrorCode, message: string | RegExp): Promise<SonaError> {
  let e: unknown = null;
  try {
    await p;
  } catch (caught) {
    e = caught;
  }
  expect(e).toBeInstanceOf(SonaError);
  expect((e as SonaError).code).toBe(code);
  expect((e as SonaError).message).toMatch(message);
  expect((e as SonaError).message).not.toContain("\n");
  return e as SonaError;
}
