import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expectedDigest, fileNameFor, findModel, hubEndpoint, listRegistry, nameForFile } from "./registry.ts";

const dir = mkdtempSync(join(tmpdir(), "sona-registry-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// whisper.cpp's models/download-ggml-model.sh list (minus small.en-tdrz) and the Silero VAD model
const EXPECTED = [
  "tiny", "tiny.en", "base", "base.en", "small", "small.en", "medium", "medium.en",
  "large-v1", "large-v2", "large-v3", "large-v3-turbo",
  "tiny-q5_1", "tiny.en-q5_1", "tiny-q8_0", "base-q5_1", "base.en-q5_1", "base-q8_0",
  "small-q5_1", "small.en-q5_1", "small-q8_0", "medium-q5_0", "medium.en-q5_0", "medium-q8_0",
  "large-v2-q5_0", "large-v2-q8_0", "large-v3-q5_0", "large-v3-turbo-q5_0", "large-v3-turbo-q8_0",
  "silero-v6.2.0",
];

describe("registry", () => {
  test("holds every published model with a well-formed checksum", () => {
    const entries = listRegistry({});
    expect(entries.map((e) => e.name).sort()).toEqual([...EXPECTED].sort());
    for (const e of entries) {
      expect(e.file).toBe(`ggml-${e.name}.bin`);
      if (e.sha256 !== null) expect(e.sha256).toMatch(/^[0-9a-f]{64}$/);
      if (e.sha1 !== null) expect(e.sha1).toMatch(/^[0-9a-f]{40}$/);
      expect(e.sha256 ?? e.sha1).not.toBeNull();
      if (e.size !== null) expect(Number.isInteger(e.size) && e.size > 0).toBe(true);
    }
  });

  test("URLs point at the hub; HF_ENDPOINT replaces it", () => {
    expect(findModel("base.en", {})!.url).toBe("https://huggingface.co/ggerganov/whisper.cpp/resolve/main/ggml-base.en.bin");
    expect(findModel("silero-v6.2.0", {})!.url).toBe("https://huggingface.co/ggml-org/whisper-vad/resolve/main/ggml-silero-v6.2.0.bin");
    const env = { HF_ENDPOINT: "http://mirror.local:8080/hf/" };
    expect(hubEndpoint(env)).toBe("http://mirror.local:8080/hf");
    expect(findModel("tiny", env)!.url).toBe("http://mirror.local:8080/hf/ggerganov/whisper.cpp/resolve/main/ggml-tiny.bin");
  });

  test("names and file names map both ways", () => {
    expect(fileNameFor("large-v3-turbo-q5_0")).toBe("ggml-large-v3-turbo-q5_0.bin");
    expect(nameForFile("ggml-base.en.bin")).toBe("base.en");
    expect(nameForFile("custom.gguf")).toBe("custom.gguf");
    expect(findModel("ggml-base.en.bin", {})!.name).toBe("base.en");
    expect(findModel("nope", {})).toBeUndefined();
  });

  test("expectedDigest prefers sha256, then sha1, else null", () => {
    expect(expectedDigest({ sha256: "AB", sha1: "cd" })).toEqual({ algo: "sha256", hex: "ab" });
    expect(expectedDigest({ sha256: null, sha1: "CD" })).toEqual({ algo: "sha1", hex: "cd" });
    expect(expectedDigest({ sha256: null, sha1: null })).toBeNull();
  });

  test("SONA_REGISTRY_FILE overrides and adds entries", () => {
    const file = join(dir, "r.json");
    writeFileSync(file, JSON.stringify([{ name: "tiny", size: 3, sha256: null }, { name: "mine", url: "http://127.0.0.1:1/m.bin", sha256: "ff" }]));
    const env = { SONA_REGISTRY_FILE: file };
    expect(findModel("tiny", env)).toMatchObject({ size: 3, sha256: null, sha1: "bd577a113a864445d4c299885e0cb97d4ba92b5f" });
    expect(findModel("mine", env)).toMatchObject({ file: "ggml-mine.bin", url: "http://127.0.0.1:1/m.bin", size: null, sha256: "ff" });
    writeFileSync(file, "{not json");
    expect(() => listRegistry(env)).toThrow(/SONA_REGISTRY_FILE/);
    writeFileSync(file, JSON.stringify({ name: "x" }));
    expect(() => listRegistry(env)).toThrow(/expected a JSON array/);
  });
});
