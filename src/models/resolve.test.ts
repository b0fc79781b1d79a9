import { afterAll, describe, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { resolveModelPath } from "./resolve.ts";

const root = mkdtempSync(join(tmpdir(), "sona-resolve-"));
const models = join(root, "models");
mkdirSync(models);
writeFileSync(join(models, "ggml-tiny.bin"), "x");
writeFileSync(join(models, "mine.gguf"), "x");
writeFileSync(join(root, "local.bin"), "x");
mkdirSync(join(root, "base.en")); // a directory named like a model must not shadow the name
const env = { SONA_MODELS_DIR: models };
afterAll(() => rmSync(root, { recursive: true, force: true }));

const fail = (v: string) => resolveModelPath(v, env).then(() => null, (e) => e);

describe("resolveModelPath", () => {
  test("an existing file path wins", async () => {
    expect(await resolveModelPath(join(root, "local.bin"), env)).toBe(join(root, "local.bin"));
  });

  test("names and file names in the models directory", async () => {
    expect(await resolveModelPath("tiny", env)).toBe(join(models, "ggml-tiny.bin"));
    expect(await resolveModelPath("ggml-tiny.bin", env)).toBe(join(models, "ggml-tiny.bin"));
    expect(await resolveModelPath("mine.gguf", env)).toBe(join(models, "mine.gguf"));
  });

  test("a known model that is not downloaded says how to get it", async () => {
    const err = await fail("base.en");
    expect(err.code).toBe("model_not_found");
    expect(err.param).toBe("model");
    expect(err.message).toBe("model 'base.en' is not downloaded; run: sona pull base.en");
  });

  test("unknown names and missing paths", async () => {
    expect((await fail("whisper-9000")).message).toBe(
      "model file not found: whisper-9000 (not a path, and not a known model name; see sona models)",
    );
    const missing = join(root, "nope.bin");
    expect((await fail(missing)).message).toBe(`model file not found: ${missing}`);
    expect((await fail("")).code).toBe("model_not_found");
  });
});
