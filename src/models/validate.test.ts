import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { open } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { f32ToF16, melFilterbank, modelBytes, modelParts, writeModel, type ModelOptions, type TensorRecord } from "../../scripts/make-test-model.ts";
import { SonaError, type ErrorCode } from "../errors.ts";
import { validateModelFile, type HParams } from "./validate.ts";

let dir = "";
let micro: Uint8Array; // micro English model, mutated by the failure tests
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "sona-validate-"));
  micro = modelBytes({ preset: "micro" });
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let n = 0;
const file = (bytes: Uint8Array): string => {
  const p = join(dir, `m${n++}.bin`);
  writeFileSync(p, bytes);
  return p;
};
const variant = (opts: ModelOptions) => file(modelBytes({ preset: "micro", ...opts }));
// tensor data does not matter to the validator: sparse files are fast and allow any type id
const edit = (fn: (r: TensorRecord[]) => TensorRecord[]) => variant({ editTensors: fn, sparse: true });
const sha = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");

async function failure(path: string): Promise<SonaError> {
  const err = await validateModelFile(path).then(() => new Error("validated"), (e: unknown) => e);
  if (!(err instanceof SonaError)) throw err;
  expect(err.message).not.toContain("\n");
  return err;
}
async function rejects(path: string, message: RegExp, code: ErrorCode = "invalid_model"): Promise<void> {
  const err = await failure(path);
  expect(err.code).toBe(code);
  expect(err.param).toBe("path");
  expect(err.message).toMatch(message);
}
/** micro model bytes with int32 `value` at `offset` */
const patched = (offset: number, value: number) => {
  const b = Buffer.from(micro);
  b.writeInt32LE(value, offset);
  return file(b);
};

describe("valid models", () => {
  test("micro English and multilingual", async () => {
    const en = await validateModelFile(file(micro));
    expect(en).toMatchObject({ sizeBytes: 8039111, nVocab: 51864, multilingual: false, nAudioState: 64, nAudioLayer: 1, nTextLayer: 1, nMels: 80, ftype: 1, weightType: "f16", type: "unknown", tensors: 50 });
    const ml = await validateModelFile(variant({ multilingual: true }));
    expect(ml).toMatchObject({ nVocab: 51865, multilingual: true, tensors: 50 });
  });

  test("tiny preset", async () => {
    const p = join(dir, "tiny.bin");
    expect(await writeModel(p, { preset: "tiny" })).toBe(77724291);
    expect(await validateModelFile(p)).toMatchObject({ path: p, nAudioState: 384, nAudioLayer: 4, nTextLayer: 4, type: "tiny", tensors: 167 });
  }, 30000);

  test("a 3 GB large-v3 and quantized models are checked from their headers alone", async () => {
    const large: Partial<HParams> = { nVocab: 51866, nAudioState: 1280, nTextState: 1280, nAudioHead: 20, nTextHead: 20, nAudioLayer: 32, nTextLayer: 32, nMels: 128 };
    const cases: [Partial<HParams>, object][] = [
      [large, { type: "large-v3", weightType: "f16", tensors: 1259 }],
      [{ ...large, nTextLayer: 4, ftype: 2008 }, { type: "large-v3-turbo", weightType: "q5_0", ftype: 8 }],
      [{ nAudioState: 512, nTextState: 512, nAudioLayer: 6, nTextLayer: 6, ftype: 2012 }, { type: "base", weightType: "q4_k" }],
      [{ ftype: 2007 }, { weightType: "q8_0" }],
    ];
    for (const [hparams, want] of cases) {
      const p = join(dir, `sparse${n++}.bin`);
      const size = await writeModel(p, { sparse: true, hparams });
      const t0 = performance.now();
      expect(await validateModelFile(p)).toMatchObject({ sizeBytes: size, ...want });
      expect(performance.now() - t0).toBeLessThan(500);
    }
  });

  test("a symlink to a model is followed", async () => {
    const link = join(dir, "link.bin");
    symlinkSync(file(micro), link);
    expect((await validateModelFile(link)).tensors).toBe(50);
  });
});

