#!/usr/bin/env bun
// Writes synthetic whisper.cpp "ggml" models: real Whisper weights cannot be downloaded here, and tests,
// the demo and benchmarks need models whose dimensions match real ones. Weights are random (seeded, so
// every run writes the same bytes); the mel filterbank is the real one, so audio features are realistic.
// Format and pitfalls: reference/ggml-whisper-format.md. The tensor table comes from the validator, so
// a file this writes is, by construction, what validateModelFile accepts.
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, renameSync, statSync } from "node:fs";
import { open } from "node:fs/promises";
import { dirname, join } from "node:path";
import { GGML_MAGIC, expectedTensors, tensorBytes, tensorType, weightTypeOf, type HParams } from "../src/models/validate.ts";

export type Preset = "micro" | "tiny";
export interface TensorRecord { name: string; ne: number[]; type: number }
export interface ModelOptions {
  preset?: Preset;
  multilingual?: boolean;
  seed?: number;
  /** header overrides, e.g. ftype 0 (all-f32) or large-v3 dimensions (with `sparse`) */
  hparams?: Partial<HParams>;
  /** for tests: drop, rename, reshape or retype tensor records before they are written */
  editTensors?: (records: TensorRecord[]) => TensorRecord[];
  /** headers only, tensor data left as zero holes: any size or quantized type, at no generation cost */
  sparse?: boolean;
}

export const DEFAULT_SEED = 1234;
const PRESETS: Record<Preset, { state: number; heads: number; layers: number }> = {
  micro: { state: 64, heads: 1, layers: 1 },
  tiny: { state: 384, heads: 6, layers: 4 },
};

export function hparamsFor(opts: ModelOptions = {}): HParams {
  const p = PRESETS[opts.preset ?? "micro"];
  return {
    nVocab: opts.multilingual ? 51865 : 51864, nAudioCtx: 1500, nAudioState: p.state, nAudioHead: p.heads,
    nAudioLayer: p.layers, nTextCtx: 448, nTextState: p.state, nTextHead: p.heads, nTextLayer: p.layers,
    nMels: 80, ftype: 1, ...opts.hparams,
  };
}

/** xorshift32 plus a Weyl sequence (plain xorshift has weak low bits), normals by Box-Muller */
class Rng {
  private x: number;
  private w = 0;
  constructor(seed: number) {
    this.x = (Math.imul(seed ^ 0x5bd1e995, 0x27d4eb2d) ^ 0x2545f491) >>> 0 || 1;
  }
  /** out[i] = N(0, std^2); pairs from one Box-Muller draw, state kept in locals for speed */
  fillNormal(out: Float32Array, std: number): void {
    let x = this.x, w = this.w;
    for (let i = 0; i < out.length; i += 2) {
      x ^= x << 13; x ^= x >>> 17; x ^= x << 5; w = (w + 0x9e3779b9) | 0;
      const u1 = (((x + w) >>> 0) + 1) / 4294967296; // (0, 1]: log never sees 0
      x ^= x << 13; x ^= x >>> 17; x ^= x << 5; w = (w + 0x9e3779b9) | 0;
      const theta = (((x + w) >>> 0) / 4294967296) * 2 * Math.PI;
      const r = std * Math.sqrt(-2 * Math.log(u1));
      out[i] = r * Math.cos(theta);
      if (i + 1 < out.length) out[i + 1] = r * Math.sin(theta);
    }
    this.x = x >>> 0;
    this.w = w;
  }
}

/** IEEE half bits of each float, round to nearest even (subnormals, overflow to inf, NaN kept) */
export function f32ToF16(src: Float32Array, dst: Uint16Array = new Uint16Array(src.length)): Uint16Array {
  const bits = new Uint32Array(src.buffer, src.byteOffset, src.length);
  for (let i = 0; i < bits.length; i++) {
    const u = bits[i] as number;
    const sign = (u >>> 16) & 0x8000;
    const exp = (u >>> 23) & 0xff;
    const mant = u & 0x7fffff;
    const e = exp - 112; // rebias 127 -> 15
    let h: number;
    if (exp === 0xff) h = 0x7c00 | (mant ? 0x200 : 0);
    else if (e >= 31) h = 0x7c00;
    else if (e <= 0) {
      if (e < -10) h = 0; // below half the smallest subnormal
      else {
        const m = mant | 0x800000, shift = 14 - e;
        const rem = m & ((1 << shift) - 1), half = 1 << (shift - 1);
        h = m >>> shift;
        if (rem > half || (rem === half && h & 1)) h++;
      }
    } else {
      h = (e << 10) | (mant >>> 13);
      const rem = mant & 0x1fff;
      if (rem > 0x1000 || (rem === 0x1000 && h & 1)) h++; // a carry into the exponent is still right
    }
    dst[i] = sign | h;
  }
  return dst;
}

