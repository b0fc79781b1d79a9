// The real engine's slots and its workers' recovery: `parallel` slots decode at once over one
// copy of the weights, each exactly as it would alone; a worker that dies fails only the request
// it was running (with a clear error), is restarted with the model attached again, and the next
// request works; a job aborted while it waits never runs; a failed start is not kept.
// Synthetic models: the words mean nothing, the token ids and times are what is compared.
import { afterAll, describe, expect, test } from "bun:test";
import { WhisperEngine, type DecodeOptions, type EngineEvent } from "../src/engine/index.ts";
import { VENDORED_VAD_PATH } from "../src/vad/model.ts";
import { DEFAULT_VAD_PARAMS } from "../src/vad/params.ts";
import { syntheticSpeech } from "./helpers/audio.ts";
import { MICRO_EN, MODELS_DIR } from "./helpers/server.ts";

const TINY_EN = `${MODELS_DIR}/synth-tiny.en.bin`;
const GREEDY: DecodeOptions = { detectLanguage: false, translate: false, temperature: 0, noFallback: true, strategy: "greedy", wordTimestamps: true };
// expect(promise).rejects blocks bun test's event loop until the promise settles, so the worker's
// replies never arrive; await the failure instead
const failure = (p: Promise<unknown>) => p.then(() => new Error("expected a failure"), (e: unknown) => e);
const tokens = (r: { segments: { tokens: { id: number; t0: number; t1: number }[] }[] }) => r.segments.map((s) => s.tokens.map((t) => [t.id, t.t0, t.t1]));
const firstProgress = (events: EngineEvent[]) => new Promise<void>((resolve) => {
  const poll = () => (events.some((e) => e.type === "progress") ? resolve() : setTimeout(poll, 5));
  poll();
});

describe("parallel slots", () => {
  const engine = new WhisperEngine({ parallel: 2 });
  afterAll(() => engine.close());

  test("two transcriptions at once each give exactly the tokens of the same request run alone", async () => {
    await engine.load(MICRO_EN);
    const a = syntheticSpeech(6);
    const b = syntheticSpeech(4);
    const aloneA = await engine.transcribe(a.slice(), GREEDY);
    const aloneB = await engine.transcribe(b.slice(), GREEDY);
    const [togetherA, togetherB] = await Promise.all([engine.transcribe(a.slice(), GREEDY), engine.transcribe(b.slice(), GREEDY)]);
    expect(tokens(togetherA)).toEqual(tokens(aloneA));
    expect(tokens(togetherB)).toEqual(tokens(aloneB));
    expect(tokens(aloneA)).not.toEqual(tokens(aloneB)); // the comparison can tell two inputs apart
  }, 120_000);

  test("the second slot runs while the first is busy: a short job finishes before a long one is stopped", async () => {
    await engine.load(TINY_EN);
    const stop = new AbortController();
    const events: EngineEvent[] = [];
    let longDone = false;
    // a minute of audio on the tiny model: many seconds on this machine; it is aborted below, and
    // would keep a single slot busy until then, so the short job could never finish first
    const long = engine.transcribe(syntheticSpeech(60), GREEDY, { signal: stop.signal, onEvent: (e) => events.push(e) }).finally(() => (longDone = true));
    await firstProgress(events);
    const short = await engine.transcribe(syntheticSpeech(2), GREEDY);
    expect(short.segments.length).toBeGreaterThanOrEqual(0);
    expect(longDone).toBe(false);
    stop.abort();
    expect(await failure(long)).toMatchObject({ code: "aborted" });
  }, 120_000);
});

describe("worker recovery", () => {
  const engine = new WhisperEngine();
  afterAll(() => engine.close());

  test("a worker killed mid-transcription: that request fails with a clear error, the next one works on the same model", async () => {
    await engine.load(TINY_EN);
    const expected = await engine.transcribe(syntheticSpeech(3), GREEDY);
    const events: EngineEvent[] = [];
    const running = engine.transcribe(syntheticSpeech(30), GREEDY, { onEvent: (e) => events.push(e) });
    await firstProgress(events);
    engine.crashWorker(0, "kill");
    expect(await failure(running)).toMatchObject({ code: "internal_error", message: expect.stringContaining("engine worker died") });
    const again = await engine.transcribe(syntheticSpeech(3), GREEDY);
    expect(tokens(again)).toEqual(tokens(expected));
    // and nothing from the killed run reaches a later caller: a third request gets its own result
    const third = await engine.transcribe(syntheticSpeech(3), GREEDY);
    expect(tokens(third)).toEqual(tokens(expected));
  }, 120_000);

  test("a worker that throws (a bug) is restarted for the next request; so is the detection worker", async () => {
    await engine.load(MICRO_EN);
    const expected = await engine.transcribe(syntheticSpeech(2), GREEDY);
    engine.crashWorker(0);
    await Bun.sleep(200);
    expect(tokens(await engine.transcribe(syntheticSpeech(2), GREEDY))).toEqual(tokens(expected));
    const vad = { modelPath: VENDORED_VAD_PATH, params: DEFAULT_VAD_PARAMS };
    const spans = await engine.detectSpeech(syntheticSpeech(3), vad);
    engine.crashWorker("detection");
    await Bun.sleep(200);
    expect(await engine.detectSpeech(syntheticSpeech(3), vad)).toMatchObject({ spans: spans.spans });
  }, 120_000);

  test("a stream's detector lost in a restart is an error, not a silent reset", async () => {
    const stream = engine.openSpeechStream(VENDORED_VAD_PATH);
    await stream.probabilities(syntheticSpeech(1).subarray(0, 8192).slice());
    engine.crashWorker("detection", "kill");
    expect(await failure(stream.probabilities(syntheticSpeech(1).subarray(0, 8192).slice()))).toMatchObject({ code: "internal_error", message: expect.stringContaining("lost") });
    stream.close();
  }, 60_000);

  test("a job aborted while it waits for the slot never runs", async () => {
    await engine.load(TINY_EN);
    const stop = new AbortController();
    const events: EngineEvent[] = [];
    const long = engine.transcribe(syntheticSpeech(60), GREEDY, { signal: stop.signal, onEvent: (e) => events.push(e) });
    await firstProgress(events);
    const leave = new AbortController();
    const queuedEvents: EngineEvent[] = [];
    const queued = engine.transcribe(syntheticSpeech(3), GREEDY, { signal: leave.signal, onEvent: (e) => queuedEvents.push(e) });
    leave.abort();
    stop.abort();
    expect(await failure(long)).toMatchObject({ code: "aborted" });
    expect(await failure(queued)).toMatchObject({ code: "aborted" });
    expect(queuedEvents).toEqual([]); // whisper.cpp reports progress 0 first: it never started
  }, 120_000);

  test("a failed start is not kept: once the library can be opened, the engine works", async () => {
    const fresh = new WhisperEngine();
    const saved = process.env.SONA_LIBWHISPER;
    try {
      process.env.SONA_LIBWHISPER = "/nonexistent/libsona-whisper.so";
      expect(await failure(fresh.load(MICRO_EN))).toBeInstanceOf(Error);
      if (saved === undefined) delete process.env.SONA_LIBWHISPER;
      else process.env.SONA_LIBWHISPER = saved;
      expect((await fresh.load(MICRO_EN)).path).toBe(MICRO_EN);
    } finally {
      if (saved === undefined) delete process.env.SONA_LIBWHISPER;
      else process.env.SONA_LIBWHISPER = saved;
      await fresh.close();
    }
  }, 60_000);
});