describe("rejected files", () => {
  test("paths that are not model files", async () => {
    await rejects(join(dir, "nope.bin"), /^model file not found: /, "model_not_found");
    await rejects(join(dir, "nope", "x.bin"), /not found/, "model_not_found");
    mkdirSync(join(dir, "sub"));
    await rejects(join(dir, "sub"), /is a directory/);
    await rejects("/dev/zero", /not a regular file/);
    const fifo = join(dir, "fifo");
    if (spawnSync("mkfifo", [fifo]).status === 0) await rejects(fifo, /not a regular file/); // must not block
    await rejects(file(new Uint8Array(0)), /bad magic/);
    await rejects(file(Buffer.from("RIFF....WAVEfmt ")), /^not a whisper\.cpp model file \(bad magic\): \//);
    await rejects(join(dir, "bad\nname.bin"), /^model file not found: .*bad\?name\.bin$/, "model_not_found");
  });

  test("truncated at several offsets", async () => {
    const firstRecord = (modelParts({ preset: "micro" }).next().value as Uint8Array).length;
    const cut = (len: number) => file(micro.subarray(0, len));
    await rejects(cut(3), /bad magic/);
    await rejects(cut(40), /truncated, the header needs 56 bytes at offset 0 but the file has 40/);
    await rejects(cut(1000), /truncated, the vocabulary/);
    await rejects(cut(70000), /truncated, token \d+ needs/);
    await rejects(cut(firstRecord + 5), /truncated, a tensor header/);
    await rejects(cut(firstRecord + 20), /truncated, a tensor header/);
    await rejects(cut(micro.length - 1), /truncated, tensor 'decoder\.ln\.bias' needs 256 bytes at offset \d+ but the file has 8039110/);
    await rejects(cut(micro.length - 256 - 12 - 4 - 15), /missing 1 of 50 tensors \(first: 'decoder\.ln\.bias'\)/);
  });

  test("all-f32 models, which make whisper.cpp 1.9.1 abort", async () => {
    await rejects(variant({ hparams: { ftype: 0 } }), /^all-f32 models are not supported by whisper\.cpp 1\.9\.1 .*use an f16 or quantized model: /);
    const f32Conv = edit((rs) => rs.map((r) => (r.name === "encoder.conv2.weight" ? { ...r, type: 0 } : r)));
    await rejects(f32Conv, /tensor 'encoder\.conv2\.weight' is f32; all-f32 models are not supported/);
  });

  test("tensor records whisper.cpp would refuse or misread", async () => {
    const change = (name: string, f: (r: TensorRecord) => TensorRecord) => edit((rs) => rs.map((r) => (r.name === name ? f(r) : r)));
    await rejects(change("encoder.conv1.weight", (r) => ({ ...r, ne: [3, 64, 80] })), /'encoder\.conv1\.weight' has shape \[3, 64, 80\], expected \[3, 80, 64\]/);
    await rejects(change("decoder.ln.bias", (r) => ({ ...r, name: "decoder.ln.bias2" })), /unknown tensor 'decoder\.ln\.bias2'/);
    await rejects(change("decoder.ln.bias", (r) => ({ ...r, name: "\u0001\u0002" })), /unknown tensor \(unprintable name of 2 bytes\)/);
    await rejects(change("encoder.ln_post.bias", (r) => ({ ...r, type: 1 })), /'encoder\.ln_post\.bias' has type f16, expected f32/);
    await rejects(change("encoder.ln_post.bias", (r) => ({ ...r, type: 99 })), /has type id 99, expected f32/);
    await rejects(edit((rs) => rs.filter((r) => r.name !== "encoder.conv1.bias")), /missing 1 of 50 tensors \(first: 'encoder\.conv1\.bias'\)/);
    await rejects(edit((rs) => [...rs.slice(0, -1), rs[0] as TensorRecord]), /'encoder\.positional_embedding' appears twice/);
    await rejects(edit(() => []), /has no tensors/);
    // the converter writes conv biases as [1, A]; whisper.cpp compares ne padded to 4 dims, so [1, A, 1] is fine
    expect((await validateModelFile(change("encoder.conv1.bias", (r) => ({ ...r, ne: [1, 64, 1] })))).tensors).toBe(50);
  });

  test("bytes after the last tensor, even the few whisper.cpp would ignore", async () => {
    await rejects(file(Buffer.concat([micro, new Uint8Array(5)])), /5 unexpected bytes after the last tensor/);
    await rejects(file(Buffer.concat([micro, new Uint8Array(100)])), /100 unexpected bytes/);
  });

  test("implausible header fields", async () => {
    const h = (i: number) => 4 + 4 * i; // offset of hparam i
    await rejects(patched(h(0), 51867), /vocabulary size 51867/);
    await rejects(patched(h(1), 1000), /audio context 1000/);
    await rejects(patched(h(6), 128), /audio state 64 differs from text state 128/);
    await rejects(patched(h(3), 3), /invalid audio head count 3 for model width 64/);
    await rejects(patched(h(8), 0), /text layer count 0/);
    await rejects(patched(h(9), 81), /mel bin count 81/);
    for (const ftype of [5, -1, 24, 1001]) await rejects(patched(h(10), ftype), new RegExp(`unsupported weight format \\(ftype ${ftype}\\)`));
    await rejects(patched(h(10), 8), /old ggml format \(version 0\)/);
    await rejects(patched(48, 128), /filterbank has 128 rows but the model has 80/);
    await rejects(patched(52, 200), /filterbank has 200 frequency bins/);
    await rejects(patched(56 + 80 * 201 * 4, 51865), /vocabulary has 51865 tokens/);
    await rejects(patched(56 + 80 * 201 * 4 + 4, 0x7fffffff), /token 0 is 2147483647 bytes long/);
  });

  test("sizes that are not whole quantization blocks", async () => {
    const p = join(dir, "q4k-tiny.bin");
    await writeModel(p, { preset: "tiny", sparse: true, hparams: { ftype: 2012 } });
    await rejects(p, /rows of 384 are not whole q4_k blocks/);
  });
});

test("random truncations and bit flips give a SonaError or a valid model, never anything else", async () => {
  let s = 42;
  const rand = (k: number) => ((s = (Math.imul(s, 1103515245) + 12345) >>> 0) >>> 8) % k;
  // flips that matter hit the header, vocabulary or tensor record headers, not the weights
  const headers: [number, number][] = [];
  let pos = 0;
  for (const p of modelParts({ preset: "micro" })) {
    const len = typeof p === "number" ? p : p.length;
    if (len < 1000 || pos === 0) headers.push([pos, Math.min(len, 70000)]);
    pos += len;
  }
  const p = file(micro);
  const fh = await open(p, "r+");
  const outcomes = { valid: 0, rejected: 0 };
  try {
    for (let i = 0; i < 300; i++) {
      const kind = i % 3;
      let bytes: Uint8Array | null = null;
      let at = 0;
      if (kind === 0) bytes = micro.subarray(0, rand(micro.length));
      else {
        const [start, len] = headers[kind === 1 ? 0 : rand(headers.length)] as [number, number];
        at = start + rand(len);
        await fh.write(Uint8Array.of((micro[at] as number) ^ (1 << rand(8))), 0, 1, at);
      }
      const target = bytes ? file(bytes) : p;
      const result = await validateModelFile(target).then(() => "valid" as const, (e: unknown) => {
        if (!(e instanceof SonaError) || e.code !== "invalid_model") throw e;
        return "rejected" as const;
      });
      outcomes[result]++;
      if (bytes) rmSync(target);
      else await fh.write(micro.subarray(at, at + 1), 0, 1, at);
    }
  } finally {
    await fh.close();
  }
  expect(outcomes.rejected).toBeGreaterThan(150);
  expect(outcomes.valid).toBeGreaterThan(0); // flips inside float values are harmless
}, 30000);

describe("generator", () => {
  test("is deterministic per seed", () => {
    expect(sha(modelBytes({ preset: "micro" }))).toBe(sha(micro));
    expect(sha(modelBytes({ preset: "micro", seed: 7 }))).not.toBe(sha(micro));
    expect(sha(modelBytes({ preset: "micro", seed: 7 }))).toBe(sha(modelBytes({ preset: "micro", seed: 7 })));
  });

  test("f32 -> f16 rounds to nearest even, like the platform's Float16Array", () => {
    const xs = [0, -0, 1, -2.5, 65504, 65519.99, 65520, 1e6, -Infinity, NaN, 6.1e-5, 5.96e-8, 2 ** -25, 2.99e-8, 1e-9];
    for (let m = 0; m < 2048; m++) xs.push(1 + m / 2048 + 1 / 4096, 2 ** -20 * (1 + m / 1024), Math.fround(m * 0.0137 - 14));
    const ours = f32ToF16(new Float32Array(xs));
    expect(ours[4]).toBe(0x7bff); // max half
    expect(ours[6]).toBe(0x7c00); // rounds up to inf
    expect(ours[12]).toBe(0); // exactly half the smallest subnormal ties to even (0)
    if (typeof Float16Array === "function") expect([...ours]).toEqual([...new Uint16Array(new Float16Array(new Float32Array(xs)).buffer)]);
  });

  test("mel filterbank matches librosa's Slaney filters", () => {
    const fb = melFilterbank(80);
    expect(fb.length).toBe(80 * 201);
    expect(fb[1]).toBeCloseTo(0.02486259, 7); // librosa.filters.mel(sr=16000, n_fft=400, n_mels=80)[0, 1]
    expect(fb.every((v) => v >= 0)).toBe(true);
    expect(melFilterbank(128).length).toBe(128 * 201);
  });

  test("refuses to invent quantized data", () => {
    expect(() => modelBytes({ hparams: { ftype: 2007 } })).toThrow(/use sparse/);
  });
});