/** librosa.filters.mel(sr, n_fft, n_mels) with the Slaney mel scale and area norm, as Whisper uses */
export function melFilterbank(nMels: number, sr = 16000, nFft = 400): Float32Array {
  const nBins = nFft / 2 + 1;
  const step = Math.log(6.4) / 27; // Slaney: linear below 1 kHz, log above
  const toMel = (f: number) => (f < 1000 ? (3 * f) / 200 : 15 + Math.log(f / 1000) / step);
  const toHz = (m: number) => (m < 15 ? (200 * m) / 3 : 1000 * Math.exp((m - 15) * step));
  const top = toMel(sr / 2);
  const edges = Array.from({ length: nMels + 2 }, (_, i) => toHz((top * i) / (nMels + 1)));
  const out = new Float32Array(nMels * nBins);
  for (let m = 0; m < nMels; m++) {
    const [lo, mid, hi] = [edges[m] as number, edges[m + 1] as number, edges[m + 2] as number];
    const norm = 2 / (hi - lo);
    for (let k = 0; k < nBins; k++) {
      const f = (k * sr) / nFft;
      const w = Math.min((f - lo) / (mid - lo), (hi - f) / (hi - mid));
      out[m * nBins + k] = Math.max(0, w) * norm;
    }
  }
  return out;
}

function headerBytes(h: HParams): Uint8Array {
  const nTokens = h.nVocab >= 51865 ? 50257 : 50256;
  // ids 0-94 are the printable ASCII characters, so output text is readable; the rest are " t<id>"
  const tokens = Array.from({ length: nTokens }, (_, i) => Buffer.from(i < 95 ? String.fromCharCode(32 + i) : ` t${i}`));
  const filters = melFilterbank(h.nMels);
  const buf = Buffer.alloc(56 + filters.byteLength + 4 + tokens.reduce((n, t) => n + 4 + t.length, 0));
  const fields = [h.nVocab, h.nAudioCtx, h.nAudioState, h.nAudioHead, h.nAudioLayer, h.nTextCtx, h.nTextState, h.nTextHead, h.nTextLayer, h.nMels, h.ftype];
  buf.writeUInt32LE(GGML_MAGIC, 0);
  fields.forEach((v, i) => buf.writeInt32LE(v, 4 + 4 * i));
  buf.writeInt32LE(h.nMels, 48);
  buf.writeInt32LE(filters.length / h.nMels, 52);
  filters.forEach((v, i) => buf.writeFloatLE(v, 56 + 4 * i));
  let off = 56 + filters.byteLength;
  off = buf.writeInt32LE(nTokens, off);
  for (const t of tokens) {
    off = buf.writeUInt32LE(t.length, off);
    off += t.copy(buf, off);
  }
  return buf;
}

function recordHeader(r: TensorRecord): Uint8Array {
  const name = Buffer.from(r.name);
  const buf = Buffer.alloc(12 + 4 * r.ne.length + name.length);
  [r.ne.length, name.length, r.type, ...r.ne].forEach((v, i) => buf.writeInt32LE(v, 4 * i));
  name.copy(buf, 12 + 4 * r.ne.length);
  return buf;
}

function values(r: TensorRecord, rng: Rng): Float32Array {
  const n = r.ne.reduce((a, b) => a * b, 1);
  const out = new Float32Array(n);
  if (r.name === "encoder.positional_embedding") {
    // Whisper's sinusoids: row t is [sin(t*f_0..f_half), cos(t*f_0..f_half)], geometric frequencies
    const [width = 1, ctx = 1] = r.ne;
    const half = width >> 1, inc = Math.log(10000) / Math.max(1, half - 1);
    for (let t = 0; t < ctx; t++) {
      for (let c = 0; c < half; c++) {
        const a = t * Math.exp(-inc * c);
        out[t * width + c] = Math.sin(a);
        out[t * width + half + c] = Math.cos(a);
      }
    }
  } else if (/ln(_post)?\.weight$/.test(r.name)) out.fill(1);
  else {
    // weights N(0, 1/sqrt(fan_in)) keep activations O(1) through the layers; biases and the learned
    // decoder positions small
    const small = r.name.endsWith(".bias") || r.name === "decoder.positional_embedding";
    const std = small ? 0.02 : 1 / Math.sqrt(r.ne.slice(0, -1).reduce((a, b) => a * b, 1));
    rng.fillNormal(out, std);
  }
  return out;
}

