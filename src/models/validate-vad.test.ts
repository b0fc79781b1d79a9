import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { VENDORED_VAD_PATH } from "../vad/model.ts";
import { validateModelFile } from "./validate.ts";
import { validateVadFile } from "./validate-vad.ts";

const dir = mkdtempSync(join(tmpdir(), "sona-vadcheck-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const good = readFileSync(VENDORED_VAD_PATH);
const V5 = join(import.meta.dir, "../../test/fixtures/ggml-silero-v5.1.2.bin");

function file(name: string, bytes: Uint8Array): string {
  const p = join(dir, name);
  writeFileSync(p, bytes);
  return p;
}

function edited(edit: (b: Buffer) => void): Buffer {
  const b = Buffer.from(good);
  edit(b);
  return b;
}

async function reason(path: string): Promise<string> {
  const err = await validateVadFile(path).then(() => null, (e: Error) => e);
  expect(err).toMatchObject({ code: "invalid_model", param: "vad_model" });
  return err!.message;
}

describe("validateVadFile", () => {
  test("accepts Silero v6.2.0 and v5.1.2", async () => {
    expect(await validateVadFile(VENDORED_VAD_PATH)).toMatchObject({ type: "silero-16k", version: "6.2.0", size: 885098 });
    expect(await validateVadFile(V5)).toMatchObject({ type: "silero-16k", version: "5.1.2" });
  });

  test("refuses what whisper.cpp would read out of bounds, each with its reason", async () => {
    expect(await reason(file("empty", new Uint8Array(0)))).toContain("bad header");
    expect(await reason(file("text", new TextEncoder().encode("hello, not a model at all")))).toContain("bad header");
    // the name length whisper.cpp allocates from
    expect(await reason(file("name", edited((b) => b.writeInt32LE(1 << 30, 4))))).toContain("bad header");
    expect(await reason(file("type", edited((b) => b.write("silero-8k!", 8))))).toContain("unsupported VAD model type");
    expect(await reason(file("version", edited((b) => b.writeInt32LE(9, 18))))).toContain("unsupported Silero version 9");
    // the layer count whisper.cpp sizes its arrays with
    expect(await reason(file("layers", edited((b) => b.writeInt32LE(40, 38))))).toContain("hyper-parameter 2 is 40");
    expect(await reason(file("cut", good.subarray(0, good.length - 5000)))).toContain("truncated");
    expect(await reason(file("tail", Buffer.concat([good, Buffer.alloc(5)])))).toContain("truncated");
    // a tensor renamed: unknown, and one missing
    const i = good.indexOf("_model.decoder.rnn.bias_hh");
    expect(await reason(file("renamed", edited((b) => b.write("X", i))))).toContain("unknown tensor");
  });

  test("a whisper model given as the VAD model says which it is, and so does the reverse", async () => {
    const whisper = join(import.meta.dir, "../../models/synth-micro.en.bin");
    expect(await reason(whisper)).toContain("this is a whisper model, not a VAD model");
    const err = await validateModelFile(VENDORED_VAD_PATH).then(() => null, (e: Error) => e);
    expect(err?.message).toContain("this is a Silero VAD model, not a whisper model");
  });

  test("a missing file is model_not_found", async () => {
    expect(await validateVadFile(join(dir, "nope")).then(() => null, (e) => e)).toMatchObject({ code: "model_not_found", param: "vad_model" });
  });
});
