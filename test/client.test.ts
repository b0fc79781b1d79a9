// The TypeScript client (src/client) against the real server: dist/sona, or `bun src/main.ts`
// before packaging (see helpers/sona-binary.ts; the file's first line of output says which).
// The synthetic micro model's words are meaningless: shapes, order and behaviour are checked,
// never the text. no_fallback keeps a random model from retrying each window (seconds, not tens).
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { type SonaProcess, spawnSona, SonaClientError, type StreamEvent } from "../src/client/index.ts";
import { syntheticSpeech, wavBytes } from "./helpers/audio.ts";
import { ROOT, scratch, SONA, SONA_KIND } from "./helpers/sona-binary.ts";

console.error(`client tests: sona = ${SONA_KIND}`);
const MICRO = join(ROOT, "models", "synth-micro.en.bin");
const FAST = { fields: { no_fallback: true } };
const wav = (name: string, seconds: number) => {
  const path = join(scratch, name);
  writeFileSync(path, wavBytes(syntheticSpeech(seconds)));
  return path;
};
const ONE = wav("one.wav", 1);

async function rejection(p: Promise<unknown>): Promise<SonaClientError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof SonaClientError) return e;
    throw e;
  }
  throw new Error("expected a SonaClientError");
}

describe("model lifecycle", () => {
  test("not ready, load (idempotent), ready, bad load keeps the model, unload (idempotent)", async () => {
    await using sona = await spawnSona({ binary: SONA });
    const c = sona.client;
    expect(sona.info.status).toBe("ready");
    expect(sona.port).toBe(sona.info.port);
    expect(await c.health()).toEqual({ status: "ok", slots: { busy: 0, total: 1, queued: 0 } });
    expect((await c.ready()).status).toBe("not_ready");
    expect((await c.models()).data).toEqual([]);
    const none = await rejection(c.transcribe(ONE, FAST));
    expect([none.status, none.code]).toEqual([503, "no_model"]);

    expect(await c.loadModel(MICRO)).toEqual({ model: "synth-micro.en.bin", status: "loaded", device: expect.any(String) });
    expect((await c.loadModel(MICRO)).status).toBe("loaded");
    expect(await c.ready()).toEqual({ model: "synth-micro.en.bin", status: "ready", slots: { busy: 0, total: 1, queued: 0 }, device: expect.any(String) });
    expect((await c.models()).data.map((m) => m.id)).toEqual(["synth-micro.en.bin"]);
    const bad = await rejection(c.loadModel(ONE)); // a WAV file, not a model
    expect([bad.status, bad.param]).toEqual([400, "path"]);
    expect((await c.ready()).status).toBe("ready");

    expect(await c.unloadModel()).toEqual({ status: "unloaded" });
    expect(await c.unloadModel()).toEqual({ status: "unloaded" });
    expect((await c.ready()).status).toBe("not_ready");
  });

  // Bun closes a connection once its answer is sent, and a client still writing the upload then
  // saw EPIPE instead of the answer (a third of these failed before src/server/discard.ts)
  test("an answer given before the upload is read reaches a client that is still uploading", async () => {
    await using sona = await spawnSona({ binary: SONA });
    const bodies = [wavBytes(syntheticSpeech(4)), wavBytes(syntheticSpeech(30))];
    const codes: string[] = [];
    for (let i = 0; i < 60; i++) codes.push((await rejection(sona.client.transcribe(bodies[i % 2]!, FAST))).code);
    expect(codes).toEqual(Array(60).fill("no_model"));
  });
});

