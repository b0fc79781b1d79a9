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
// a real (synthetic) whisper model, for URL downloads, which are validated before they are kept
const MODEL = readFileSync(join(import.meta.dir, "..", "models", "synth-micro.en.bin"));
const server = startModelServer({ "/files/a.bin": A, "/files/m.bin": MODEL, "/files/junk.bin": A });
const root = mkdtempSync(join(tmpdir(), "sona-cli-pull-"));
afterAll(() => {
  server.stop();
  rmSync(root, { recursive: true, force: true });
});

let env: Record<string, string>;
let n = 0;
beforeEach(() => {
  const dir = join(root, String(++n));
  // HF_ENDPOINT: the hub is the local server too, so nothing leaves the machine
  env = { ...(process.env as Record<string, string>), SONA_MODELS_DIR: join(dir, "models"), SONA_REGISTRY_FILE: join(dir, "registry.json"), SONA_PULL_RETRY_BASE_MS: "5", NO_COLOR: "1", HF_ENDPOINT: server.url };
  Bun.spawnSync(["mkdir", "-p", join(dir, "models")]);
  writeFileSync(env.SONA_REGISTRY_FILE!, JSON.stringify([
    { name: "a", url: `${server.url}/files/a.bin`, size: A.length, sha256: sha256(A) },
    { name: "a-bad", url: `${server.url}/files/a.bin`, size: A.length, sha256: "f".repeat(64) },
    { name: "gone", url: `${server.url}/files/gone.bin`, size: 1, sha256: "f".repeat(64) },
    { name: "a-nosize", url: `${server.url}/files/a.bin`, size: null, sha256: sha256(A) },
    { name: "a-wrongsize", url: `${server.url}/files/a.bin`, size: A.length + 1, sha256: sha256(A) },
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
    const r = await run("pull", `${server.url}/redirect/files/m.bin`, "-o", out);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`saved ${join(out, "m.bin")}\n`);
    expect(r.stderr).toContain("warning: no published checksum for m.bin");
  });

  test("a URL download that is not a whisper or VAD model is deleted, not kept", async () => {
    const out = join(env.SONA_MODELS_DIR!, "..", "out") + "/";
    const r = await run("pull", `${server.url}/files/junk.bin`, "-o", out);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`sona: error: the download from ${server.url}/files/junk.bin is not a whisper.cpp or VAD model (not a whisper.cpp model file (bad magic)); it was deleted`);
    expect(existsSync(join(out, "junk.bin"))).toBe(false);
    expect(existsSync(join(out, "junk.bin.part"))).toBe(false);
  });

  test("a refused connection fails at once and names HF_ENDPOINT", async () => {
    env.HF_ENDPOINT = "http://127.0.0.1:9"; // the discard port: nothing listens there
    const r = await run("pull", "tiny");
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("sona: error: cannot reach 127.0.0.1:9 (the connection was refused): check the network connection, or set HF_ENDPOINT to a Hugging Face mirror (now http://127.0.0.1:9)");
    expect(r.stderr).not.toContain("retrying");
  });

  test("a Content-Length that differs from the published size fails before the download", async () => {
    const r = await run("pull", "a-wrongsize");
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`the server announces ${A.length} bytes for a-wrongsize, but its published size is ${A.length + 1}`);
    expect(existsSync(model("ggml-a-wrongsize.bin.part"))).toBe(false);
    expect(existsSync(model("ggml-a-wrongsize.bin"))).toBe(false);
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
    expect(list.find((e) => e.name === "base.en")).toMatchObject({ downloaded: false, kind: "whisper" });
    expect(list.find((e) => e.name === "a")).toMatchObject({ downloaded: true });
    expect(list.find((e) => e.name === "silero-v6.2.0")).toMatchObject({ kind: "vad" });
  });

  test("--available asks the hub for the sizes the registry does not publish, and says which are VAD", async () => {
    const r = await run("models", "--available");
    expect(r.code).toBe(0);
    const rows = r.stdout.split("\n");
    expect(rows[0]).toMatch(/^NAME\s+KIND\s+SIZE\s+CHECKSUM\s+DOWNLOADED$/);
    expect(rows.find((l) => l.startsWith("a-nosize "))).toMatch(/^a-nosize\s+whisper\s+390\.6 KiB\s+sha256/);
    expect(rows.find((l) => l.startsWith("silero-v6.2.0 "))).toMatch(/^silero-v6\.2\.0\s+vad\s+864\.4 KiB/);
    // the local hub has no "small": its size stays unknown, and stderr says why
    expect(rows.find((l) => l.startsWith("small "))).toMatch(/^small\s+whisper\s+\?/);
    expect(r.stderr).toMatch(/sizes are unknown: not in the registry, and the hub did not say/);
  });
});

describe("sona info", () => {
  test("shows the default thread count, the models directory with its models, and the cache directories", async () => {
    writeFileSync(model("ggml-tiny.bin"), "12345");
    const r = await run("info");
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^threads: \d+ by default/m);
    expect(r.stdout).toContain(`models directory: ${env.SONA_MODELS_DIR} (SONA_MODELS_DIR)\n  tiny (5 B)\n`);
    expect(r.stdout).toMatch(/^cache: \S+/m);
    expect(r.stdout).toMatch(/^build cache: \S+/m);
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
    expect(out).toEqual(["base.en 25.0% 512 B/2.0 KiB 1.0 KiB/s eta 2s\n", "base.en 50.0% 1.0 KiB/2.0 KiB 1.0 KiB/s\n"]);
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
