// The download engine against a real HTTP server on 127.0.0.1 serving synthetic model files.
import { afterAll, beforeEach, describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { mkdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { randomModel, sha256, startModelServer } from "../../test/helpers/model-server.ts";
import { SonaError } from "../errors.ts";
import { VENDORED_VAD_PATH } from "../vad/model.ts";
import { fileNameFromResponse, pull, type PullEvent } from "./pull.ts";

const A = randomModel(300_000);
const B = randomModel(150_000);
// URL downloads are validated as models before they are kept: a real (synthetic) one, and a VAD header
const MODEL = readFileSync(join(import.meta.dir, "..", "..", "models", "synth-micro.en.bin"));
// a real Silero file (the embedded one): URL downloads are checked by the VAD validator
const VAD_LIKE = new Uint8Array(readFileSync(VENDORED_VAD_PATH));
const server = startModelServer({ "/files/a.bin": A, "/files/b.bin": B, "/files/m.bin": MODEL, "/files/v.bin": VAD_LIKE, "/ggerganov/whisper.cpp/resolve/main/ggml-tiny.bin": B });
const dirs: string[] = [];
afterAll(async () => {
  server.stop();
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

let dir: string;
let env: Record<string, string>;
let events: PullEvent[];
const onEvent = (e: PullEvent) => events.push(e);

function registry(entries: object[]): void {
  writeFileSync(join(dir, "registry.json"), JSON.stringify(entries));
}

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "sona-pull-"));
  dirs.push(dir);
  env = { SONA_MODELS_DIR: join(dir, "models"), SONA_REGISTRY_FILE: join(dir, "registry.json"), HF_ENDPOINT: server.url };
  events = [];
  server.log.length = 0;
  for (const k of Object.keys(server.behaviour)) delete server.behaviour[k];
  registry([
    { name: "a", url: `${server.url}/files/a.bin`, size: A.length, sha256: sha256(A) },
    { name: "a-redirect", url: `${server.url}/redirect/files/a.bin`, size: A.length, sha256: sha256(A) },
    { name: "a-nosize", url: `${server.url}/files/a.bin`, size: null, sha256: sha256(A) },
    { name: "a-bad", url: `${server.url}/files/a.bin`, size: A.length, sha256: "0".repeat(64) },
    { name: "a-sha1", url: `${server.url}/files/a.bin`, size: null, sha256: null, sha1: new Bun.CryptoHasher("sha1").update(A).digest("hex") },
    { name: "missing", url: `${server.url}/files/nope.bin`, size: 10, sha256: "0".repeat(64) },
    { name: "tiny", size: B.length, sha256: sha256(B) },
  ]);
});

const opts = () => ({ env, onEvent, retryBaseMs: 5 });
const modelPath = (file: string) => join(env.SONA_MODELS_DIR!, file);

