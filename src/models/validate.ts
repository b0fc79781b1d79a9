// Checks a whisper.cpp "ggml" model file before whisper.cpp opens it. whisper.cpp 1.9.1 trusts the
// file: an unknown ftype, an all-f32 model, a huge length field or more than 4 dims abort or crash the
// whole process, so every field it reads is checked here first. Only headers are read (tensor data
// is skipped by offset), so a 3 GB model takes milliseconds. Format: reference/ggml-whisper-format.md.
// Stricter than whisper.cpp on purpose: it ignores up to 11 trailing bytes, loads a file with no
// tensors as an "empty test model" (it then transcribes nothing) and counts a duplicate tensor in place
// of a missing one; all three mean a damaged or wrong file, so they are rejected here.
import { constants } from "node:fs";
import { open, stat, type FileHandle } from "node:fs/promises";
import { SonaError } from "../errors.ts";

export const GGML_MAGIC = 0x67676d6c;
const HEADER_BYTES = 56; // magic + 11 hparams + filters.n_mel + filters.n_fft
const N_FFT_BINS = 201;
const MAX_TOKEN_BYTES = 1024; // real tokens are under 130 bytes; a huge length makes whisper.cpp abort

/** What the first bytes of a ggml file say it is: a Silero VAD model, a whisper model, or neither. */
export function ggmlKind(head: Uint8Array): "vad" | "whisper" | "unknown" {
  if (head.length < 16) return "unknown";
  const v = new DataView(head.buffer, head.byteOffset, head.byteLength);
  if (v.getUint32(0, true) !== GGML_MAGIC) return "unknown";
  const first = v.getInt32(4, true);
  if (first >= 6 && first <= 64 && new TextDecoder().decode(head.subarray(8, 14)) === "silero") return "vad";
  // a whisper header starts with n_vocab (51864 to 51866 in every published model)
  return first >= 50000 && first <= 60000 ? "whisper" : "unknown";
}

/** ggml type id -> block size and bytes per block (ggml type_traits; only the types Sona accepts) */
export const GGML_TYPES: Readonly<Record<number, { name: string; block: number; bytes: number }>> = {
  0: { name: "f32", block: 1, bytes: 4 },
  1: { name: "f16", block: 1, bytes: 2 },
  2: { name: "q4_0", block: 32, bytes: 18 },
  3: { name: "q4_1", block: 32, bytes: 20 },
  6: { name: "q5_0", block: 32, bytes: 22 },
  7: { name: "q5_1", block: 32, bytes: 24 },
  8: { name: "q8_0", block: 32, bytes: 34 },
  10: { name: "q2_k", block: 256, bytes: 84 },
  11: { name: "q3_k", block: 256, bytes: 110 },
  12: { name: "q4_k", block: 256, bytes: 144 },
  13: { name: "q5_k", block: 256, bytes: 176 },
  14: { name: "q6_k", block: 256, bytes: 210 },
};

/** ggml_ftype (file header, after % 1000) -> ggml type of the 2-D weights */
const FTYPE_WEIGHT_TYPE: Readonly<Record<number, number>> = {
  0: 0, 1: 1, 2: 2, 3: 3, 7: 8, 8: 6, 9: 7, 10: 10, 11: 11, 12: 12, 13: 13, 14: 14,
};
/** ggml type of the 2-D weights for a header ftype (undefined: not supported) */
export function weightTypeOf(ftype: number): number | undefined {
  return ftype < 0 ? undefined : FTYPE_WEIGHT_TYPE[ftype % 1000];
}
const QNT_VERSION = 2; // whisper-quantize writes 2000 + ftype; older versions had other block layouts

export interface HParams {
  nVocab: number;
  nAudioCtx: number;
  nAudioState: number;
  nAudioHead: number;
  nAudioLayer: number;
  nTextCtx: number;
  nTextState: number;
  nTextHead: number;
  nTextLayer: number;
  nMels: number;
  ftype: number;
}