/** the file as a list of byte chunks; in sparse mode numbers stand for holes of that many bytes */
export function* modelParts(opts: ModelOptions = {}): Generator<Uint8Array | number> {
  if (new Uint8Array(new Uint16Array([1]).buffer)[0] !== 1) throw new Error("make-test-model needs a little-endian host");
  const h = hparamsFor(opts);
  const wt = weightTypeOf(h.ftype) ?? 1;
  let records: TensorRecord[] = expectedTensors(h).map((s) => ({ name: s.name, ne: s.ne, type: tensorType(s.kind, wt) }));
  if (opts.editTensors) records = opts.editTensors(records);
  const rng = new Rng(opts.seed ?? DEFAULT_SEED);
  yield headerBytes(h);
  for (const r of records) {
    yield recordHeader(r);
    if (opts.sparse) yield Math.max(0, tensorBytes(r.ne, r.type));
    else if (r.type === 0) yield new Uint8Array(values(r, rng).buffer);
    else if (r.type === 1) yield new Uint8Array(f32ToF16(values(r, rng)).buffer);
    else throw new Error(`cannot generate data of ggml type ${r.type} for '${r.name}' (use sparse)`);
  }
}

/** the whole file in memory (holes of sparse files as zeros) */
export function modelBytes(opts: ModelOptions = {}): Uint8Array {
  const parts = [...modelParts(opts)].map((p) => (typeof p === "number" ? new Uint8Array(p) : p));
  return Buffer.concat(parts);
}

/** streams the file to `path` (sparse holes are seeked over); returns its size */
export async function writeModel(path: string, opts: ModelOptions = {}): Promise<number> {
  const fh = await open(path, "w");
  let pos = 0;
  try {
    for (const p of modelParts(opts)) {
      if (typeof p === "number") {
        pos += p;
        continue;
      }
      for (let done = 0; done < p.length; ) done += (await fh.write(p, done, p.length - done, pos + done)).bytesWritten;
      pos += p.length;
    }
    await fh.truncate(pos);
  } finally {
    await fh.close();
  }
  return pos;
}

const sha256 = (parts: Iterable<Uint8Array>) => {
  const hash = createHash("sha256");
  for (const p of parts) hash.update(p);
  return hash.digest("hex");
};

/** generates in memory, writes only when the file on disk differs, atomically */
async function ensureModel(path: string, opts: ModelOptions): Promise<void> {
  const t0 = performance.now();
  const parts = [...modelParts(opts)] as Uint8Array[];
  const size = parts.reduce((n, p) => n + p.length, 0);
  const want = sha256(parts);
  const ms = () => `${Math.round(performance.now() - t0)} ms`;
  const label = `${path} (${(size / 1e6).toFixed(1)} MB, sha256 ${want.slice(0, 12)})`;
  if (existsSync(path) && statSync(path).size === size && sha256([readFileSync(path)]) === want) {
    console.error(`make-test-model: up to date ${label}`);
    return;
  }
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.${process.pid}.part`;
  await Bun.write(tmp, new Blob(parts as BlobPart[]));
  renameSync(tmp, path);
  console.error(`make-test-model: wrote ${label} in ${ms()}`);
}

const USAGE = "usage: bun scripts/make-test-model.ts [--preset micro|tiny] [--multilingual] [--seed N] [--out PATH]\n" +
  "  no arguments: models/synth-micro.en.bin, models/synth-micro.bin and models/synth-tiny.en.bin";

async function main(args: string[]): Promise<void> {
  const opts: ModelOptions = {};
  let out: string | undefined;
  for (let i = 0; i < args.length; i++) {
    const flag = args[i];
    const value = () => args[++i] ?? "";
    if (flag === "--multilingual") opts.multilingual = true;
    else if (flag === "--preset") opts.preset = value() as Preset;
    else if (flag === "--seed") opts.seed = Number(value());
    else if (flag === "--out") out = value();
    else opts.preset = "bad" as Preset;
  }
  const seedOk = opts.seed === undefined || (Number.isInteger(opts.seed) && opts.seed >= 0 && opts.seed < 2 ** 32);
  if (!(opts.preset === undefined || Object.hasOwn(PRESETS, opts.preset)) || !seedOk || out === "") {
    console.error(USAGE);
    process.exit(2);
  }
  const models = join(import.meta.dir, "..", "models");
  if (args.length === 0) {
    await ensureModel(join(models, "synth-micro.en.bin"), { preset: "micro" });
    await ensureModel(join(models, "synth-micro.bin"), { preset: "micro", multilingual: true });
    await ensureModel(join(models, "synth-tiny.en.bin"), { preset: "tiny" });
    return;
  }
  const name = `synth-${opts.preset ?? "micro"}${opts.multilingual ? "" : ".en"}.bin`;
  await ensureModel(out ?? join(models, name), opts);
}

if (import.meta.main) await main(process.argv.slice(2));
