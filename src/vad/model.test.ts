import { describe, expect, test } from "bun:test";
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { EMBEDDED_VAD, resolveVadModel, VENDORED_VAD_PATH } from "./model.ts";

const V5 = join(import.meta.dir, "../../test/fixtures/ggml-silero-v5.1.2.bin");

describe("the embedded VAD model", () => {
  test("the vendored file is the pinned Silero v6.2.0 (size and sha256), with its license", () => {
    const bytes = readFileSync(VENDORED_VAD_PATH);
    expect(bytes.length).toBe(EMBEDDED_VAD.size);
    expect(createHash("sha256").update(bytes).digest("hex")).toBe(EMBEDDED_VAD.sha256);
    expect(readFileSync(join(VENDORED_VAD_PATH, "../LICENSE"), "utf8")).toContain("Silero Team");
  });

  test("no vad_model, or its own name, means the embedded model", async () => {
    for (const v of [undefined, "", "  ", "silero-v6.2.0"]) {
      expect(await resolveVadModel(v)).toEqual({ path: VENDORED_VAD_PATH, name: "silero-v6.2.0", embedded: true });
    }
  });

  test("another Silero file by path is checked and used", async () => {
    expect(await resolveVadModel(V5)).toEqual({ path: V5, name: V5, embedded: false });
  });

  test("a missing file or an unknown name is model_not_found on vad_model", async () => {
    for (const v of ["/no/such/silero.bin", "silero-v9"]) {
      const err = await resolveVadModel(v).then(() => null, (e) => e);
      expect(err).toMatchObject({ code: "model_not_found", param: "vad_model" });
      expect(err.message).toStartWith("VAD model");
    }
  });
});