/** W: weight type from ftype; V: convolution kernel (f16 unless all-f32); F32: always f32 */
export type TensorKind = "W" | "V" | "F32";
/** ne is in ggml order with the dimension count the converters write (conv biases are [1, A]) */
export interface TensorSpec { name: string; ne: number[]; kind: TensorKind }

/** The tensors whisper.cpp 1.9.1 expects for these hparams, in the converters' order. */
export function expectedTensors(h: Pick<HParams, "nVocab" | "nAudioCtx" | "nAudioState" | "nAudioLayer" | "nTextCtx" | "nTextState" | "nTextLayer" | "nMels">): TensorSpec[] {
  const A = h.nAudioState, T = h.nTextState;
  const out: TensorSpec[] = [];
  const add = (name: string, kind: TensorKind, ...ne: number[]) => out.push({ name, ne, kind });
  const block = (p: string, S: number, attn: string[]) => {
    for (const a of attn) {
      for (const w of ["query", "key", "value", "out"]) {
        add(`${p}.${a}.${w}.weight`, "W", S, S);
        if (w !== "key") add(`${p}.${a}.${w}.bias`, "F32", S);
      }
      add(`${p}.${a}_ln.weight`, "F32", S);
      add(`${p}.${a}_ln.bias`, "F32", S);
    }
    add(`${p}.mlp.0.weight`, "W", S, 4 * S);
    add(`${p}.mlp.0.bias`, "F32", 4 * S);
    add(`${p}.mlp.2.weight`, "W", 4 * S, S);
    add(`${p}.mlp.2.bias`, "F32", S);
    add(`${p}.mlp_ln.weight`, "F32", S);
    add(`${p}.mlp_ln.bias`, "F32", S);
  };
  add("encoder.positional_embedding", "F32", A, h.nAudioCtx);
  add("encoder.conv1.weight", "V", 3, h.nMels, A);
  add("encoder.conv1.bias", "F32", 1, A);
  add("encoder.conv2.weight", "V", 3, A, A);
  add("encoder.conv2.bias", "F32", 1, A);
  for (let i = 0; i < h.nAudioLayer; i++) block(`encoder.blocks.${i}`, A, ["attn"]);
  add("encoder.ln_post.weight", "F32", A);
  add("encoder.ln_post.bias", "F32", A);
  add("decoder.positional_embedding", "F32", T, h.nTextCtx);
  add("decoder.token_embedding.weight", "W", T, h.nVocab);
  for (let i = 0; i < h.nTextLayer; i++) block(`decoder.blocks.${i}`, T, ["attn", "cross_attn"]);
  add("decoder.ln.weight", "F32", T);
  add("decoder.ln.bias", "F32", T);
  return out;
}

/** ggml type of a tensor of this kind in a model whose weights are `weightType` */
export function tensorType(kind: TensorKind, weightType: number): number {
  if (kind === "F32") return 0;
  if (kind === "V") return weightType === 0 ? 0 : 1;
  return weightType;
}

/** bytes of tensor data, or -1 when rows are not whole blocks (ggml cannot hold such a tensor) */
export function tensorBytes(ne: readonly number[], type: number): number {
  const t = GGML_TYPES[type];
  const ne0 = ne[0] ?? 1;
  if (!t || ne0 % t.block !== 0) return -1;
  return ne.slice(1).reduce((n, d) => n * d, (ne0 / t.block) * t.bytes);
}

export type ModelType = "tiny" | "base" | "small" | "medium" | "large" | "large-v3" | "large-v3-turbo" | "unknown";

export interface ModelInfo {
  path: string;
  sizeBytes: number;
  nVocab: number;
  multilingual: boolean;
  nAudioState: number;
  nAudioLayer: number;
  nTextLayer: number;
  nMels: number;
  /** ggml_ftype (quantization version stripped): 1 f16, 2 q4_0, 7 q8_0, ... */
  ftype: number;
  /** ggml type name of the 2-D weights: "f16", "q5_0", ... */
  weightType: string;
  /** whisper.cpp's label, derived from the layer counts and vocabulary */
  type: ModelType;
  tensors: number;
}

