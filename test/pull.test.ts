// `sona pull` and `sona models` end to end: the real CLI in a child process against a real HTTP
// server on 127.0.0.1 serving synthetic model files.
import { afterAll, beforeEach, describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createProgress } from "../src/cli/progress.ts";
import { randomModel, sha256, startModelServer } from "./helpers/model-server.ts";

const MAIN = join(import.meta.dir, "..", "src", "main.ts");
const A = randomModel(400_000);
const server = startModelServer({ "/files/a.bin": A });
const root = mkdtempSync(join(tmpdir(), "sona-cli-pull-"));
afterAll(() => {
  server.stop();
  rmSync(root, { recursive: true, force: true });
});

let env: Record<string, string>;
let n = 0;
beforeEach(() => {
  const dir = join(root, String(++n));
  env = { ...(process.env as Record<string, string>), SONA_MODELS_DIR: join(dir, "models"), SONA_REGISTRY_FILE: join(dir, "registry.json"), SONA_PULL_RETRY_BASE_MS: "5", NO_COLOR: "1" };
  Bun.spawnSync(["mkdir", "-p", join(dir, "models")]);
  writeFileSync(env.SONA_REGISTRY_FILE!, JSON.stringify([
    { name: "a", url: `${server.url}/files/a.bin`, size: A.length, sha256: sha256(A) },
    { name: "a-bad", url: `${server.url}/files/a.bin`, size: A.length, sha256: "f".repeat(64) },
    { name: "gone", url: `${server.url}/files/gone.bin`, size: 1, sha256: "f".repeat(64) },
  ]));
  server.log.length = 0;
  for (const k of Object.keys(server.behaviour)) delete server.behaviour[k];
});

function sona(...args: string[]) {
  return Bun.spawn([process.execPath, MAIN, ...args], { env, stdout: "pipe", stderr: "pipe" });
}
async function run(...args: string[]) {
  const p = sona(...args);
  const [stdout, stderr, code] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text(), p.exited]);
  return { stdout, stderr, code };
}
const model = (file: string) => join(env.SONA_MODELS_DIR!, file);

describe("sona pull", () => {
  test("downloads a registry name into the models directory", async () => {
    const r = await run("pull", "a");
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`saved ${model("ggml-a.bin")}\n`);
    expect(r.stderr).toContain("sha256 verified");
    expect(sha256(readFileSync(model("ggml-a.bin")))).toBe(sha256(A));
    const again = await run("pull", "a");
    expect(again.stdout).toBe(`up to date ${model("ggml-a.bin")}\n`);
  });

  test("a checksum mismatch exits non-zero, says why and deletes the .part", async () => {
    const r = await run("pull", "a-bad");
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`checksum mismatch for a-bad: expected sha256 ${"f".repeat(64)}, got ${sha256(A)}`);
    expect(existsSync(model("ggml-a-bad.bin.part"))).toBe(false);
    expect(existsSync(model("ggml-a-bad.bin"))).toBe(false);
  });

  test("404 is reported with the URL", async () => {
    const r = await run("pull", "gone");
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`download failed: HTTP 404 for ${server.url}/files/gone.bin`);
  });

  test("Ctrl-C keeps the .part (exit 130) and the next pull resumes it with Range", async () => {
    server.set("/files/a.bin", { throttle: { bytes: 8_192, delayMs: 40 } });
    const p = sona("pull", "a");
    const part = model("ggml-a.bin.part");
    const deadline = Date.now() + 15_000;
    while (!(existsSync(part) && statSync(part).size >= 16_384) && Date.now() < deadline) await Bun.sleep(20);
    p.kill("SIGINT");
    expect(await p.exited).toBe(130);
    expect(await new Response(p.stderr).text()).toContain("was kept: run the same pull again to resume");
    const kept = statSync(part).size;
    expect(kept).toBeGreaterThan(0);
    expect(kept).toBeLessThan(A.length);

    delete server.behaviour["/files/a.bin"];
    const r = await run("pull", "a");
    expect(r.code).toBe(0);
    expect(server.log.at(-1)).toMatchObject({ range: `bytes=${kept}-`, status: 206 });
    expect(sha256(readFileSync(model("ggml-a.bin")))).toBe(sha256(A));
    expect(existsSync(part)).toBe(false);
  });

  test("a URL with -o <dir>/ is named from the final URL; no checksum means a warning", async () => {
    const out = join(env.SONA_MODELS_DIR!, "..", "out") + "/";
    const r = await run("pull", `${server.url}/redirect/files/a.bin`, "-o", out);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`saved ${join(out, "a.bin")}\n`);
    expect(r.stderr).toContain("warning: no published checksum for a.bin");
  });
});

describe("sona models", () => {
  test("lists (table and --json) and removes", async () => {
    writeFileSync(model("ggml-tiny.bin"), "12345");
    writeFileSync(model("ggml-base.bin.part"), "1");
    const table = await run("models");
    expect(table.code).toBe(0);
    expect(table.stdout.split("\n")[0]).toMatch(/^NAME\s+SIZE\s+PATH$/);
    expect(table.stdout).toContain(`tiny  5 B   ${model("ggml-tiny.bin")}`);
    expect(table.stdout).not.toContain("base");
    const json = JSON.parse((await run("models", "--json")).stdout);
    expect(json).toEqual([{ name: "tiny", file: "ggml-tiny.bin", path: model("ggml-tiny.bin"), size: 5, modified: expect.any(String) }]);
    const rm = await run("models", "rm", "tiny");
    expect(rm).toMatchObject({ code: 0, stdout: `removed ${model("ggml-tiny.bin")}\n` });
    expect(existsSync(model("ggml-tiny.bin"))).toBe(false);
    const again = await run("models", "rm", "tiny");
    expect(again.code).toBe(1);
    expect(again.stderr).toContain("model 'tiny' is not in");
  });

  test("--available lists the registry and marks what is downloaded", async () => {
    writeFileSync(model("ggml-a.bin"), "x");
    const list = JSON.parse((await run("models", "--available", "--json")).stdout) as { name: string; downloaded: boolean }[];
    expect(list.find((e) => e.name === "base.en")).toMatchObject({ downloaded: false });
    expect(list.find((e) => e.name === "a")).toMatchObject({ downloaded: true });
  });
});

describe("progress display", () => {
  const sink = (isTTY: boolean) => {
    const out: string[] = [];
    return { out, stream: { isTTY, columns: 100, write: (s: string) => out.push(s) } };
  };

  test("not a TTY: plain lines, at most one per interval, plus the final one", () => {
    const { out, stream } = sink(false);
    const p = createProgress({ label: "base.en", total: 2048, stream, plainIntervalMs: 60_000 });
    p.update(512, { rate: 1024, eta: 1.5 });
    p.update(1024, { rate: 1024, eta: 1 });
    p.done();
    expect(out).toEqual(["base.en 25.0% 512 B/2.0 KB 1.0 KB/s eta 2s\n", "base.en 50.0% 1.0 KB/2.0 KB 1.0 KB/s\n"]);
  });

  test("a TTY: one redrawn line with a bar; NO_COLOR means no escape colors", () => {
    const { out, stream } = sink(true);
    const p = createProgress({ label: "x", total: 100, unit: "%", stream, color: false });
    p.update(50);
    p.log("warning: something");
    p.done();
    expect(out[0]).toStartWith("\r\x1b[2Kx ");
    expect(out.join("")).not.toContain("\x1b[36m");
    expect(out.join("")).toContain("warning: something\n");
    expect(out.at(-1)).toBe("\n");
  });
});