describe("pull", () => {
  test("plain download: verified, renamed into place, progress reported", async () => {
    const r = await pull("a", opts());
    expect(r).toMatchObject({ name: "a", path: modelPath("ggml-a.bin"), size: A.length, verified: "sha256", downloaded: true });
    expect(sha256(readFileSync(r.path))).toBe(sha256(A));
    expect(existsSync(`${r.path}.part`)).toBe(false);
    const last = events.filter((e) => e.type === "progress").at(-1);
    expect(last).toMatchObject({ downloaded: A.length, total: A.length });
    expect(events.at(-1)).toMatchObject({ type: "done", sha256: sha256(A), downloaded: true });
  });

  test("HF_ENDPOINT replaces the hub for registry names", async () => {
    const r = await pull("tiny", opts());
    expect(sha256(readFileSync(r.path))).toBe(sha256(B));
    expect(server.log[0]!.path).toBe("/ggerganov/whisper.cpp/resolve/main/ggml-tiny.bin");
  });

  test("resumes with Range after the server drops the connection mid-file", async () => {
    server.set("/files/a.bin", { dropAt: 120_000 });
    const r = await pull("a", opts());
    expect(sha256(readFileSync(r.path))).toBe(sha256(A));
    expect(server.log.map((l) => l.range)).toEqual([null, "bytes=120000-"]);
    expect(events.some((e) => e.type === "retry")).toBe(true);
  });

  test("resumes through a redirect (the Range header follows it)", async () => {
    server.set("/files/a.bin", { dropAt: 200_000 });
    const r = await pull("a-redirect", opts());
    expect(sha256(readFileSync(r.path))).toBe(sha256(A));
    expect(server.log.map((l) => `${l.status} ${l.range}`)).toEqual(["302 null", "200 null", "302 bytes=200000-", "206 bytes=200000-"]);
  });

  test("a checksum mismatch deletes the .part and names both hashes", async () => {
    const err = await pull("a-bad", opts()).catch((e) => e);
    expect(err).toBeInstanceOf(SonaError);
    expect(err.code).toBe("download_failed");
    expect(err.message).toContain(`expected sha256 ${"0".repeat(64)}, got ${sha256(A)}`);
    expect(existsSync(modelPath("ggml-a-bad.bin.part"))).toBe(false);
    expect(existsSync(modelPath("ggml-a-bad.bin"))).toBe(false);
  });

  test("404 fails at once with the URL", async () => {
    const err = await pull("missing", opts()).catch((e) => e);
    expect(err.code).toBe("download_failed");
    expect(err.message).toBe(`download failed: HTTP 404 for ${server.url}/files/nope.bin`);
    expect(server.log).toHaveLength(1);
  });

  test("follows redirects", async () => {
    const r = await pull("a-redirect", opts());
    expect(sha256(readFileSync(r.path))).toBe(sha256(A));
    expect(server.log.map((l) => l.status)).toEqual([302, 200]);
  });

  test("no Content-Length: progress without a total, verified by checksum", async () => {
    server.set("/files/a.bin", { chunked: true });
    const r = await pull("a-nosize", opts());
    expect(r.verified).toBe("sha256");
    expect(sha256(readFileSync(r.path))).toBe(sha256(A));
    const progress = events.filter((e) => e.type === "progress");
    expect(progress.slice(0, -1).every((e) => e.total === null)).toBe(true);
  });

  test("a server that ignores Range: restart from zero and still verify", async () => {
    await mkdir(env.SONA_MODELS_DIR!, { recursive: true });
    writeFileSync(modelPath("ggml-a.bin.part"), randomModel(50_000)); // wrong bytes: must be discarded
    server.set("/files/a.bin", { ignoreRange: true });
    const r = await pull("a", opts());
    expect(sha256(readFileSync(r.path))).toBe(sha256(A));
    expect(server.log[0]!.range).toBe("bytes=50000-");
    expect(events.some((e) => e.type === "warning" && e.message.includes("ignored the resume"))).toBe(true);
  });

  test("416 on a .part that is already complete: verify it without downloading", async () => {
    await mkdir(env.SONA_MODELS_DIR!, { recursive: true });
    writeFileSync(modelPath("ggml-a-nosize.bin.part"), A);
    const r = await pull("a-nosize", opts());
    expect(server.log.map((l) => l.status)).toEqual([416]);
    expect(r.verified).toBe("sha256");
    expect(sha256(readFileSync(r.path))).toBe(sha256(A));
  });

  test("sha1 is used when no sha256 is published", async () => {
    const r = await pull("a-sha1", opts());
    expect(r.verified).toBe("sha1");
  });

  test("5xx is retried with backoff, then succeeds", async () => {
    server.set("/files/a.bin", { failTimes: 2 });
    const r = await pull("a", opts());
    expect(r.downloaded).toBe(true);
    expect(events.filter((e) => e.type === "retry").map((e) => e.type === "retry" && e.delayMs)).toEqual([5, 10]);
  });

  test("gives up after the configured number of retries", async () => {
    server.set("/files/a.bin", { failTimes: 10 });
    const err = await pull("a", { ...opts(), retries: 2 }).catch((e) => e);
    expect(err.message).toContain("HTTP 503 (gave up after 2 retries)");
    expect(server.log).toHaveLength(3);
  });

  test("a refused connection fails at once as download_failed, without retries", async () => {
    registry([{ name: "dead", url: "http://127.0.0.1:9/x.bin", size: 1, sha256: "0".repeat(64) }]);
    const err = await pull("dead", { ...opts(), retries: 3 }).catch((e) => e);
    expect(err.code).toBe("download_failed");
    expect(err.message).toBe("cannot reach 127.0.0.1:9 (the connection was refused): check the URL and the network connection");
    expect(events.some((e) => e.type === "retry")).toBe(false);
  });

  test("a present, verified file is not downloaded again; a corrupt one is replaced", async () => {
    await pull("a", opts());
    server.log.length = 0;
    const again = await pull("a", opts());
    expect(again.downloaded).toBe(false);
    expect(server.log).toHaveLength(0);
    writeFileSync(again.path, B);
    const fixed = await pull("a", opts());
    expect(fixed.downloaded).toBe(true);
    expect(sha256(readFileSync(fixed.path))).toBe(sha256(A));
  });

  test("an aborted pull keeps the .part and says so", async () => {
    server.set("/files/a.bin", { throttle: { bytes: 10_000, delayMs: 20 } });
    const ac = new AbortController();
    const p = pull("a", { ...opts(), signal: ac.signal, onEvent: (e) => e.type === "progress" && e.downloaded >= 30_000 && ac.abort() });
    const err = await p.catch((e) => e);
    expect(err.code).toBe("aborted");
    expect(err.message).toContain("ggml-a.bin.part was kept");
    expect(readFileSync(modelPath("ggml-a.bin.part")).length).toBeGreaterThan(0);
  });

  test("URLs: named by Content-Disposition, -o dir and -o file, no checksum → warning", async () => {
    server.set("/files/m.bin", { disposition: "ggml-custom.bin" });
    const out = join(dir, "out") + "/";
    const r = await pull(`${server.url}/files/m.bin`, { ...opts(), output: out });
    expect(r.path).toBe(join(dir, "out", "ggml-custom.bin"));
    expect(r.name).toBe("custom");
    expect(r.verified).toBe("none");
    expect(events.some((e) => e.type === "warning" && e.message.includes("no published checksum"))).toBe(true);
    const file = join(dir, "exact.bin");
    const r2 = await pull(`${server.url}/files/v.bin`, { ...opts(), output: file });
    expect(r2.path).toBe(file);
    expect(sha256(readFileSync(file))).toBe(sha256(VAD_LIKE));
    server.log.length = 0;
    const r3 = await pull(`${server.url}/files/v.bin`, { ...opts(), output: file });
    expect(r3.downloaded).toBe(false);
  });

  test("a URL download that is no model is deleted: invalid_model", async () => {
    const file = join(dir, "junk.bin");
    const err = await pull(`${server.url}/files/b.bin`, { ...opts(), output: file }).catch((e) => e);
    expect(err.code).toBe("invalid_model");
    expect(existsSync(file)).toBe(false);
    expect(existsSync(`${file}.part`)).toBe(false);
  });

  test("unknown names are model_not_found", async () => {
    const err = await pull("nope", opts()).catch((e) => e);
    expect(err.code).toBe("model_not_found");
  });
});

describe("fileNameFromResponse", () => {
  const res = (headers: Record<string, string>, url = "") => Object.defineProperty(new Response(null, { headers }), "url", { value: url });
  test("Content-Disposition filename* beats filename, then the final URL, then the request URL", () => {
    expect(fileNameFromResponse(res({ "content-disposition": `attachment; filename="a.bin"; filename*=UTF-8''b%20c.bin` }), "")).toBe("b c.bin");
    expect(fileNameFromResponse(res({ "content-disposition": `attachment; filename="../a.bin"` }), "")).toBe("a.bin");
    expect(fileNameFromResponse(res({}, "https://cdn.example/x/final.bin?sig=1"), "https://h/y.bin")).toBe("final.bin");
    expect(fileNameFromResponse(res({}), "https://h/dir/y.bin")).toBe("y.bin");
    expect(fileNameFromResponse(res({}), "https://h/")).toBe("model.bin");
  });
});
