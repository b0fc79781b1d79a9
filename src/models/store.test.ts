import { afterAll, describe, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { destinationPath, findStored, listModels, modelsDir, removeModel } from "./store.ts";

const root = mkdtempSync(join(tmpdir(), "sona-store-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe("models directory", () => {
  test("SONA_MODELS_DIR, else $XDG_DATA_HOME/sona/models, else ~/.local/share/sona/models", () => {
    expect(modelsDir({ SONA_MODELS_DIR: "/m", XDG_DATA_HOME: "/x", HOME: "/h" })).toBe("/m");
    expect(modelsDir({ XDG_DATA_HOME: "/x", HOME: "/h" })).toBe("/x/sona/models");
    expect(modelsDir({ HOME: "/h" })).toBe("/h/.local/share/sona/models");
  });

  test("lists models by name, size and path; skips .part files, hidden files and directories", async () => {
    const dir = join(root, "list");
    mkdirSync(join(dir, "sub"), { recursive: true });
    writeFileSync(join(dir, "ggml-base.en.bin"), "12345");
    writeFileSync(join(dir, "custom.gguf"), "1");
    writeFileSync(join(dir, "ggml-tiny.bin.part"), "1");
    writeFileSync(join(dir, ".hidden"), "1");
    const models = await listModels(dir);
    expect(models.map((m) => [m.name, m.file, m.size, m.path])).toEqual([
      ["base.en", "ggml-base.en.bin", 5, join(dir, "ggml-base.en.bin")],
      ["custom.gguf", "custom.gguf", 1, join(dir, "custom.gguf")],
    ]);
    expect(await listModels(join(root, "absent"))).toEqual([]);
  });

  test("finds a model by name or file name", () => {
    const dir = join(root, "list");
    expect(findStored("base.en", dir)).toBe(join(dir, "ggml-base.en.bin"));
    expect(findStored("ggml-base.en.bin", dir)).toBe(join(dir, "ggml-base.en.bin"));
    expect(findStored("custom.gguf", dir)).toBe(join(dir, "custom.gguf"));
    expect(findStored("tiny", dir)).toBeNull(); // only a .part
    expect(findStored("sub", dir)).toBeNull();
    expect(findStored("../list/custom.gguf", dir)).toBeNull();
  });

  test("removes a model and its partial download; unknown names are model_not_found", async () => {
    const dir = join(root, "rm");
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, "ggml-small.bin"), "1");
    writeFileSync(join(dir, "ggml-small.bin.part"), "1");
    const removed = await removeModel("small", dir);
    expect(removed).toMatchObject({ name: "small", path: join(dir, "ggml-small.bin") });
    expect(existsSync(join(dir, "ggml-small.bin"))).toBe(false);
    expect(existsSync(join(dir, "ggml-small.bin.part"))).toBe(false);
    const err = await removeModel("small", dir).catch((e) => e);
    expect(err.code).toBe("model_not_found");
    expect(err.message).toBe(`model 'small' is not in ${dir}; see sona models`);
  });

  test("-o: an existing directory or a trailing slash is a directory, anything else a file", () => {
    const env = { SONA_MODELS_DIR: "/models" };
    expect(destinationPath(undefined, "ggml-a.bin", env)).toBe("/models/ggml-a.bin");
    expect(destinationPath(root, "ggml-a.bin", env)).toBe(join(root, "ggml-a.bin"));
    expect(destinationPath("new-dir/", "ggml-a.bin", env)).toBe(resolve("new-dir", "ggml-a.bin"));
    expect(destinationPath("x/model.bin", "ggml-a.bin", env)).toBe(resolve("x/model.bin"));
    expect(destinationPath(".", "ggml-a.bin", env)).toBe(resolve("ggml-a.bin"));
  });
});
