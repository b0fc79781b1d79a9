// The official `openai` npm client, unchanged, against the server with the real engine and the
// synthetic micro models (meaningless words, real shapes). Every format, translations, stream:true
// (SSE by negotiation), a streamed upload, and errors surfacing as the SDK's typed errors.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createReadStream, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import OpenAI, { APIError, BadRequestError, InternalServerError, RateLimitError, toFile } from "openai";
import { WhisperEngine } from "../src/engine/index.ts";
import { loadModel } from "../src/server/routes/models.ts";
import { syntheticSpeech, wavBytes } from "./helpers/audio.ts";
import { MICRO, MICRO_EN, startTestServer } from "./helpers/server.ts";

const engine = new WhisperEngine();
const server = startTestServer(engine);
const client = new OpenAI({ apiKey: "sona", baseURL: `${server.base}/v1`, maxRetries: 0 });
const WAV = wavBytes(syntheticSpeech(3));
const fixtures = mkdtempSync(join(tmpdir(), "sona-openai-"));
const wavFile = () => toFile(WAV, "speech.wav");
// Random weights make temperature fallback re-decode every window; Sona's own field turns it off
// (the SDK passes fields it does not know through to the form).
const GREEDY = { no_fallback: true } as {};

beforeAll(() => loadModel(server.app.sona, MICRO_EN), 30_000);
afterAll(async () => {
  rmSync(fixtures, { recursive: true, force: true });
  await server.close();
  await engine.close();
});