const ALL_F32 = "all-f32 models are not supported by whisper.cpp 1.9.1 (it aborts in the convolution); use an f16 or quantized model";
const LABELS: Record<number, ModelType> = { 4: "tiny", 6: "base", 12: "small", 24: "medium", 32: "large" };

function modelType(h: HParams): ModelType {
  const label = LABELS[h.nAudioLayer] ?? "unknown";
  if (label !== "large" || h.nVocab !== 51866) return label;
  return h.nTextLayer === 4 ? "large-v3-turbo" : "large-v3";
}

/** Reads small pieces of the file through a window, so header parsing does few syscalls. */
class Window {
  private buf = Buffer.alloc(0);
  private start = 0;
  constructor(private readonly fh: FileHandle, readonly size: number) {}
  /** [off, off+n) is already in the window: lets hot loops skip an await */
  holds(off: number, n: number): boolean {
    return off >= this.start && n >= 0 && off + n <= this.start + this.buf.length;
  }
  /** true when [off, off+n) lies inside the file; loads it into the window */
  async has(off: number, n: number): Promise<boolean> {
    if (off < 0 || n < 0 || off + n > this.size) return false;
    if (this.holds(off, n)) return true;
    const len = Math.min(Math.max(n, 16384), this.size - off);
    const buf = Buffer.allocUnsafe(len);
    const { bytesRead } = await this.fh.read(buf, 0, len, off);
    if (bytesRead < n) return false; // file shrank while we read it
    this.buf = buf.subarray(0, bytesRead);
    this.start = off;
    return true;
  }
  i32(off: number): number { return this.buf.readInt32LE(off - this.start); }
  u32(off: number): number { return this.buf.readUInt32LE(off - this.start); }
  bytes(off: number, n: number): Buffer { return this.buf.subarray(off - this.start, off - this.start + n); }
}

/** printable for messages: names come from the file and must not dump arbitrary bytes */
const shown = (s: string) => (/^[\x20-\x7e]{1,64}$/.test(s) ? `'${s}'` : `(unprintable name of ${s.length} bytes)`);
const oneLine = (s: string) => s.replace(/[\x00-\x1f\x7f]/g, "?");

export async function validateModelFile(path: string): Promise<ModelInfo> {
  const where = oneLine(path);
  const fail: (problem: string) => never = (problem) => {
    throw new SonaError("invalid_model", `${problem}: ${where}`, { param: "path" });
  };
  const st = await stat(path).catch((e: NodeJS.ErrnoException) => {
    if (e.code === "ENOENT" || e.code === "ENOTDIR") throw new SonaError("model_not_found", `model file not found: ${where}`, { param: "path" });
    return fail(`cannot read model file (${e.code ?? "error"})`);
  });
  if (st.isDirectory()) fail("model path is a directory, not a file");
  if (!st.isFile()) fail("model path is not a regular file");
  // O_NONBLOCK: if the path was swapped for a FIFO after stat(), open() must not hang
  const fh = await open(path, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0)).catch((e: NodeJS.ErrnoException) =>
    fail(`cannot open model file (${e.code ?? "error"})`),
  );
  try {
    const fst = await fh.stat();
    if (!fst.isFile()) fail("model path is not a regular file");
    return await check(new Window(fh, fst.size), path, fail);
  } catch (e) {
    if (e instanceof SonaError) throw e;
    return fail(`cannot read model file (${(e as NodeJS.ErrnoException).code ?? String(e)})`); // EIO and the like
  } finally {
    await fh.close();
  }
}

