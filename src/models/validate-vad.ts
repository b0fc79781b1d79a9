// Checks a Silero VAD file in whisper.cpp's ggml format before whisper.cpp opens it. whisper.cpp
// 1.9.1 reads its header without bounds (a huge name length is a multi-GB allocation, a wrong
// layer count walks off its arrays), so every field it reads is checked here first. The layout is
// fixed: the Silero v5 and v6 conversions both have exactly these hyper-parameters and tensors.
// Files are under 1 MB, so the whole file is read.
import { stat } from "node:fs/promises";
import { SonaError } from "../errors.ts";
import { ggmlKind } from "./validate.ts";

export interface VadModelInfo {
  path: string;
  /** "silero-16k" */
  type: string;
  /** "6.2.0" */
  version: string;
  size: number;
}

const MAX_BYTES = 16 << 20;
const F32 = 0;
const F16 = 1;

// [name, dims as ggml writes them, ggml type]
const TENSORS: readonly [string, number[], number][] = [
  ["_model.encoder.0.reparam_conv.weight", [3, 129, 128], F16],
  ["_model.encoder.0.reparam_conv.bias", [128], F32],
  ["_model.encoder.1.reparam_conv.weight", [3, 128, 64], F16],
  ["_model.encoder.1.reparam_conv.bias", [64], F32],
  ["_model.encoder.2.reparam_conv.weight", [3, 64, 64], F16],
  ["_model.encoder.2.reparam_conv.bias", [64], F32],
  ["_model.encoder.3.reparam_conv.weight", [3, 64, 128], F16],
  ["_model.encoder.3.reparam_conv.bias", [128], F32],
  ["_model.decoder.rnn.weight_ih", [128, 512], F32],
  ["_model.decoder.rnn.weight_hh", [128, 512], F32],
  ["_model.decoder.rnn.bias_ih", [512], F32],
  ["_model.decoder.rnn.bias_hh", [512], F32],
  ["_model.decoder.decoder.2.weight", [128], F16],
  ["_model.decoder.decoder.2.bias", [], F32],
  ["_model.stft.forward_basis_buffer", [256, 1, 258], F16],
];
// n_window, n_context, layer count, per layer (in, out, kernel), lstm in/hidden, final conv in/out
const HPARAMS = [512, 64, 4, 129, 128, 3, 128, 64, 3, 64, 64, 3, 64, 128, 3, 128, 128, 128, 1];

export async function validateVadFile(path: string): Promise<VadModelInfo> {
  const where = path.replace(/[\x00-\x1f\x7f]/g, "?");
  const fail = (problem: string): never => {
    throw new SonaError("invalid_model", `${problem}: ${where}`, { param: "vad_model" });
  };
  const st = await stat(path).catch((e: NodeJS.ErrnoException) => {
    if (e.code === "ENOENT" || e.code === "ENOTDIR") throw new SonaError("model_not_found", `VAD model file not found: ${where}`, { param: "vad_model" });
    return fail(`cannot read VAD model file (${e.code ?? "error"})`);
  });
  if (!st.isFile()) fail("VAD model path is not a regular file");
  if (st.size > MAX_BYTES) fail(`not a Silero VAD model (${st.size} bytes; Silero files are under 1 MB)`);
  const bytes = new Uint8Array(await Bun.file(path).arrayBuffer().catch(() => fail("cannot read VAD model file")));
  const kind = ggmlKind(bytes);
  if (kind === "whisper") fail("this is a whisper model, not a VAD model (give it as the model, and a Silero file as vad_model)");
  if (kind !== "vad") fail("not a Silero VAD model in whisper.cpp's ggml format (bad header)");
  return check(bytes, path, fail);
}

function check(bytes: Uint8Array, path: string, fail: (problem: string) => never): VadModelInfo {
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let off = 4;
  const i32 = (what: string) => {
    if (off + 4 > bytes.length) fail(`VAD model file is truncated in ${what}`);
    const x = v.getInt32(off, true);
    off += 4;
    return x;
  };
  const nameLen = i32("the header");
  const type = new TextDecoder().decode(bytes.subarray(off, off + nameLen));
  off += nameLen;
  if (type !== "silero-16k") fail(`unsupported VAD model type '${type.replace(/[^\x20-\x7e]/g, "?")}' (Sona runs silero-16k)`);
  const version = [i32("the header"), i32("the header"), i32("the header")];
  if (version[0] !== 5 && version[0] !== 6) fail(`unsupported Silero version ${version.join(".")} (5.x and 6.x are supported)`);
  for (const [i, want] of HPARAMS.entries()) {
    const got = i32("the hyper-parameters");
    if (got !== want) fail(`not the Silero layout whisper.cpp runs (hyper-parameter ${i} is ${got}, expected ${want})`);
  }
  const seen = new Set<string>();
  while (off < bytes.length) {
    const nDims = i32("a tensor header");
    const nameBytes = i32("a tensor header");
    const ttype = i32("a tensor header");
    if (nDims < 0 || nDims > 4 || nameBytes < 1 || nameBytes > 64) fail(`damaged tensor header at offset ${off - 12}`);
    const ne = Array.from({ length: nDims }, () => i32("a tensor header"));
    if (off + nameBytes > bytes.length) fail("VAD model file is truncated in a tensor name");
    const name = new TextDecoder().decode(bytes.subarray(off, off + nameBytes));
    off += nameBytes;
    const spec = TENSORS.find((t) => t[0] === name);
    if (!spec) fail(`unknown tensor '${name.replace(/[^\x20-\x7e]/g, "?")}' in the VAD model`);
    if (seen.has(name)) fail(`tensor '${name}' appears twice in the VAD model`);
    seen.add(name);
    const [, dims, type] = spec;
    if (ttype !== type || ne.length !== dims.length || ne.some((n, i) => n !== dims[i])) {
      fail(`tensor '${name}' has shape [${ne.join(", ")}] type ${ttype}, expected [${dims.join(", ")}] type ${type}`);
    }
    const dataBytes = dims.reduce((a, b) => a * b, 1) * (type === F16 ? 2 : 4);
    if (off + dataBytes > bytes.length) fail(`VAD model file is truncated in tensor '${name}'`);
    off += dataBytes;
  }
  if (seen.size !== TENSORS.length) fail(`VAD model has ${seen.size} of its ${TENSORS.length} tensors`);
  return { path, type, version: version.join("."), size: bytes.length };
}