describe("openai npm client, real engine", () => {
  test("json, text, srt and vtt", async () => {
    const json = await client.audio.transcriptions.create({ file: await wavFile(), model: "whisper-1", ...GREEDY });
    expect(typeof json.text).toBe("string");
    expect(json.text.length).toBeGreaterThan(0);
    const text = await client.audio.transcriptions.create({ file: await wavFile(), model: "whisper-1", response_format: "text", ...GREEDY });
    expect(text).toBe(`${json.text}\n`);
    const srt = await client.audio.transcriptions.create({ file: await wavFile(), model: "whisper-1", response_format: "srt", ...GREEDY });
    expect(srt).toMatch(/^1\n\d\d:\d\d:\d\d,\d{3} --> \d\d:\d\d:\d\d,\d{3}\n/);
    const vtt = await client.audio.transcriptions.create({ file: await wavFile(), model: "whisper-1", response_format: "vtt", ...GREEDY });
    expect(vtt).toMatch(/^WEBVTT\n\n\d\d:\d\d:\d\d\.\d{3} --> /);
  }, 30_000);

  test("verbose_json with word and segment timestamps gives words[] and segments[]", async () => {
    const v = await client.audio.transcriptions.create({
      file: await wavFile(),
      model: "whisper-1",
      response_format: "verbose_json",
      timestamp_granularities: ["word", "segment"],
      ...GREEDY,
    });
    expect(v).toMatchObject({ language: "english", duration: 3 });
    expect(v.segments!.length).toBeGreaterThan(0);
    expect(v.words!.length).toBeGreaterThan(0);
    for (const w of v.words!) {
      expect(w.word.trim()).toBe(w.word);
      expect(w.end).toBeGreaterThanOrEqual(w.start);
      // whisper.cpp may end the last segment a frame or so past the audio (3.03 s for 3 s here)
      expect(w.end).toBeLessThanOrEqual(3.1);
    }
  }, 30_000);

  test("stream: true yields transcript.text.delta events, then transcript.text.done", async () => {
    const stream = await client.audio.transcriptions.create({ file: await wavFile(), model: "whisper-1", stream: true, ...GREEDY });
    const events: OpenAI.Audio.TranscriptionStreamEvent[] = [];
    for await (const event of stream) events.push(event);
    const deltas = events.filter((e) => e.type === "transcript.text.delta");
    expect(deltas.length).toBeGreaterThan(0);
    expect(events.at(-1)!.type).toBe("transcript.text.done");
    const done = events.at(-1) as OpenAI.Audio.TranscriptionTextDoneEvent;
    expect(done.text).toBe(deltas.map((d) => d.delta).join("").trim());
  }, 30_000);

  test("a file streamed from disk (chunked multipart, no Content-Length) works", async () => {
    const path = join(fixtures, "speech.wav");
    writeFileSync(path, WAV);
    const fromDisk = await client.audio.transcriptions.create({ file: createReadStream(path), model: "whisper-1", ...GREEDY });
    const inMemory = await client.audio.transcriptions.create({ file: await wavFile(), model: "whisper-1", ...GREEDY });
    expect(fromDisk.text).toBe(inMemory.text);
  }, 30_000);

  test("translations on a multilingual model", async () => {
    await loadModel(server.app.sona, MICRO);
    try {
      const t = await client.audio.translations.create({ file: await wavFile(), model: "whisper-1", response_format: "verbose_json", ...GREEDY });
      expect(t).toMatchObject({ duration: 3 });
      expect((t as unknown as { task: string }).task).toBe("translate");
      const plain = await client.audio.translations.create({ file: await wavFile(), model: "whisper-1", ...GREEDY });
      expect(typeof plain.text).toBe("string");
    } finally {
      await loadModel(server.app.sona, MICRO_EN);
    }
  }, 30_000);

  test("errors surface as the SDK's typed errors with Sona's code and param", async () => {
    // APIPromise is a Promise subclass that only runs on then(): catch it, do not use expect().rejects
    const err = (await client.audio.transcriptions.create({ file: await wavFile(), model: "whisper-1", language: "xx" }).catch((e) => e)) as BadRequestError;
    expect(err).toBeInstanceOf(BadRequestError);
    expect(err.status).toBe(400);
    expect(err.code).toBe("invalid_request");
    expect(err.param).toBe("language");
    expect(err.type).toBe("invalid_request_error");

    // translating on an English-only model: the engine's own refusal, still a 400
    const englishOnly = await client.audio.translations.create({ file: await wavFile(), model: "whisper-1", ...GREEDY }).catch((e) => e);
    expect(englishOnly).toBeInstanceOf(BadRequestError);
    expect(englishOnly.message).toContain("multilingual");

    // a failure after the SSE headers arrives as an error event, which the SDK throws while iterating
    // (German on an English-only model: the engine refuses it once the stream is open)
    const stream = await client.audio.transcriptions.create({ file: await wavFile(), model: "whisper-1", language: "de", stream: true, ...GREEDY });
    const midStream = await (async () => {
      for await (const _ of stream) {
        // progress comes as SSE comments, which the SDK skips; the error is the first event
      }
    })().catch((e) => e);
    expect(midStream).toBeInstanceOf(APIError);
    expect(midStream.message).toContain("English-only");

    const lease = server.app.sona.gate.tryAcquire()!;
    try {
      const busy = (await client.audio.transcriptions.create({ file: await wavFile(), model: "whisper-1" }).catch((e) => e)) as RateLimitError;
      expect(busy).toBeInstanceOf(RateLimitError);
      expect(busy.code).toBe("busy");
      expect(busy.headers.get("retry-after")).toBe("1");
    } finally {
      lease.release();
    }

    await engine.unload();
    try {
      // 503 is retryable for the SDK, but Sona says x-should-retry: false, so it fails at once
      let sent = 0;
      const counting = ((input: RequestInfo | URL, init?: RequestInit) => {
        if (String(input).startsWith(server.base)) sent++; // (the SDK also fetches a data: URL of its own)
        return fetch(input, init);
      }) as typeof fetch;
      const retrying = new OpenAI({ apiKey: "sona", baseURL: `${server.base}/v1`, maxRetries: 2, fetch: counting });
      const none = (await retrying.audio.transcriptions.create({ file: await wavFile(), model: "whisper-1" }).catch((e) => e)) as InternalServerError;
      expect(none).toBeInstanceOf(InternalServerError);
      expect(none.code).toBe("no_model");
      expect(sent).toBe(1); // no retry
    } finally {
      await loadModel(server.app.sona, MICRO_EN);
    }
  }, 30_000);

  test("models.list shows the loaded model", async () => {
    const page = await client.models.list();
    expect(page.data.map((m) => [m.id, m.object, m.owned_by])).toEqual([["synth-micro.en.bin", "model", "local"]]);
  });
});