async function check(w: Window, path: string, fail: (problem: string) => never): Promise<ModelInfo> {
  const size = w.size;
  const truncated = (what: string, off: number, n: number) =>
    fail(`model file is truncated, ${what} needs ${n} bytes at offset ${off} but the file has ${size}`);
  if (size < 4 || !(await w.has(0, 4)) || w.u32(0) !== GGML_MAGIC) fail("not a whisper.cpp model file (bad magic)");
  if ((await w.has(0, 16)) && ggmlKind(w.bytes(0, 16)) === "vad") {
    fail("this is a Silero VAD model, not a whisper model (give it as vad_model / --vad-model)");
  }
  if (!(await w.has(0, HEADER_BYTES))) truncated("the header", 0, HEADER_BYTES);
  const v = (i: number) => w.i32(4 + 4 * i);
  const h: HParams = {
    nVocab: v(0), nAudioCtx: v(1), nAudioState: v(2), nAudioHead: v(3), nAudioLayer: v(4), nTextCtx: v(5),
    nTextState: v(6), nTextHead: v(7), nTextLayer: v(8), nMels: v(9), ftype: v(10),
  };
  checkHParams(h, fail);
  const ftype = h.ftype % 1000;
  const weightType = weightTypeOf(h.ftype) as number; // checkHParams rejected the rest
  const [filterMels, filterBins] = [w.i32(48), w.i32(52)];
  if (filterMels !== h.nMels) fail(`mel filterbank has ${filterMels} rows but the model has ${h.nMels} mel bins`);
  if (filterBins !== N_FFT_BINS) fail(`mel filterbank has ${filterBins} frequency bins, expected ${N_FFT_BINS}`);

  let off = HEADER_BYTES + 4 * h.nMels * N_FFT_BINS;
  if (!(await w.has(off, 4))) truncated("the vocabulary", off, 4);
  const nTokens = w.i32(off);
  if (nTokens < 0 || nTokens > h.nVocab) fail(`vocabulary has ${nTokens} tokens, expected at most ${h.nVocab}`);
  off += 4;
  for (let i = 0; i < nTokens; i++) {
    if (!w.holds(off, 4) && !(await w.has(off, 4))) truncated(`token ${i}`, off, 4);
    const len = w.u32(off);
    if (len > MAX_TOKEN_BYTES) fail(`token ${i} is ${len} bytes long (at most ${MAX_TOKEN_BYTES})`);
    if (!w.holds(off + 4, len) && !(await w.has(off + 4, len))) truncated(`token ${i}`, off, 4 + len);
    off += 4 + len;
  }

  const specs = new Map(expectedTensors(h).map((s) => [s.name, s]));
  const seen = new Set<string>();
  while (off < size) {
    if (seen.size === specs.size) fail(`model file has ${size - off} unexpected bytes after the last tensor`);
    if (!(await w.has(off, 12))) truncated("a tensor header", off, 12);
    const [nDims, nameLen, ttype] = [w.i32(off), w.i32(off + 4), w.i32(off + 8)];
    if (nDims < 1 || nDims > 4 || nameLen < 1 || nameLen > 256) fail(`bad tensor header at offset ${off}`);
    const headLen = 12 + 4 * nDims + nameLen;
    if (!(await w.has(off, headLen))) truncated("a tensor header", off, headLen);
    const ne = Array.from({ length: nDims }, (_, i) => w.i32(off + 12 + 4 * i));
    const name = w.bytes(off + 12 + 4 * nDims, nameLen).toString("latin1");
    const s = specs.get(name);
    if (!s) return fail(`unknown tensor ${shown(name)} in model file`);
    if (seen.has(name)) fail(`tensor ${shown(name)} appears twice`);
    seen.add(name);
    const pad = (d: number[]) => [...d, 1, 1, 1, 1].slice(0, 4);
    if (pad(ne).join() !== pad(s.ne).join()) fail(`tensor ${shown(name)} has shape [${ne.join(", ")}], expected [${s.ne.join(", ")}]`);
    const want = tensorType(s.kind, weightType);
    if (ttype !== want) {
      if (s.kind === "V" && ttype === 0) fail(`tensor ${shown(name)} is f32; ${ALL_F32}`);
      fail(`tensor ${shown(name)} has type ${GGML_TYPES[ttype]?.name ?? `id ${ttype}`}, expected ${GGML_TYPES[want]?.name}`);
    }
    const nbytes = tensorBytes(s.ne, want);
    if (nbytes < 0) fail(`tensor ${shown(name)} rows of ${s.ne[0]} are not whole ${GGML_TYPES[want]?.name} blocks`);
    off += headLen;
    if (off + nbytes > size) truncated(`tensor ${shown(name)}`, off, nbytes);
    off += nbytes;
  }
  if (seen.size === 0) fail("model file has no tensors (an empty test model transcribes nothing)");
  if (seen.size < specs.size) {
    const missing = [...specs.keys()].filter((n) => !seen.has(n));
    fail(`model file is missing ${missing.length} of ${specs.size} tensors (first: ${shown(missing[0] ?? "")})`);
  }
  return {
    path, sizeBytes: size, nVocab: h.nVocab, multilingual: h.nVocab >= 51865, nAudioState: h.nAudioState,
    nAudioLayer: h.nAudioLayer, nTextLayer: h.nTextLayer, nMels: h.nMels, ftype,
    weightType: GGML_TYPES[weightType]?.name ?? "?", type: modelType(h), tensors: seen.size,
  };
}