describe("transcription", () => {
  let sona: SonaProcess;
  beforeAll(async () => {
    sona = await spawnSona({ binary: SONA, model: MICRO });
  });
  afterAll(() => sona.stop());

  test("json, text, verbose_json, srt, vtt", async () => {
    const c = sona.client;
    const json = await c.transcribe(ONE, FAST);
    expect(typeof json.text).toBe("string");
    expect(json.text.length).toBeGreaterThan(0);
    expect((await c.transcribe(ONE, { ...FAST, responseFormat: "text" })).trim().length).toBeGreaterThan(0);
    const verbose = await c.transcribe(ONE, { ...FAST, responseFormat: "verbose_json", wordTimestamps: true });
    expect(verbose.task).toBe("transcribe");
    expect(verbose.duration).toBeCloseTo(1, 2);
    expect(verbose.segments!.length).toBeGreaterThan(0);
    expect(verbose.segments![0]).toHaveProperty("no_speech_prob");
    expect(Array.isArray(verbose.words)).toBe(true);
    expect(await c.transcribe(ONE, { ...FAST, responseFormat: "srt" })).toMatch(/^1\n\d\d:\d\d:\d\d,\d{3} --> \d\d:\d\d:\d\d,\d{3}\n/);
    expect(await c.transcribe(ONE, { ...FAST, responseFormat: "vtt" })).toMatch(/^WEBVTT\n\n\d\d:\d\d:\d\d\.\d{3} --> /);
  });

  test("a Blob (File) and bytes, with language and prompt", async () => {
    const bytes = wavBytes(syntheticSpeech(1));
    expect(typeof (await sona.client.transcribe(new File([new Uint8Array(bytes)], "x.wav"), { ...FAST, language: "en", prompt: "Hi." })).text).toBe("string");
    expect(typeof (await sona.client.transcribe(bytes, FAST)).text).toBe("string");
  });

  test("a bad field is a 400 naming it; bad audio is invalid_audio", async () => {
    const e = await rejection(sona.client.transcribe(ONE, { responseFormat: "docx" as "json" }));
    expect([e.status, e.code, e.param]).toEqual([400, "invalid_request", "response_format"]);
    const a = await rejection(sona.client.transcribe(new TextEncoder().encode("not audio ".repeat(20)), FAST));
    expect([a.status, a.code]).toEqual([400, "invalid_audio"]);
  });

  test("a missing file rejects before any request", async () => {
    await expect(sona.client.transcribe("/no/such/audio.wav")).rejects.toThrow(/ENOENT|no such file/);
  });

  test("streaming: progress first, segments, one result last", async () => {
    const events: StreamEvent[] = [];
    for await (const event of sona.client.transcribeStream(wav("five.wav", 5), FAST)) events.push(event);
    const types = events.map((e) => e.type);
    expect(types[0]).toBe("progress");
    expect(types.at(-1)).toBe("result");
    expect(types.filter((t) => t === "result")).toHaveLength(1);
    expect(types.indexOf("segment")).toBeGreaterThan(0);
    const progress = events.flatMap((e) => (e.type === "progress" ? [e.progress] : []));
    expect(progress).toEqual([...progress].sort((a, b) => a - b));
    const segments = events.flatMap((e) => (e.type === "segment" ? [e.text] : []));
    const result = events.at(-1)!;
    if (result.type !== "result") throw new Error("no result");
    expect(result.text).toBe(segments.join("").trim());
    expect(result.duration).toBeCloseTo(5, 2);
  });
});

describe("one transcription at a time", () => {
  test("a stream starts at once; a second request gets 429 busy with Retry-After; leaving the stream frees the server", async () => {
    await using sona = await spawnSona({ binary: SONA, model: MICRO });
    const c = sona.client;
    // once the first event arrives the upload is in and the server's one slot is taken; with
    // temperature fallback a random model takes far longer than this test on 60 s of audio
    const stream = c.transcribeStream(wav("sixty.wav", 60));
    // events are read as they come: the first while the whole still runs (it takes minutes)
    expect((await stream.next()).value).toEqual({ type: "progress", progress: 0 });
    const busy = await rejection(c.transcribe(ONE, FAST));
    expect([busy.status, busy.code]).toEqual([429, "busy"]);
    expect(busy.retryAfter).toBeGreaterThan(0);
    expect(await c.health()).toEqual({ status: "ok", slots: { busy: 1, total: 1, queued: 0 } });
    await stream.return(undefined); // disconnects: the server aborts
    const deadline = performance.now() + 20_000;
    for (;;) {
      const r = await c.transcribe(ONE, FAST).catch((e: SonaClientError) => e);
      if (!(r instanceof SonaClientError)) break;
      if (r.code !== "busy" || performance.now() > deadline) throw r;
      await Bun.sleep(200);
    }
  });

  test("an AbortSignal aborts a request, and the server takes the next one", async () => {
    await using sona = await spawnSona({ binary: SONA, model: MICRO });
    const ac = new AbortController();
    const pending = sona.client.transcribe(wav("sixty.wav", 60), { signal: ac.signal });
    await Bun.sleep(1000);
    ac.abort();
    expect((await rejection(pending)).code).toBe("aborted");
    const deadline = performance.now() + 20_000;
    for (;;) {
      const r = await sona.client.transcribe(ONE, FAST).catch((e: SonaClientError) => e);
      if (!(r instanceof SonaClientError)) break;
      if (r.code !== "busy" || performance.now() > deadline) throw r;
      await Bun.sleep(200);
    }
  });
});