/** Values whisper.cpp would misuse or crash on; released models all fit these ranges. */
function checkHParams(h: HParams, fail: (problem: string) => never): void {
  // n_vocab decides the special token ids; above 51866 whisper.cpp looks up languages that do not exist
  if (h.nVocab < 51864 || h.nVocab > 51866) fail(`unsupported vocabulary size ${h.nVocab} (expected 51864, 51865 or 51866)`);
  // whisper.cpp decodes 30 s windows (1500 encoder frames) with a 448-token context
  if (h.nAudioCtx !== 1500) fail(`unsupported audio context ${h.nAudioCtx} (expected 1500)`);
  if (h.nTextCtx !== 448) fail(`unsupported text context ${h.nTextCtx} (expected 448)`);
  if (h.nAudioState !== h.nTextState) fail(`audio state ${h.nAudioState} differs from text state ${h.nTextState}`);
  if (h.nAudioState < 1 || h.nAudioState > 8192) fail(`implausible model width ${h.nAudioState}`);
  for (const [what, heads] of [["audio", h.nAudioHead], ["text", h.nTextHead]] as const) {
    if (heads < 1 || heads > 128 || h.nAudioState % heads !== 0) fail(`invalid ${what} head count ${heads} for model width ${h.nAudioState}`);
  }
  for (const [what, n] of [["audio", h.nAudioLayer], ["text", h.nTextLayer]] as const) {
    if (n < 1 || n > 64) fail(`implausible ${what} layer count ${n}`);
  }
  if (h.nMels !== 80 && h.nMels !== 128) fail(`unsupported mel bin count ${h.nMels} (expected 80 or 128)`);
  const ftype = h.ftype % 1000, qntvr = Math.floor(h.ftype / 1000);
  if (h.ftype >= 0 && ftype === 0) fail(ALL_F32);
  // an ftype without a weight type makes whisper.cpp 1.9.1 abort (GGML_ASSERT in ggml_ftype_to_ggml_type)
  const wt = weightTypeOf(h.ftype);
  if (wt === undefined) fail(`unsupported weight format (ftype ${h.ftype})`);
  const quantized = (wt as number) > 1;
  if (quantized && qntvr !== QNT_VERSION) fail(`quantized with an old ggml format (version ${qntvr}); requantize it with whisper.cpp 1.9.1`);
  if (!quantized && qntvr !== 0) fail(`unsupported weight format (ftype ${h.ftype})`);
}
