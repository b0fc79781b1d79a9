// The real engine: library layout, events, detection, abort latency and recovery.
// Uses the synthetic models from scripts/make-test-model.ts (meaningless words, real dimensions).
import { afterAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { chooseLibrary } from "./library.ts";
import { layoutMismatches, LAYOUT, openLibrary } from "./ffi.ts";
import { WhisperEngine, type DecodeOptions, type EngineEvent } from "./index.ts";
import { syntheticSpeech } from "../../test/helpers/audio.ts";

const models = join(import.meta.dir, "../../models");
// expect(promise).rejects blocks bun test's event loop until the promise settles, so the worker's
// replies never arrive; await the failure instead
const failure = (p: Promise<unknown>) => p.then(() => new Error("expected a failure"), (e: unknown) => e);
const GREEDY: DecodeOptions = { detectLanguage: false, translate: false, temperature: 0, noFallback: true, strategy: "greedy", wordTimestamps: false };

describe("native layout", () => {
  test("TypeScript offsets equal the library's offsetof/sizeof", () => {
    const lib = openLibrary(chooseLibrary().path); // openLibrary also refuses a mismatch
    const reported = JSON.parse(String(lib.sona_layout()));
    expect(layoutMismatches(reported)).toEqual([]);
    expect(reported.whisper_full_params.sizeof).toBe(LAYOUT.whisper_full_params.sizeof);
  });

  test("a shifted field is reported", () => {
    const reported = JSON.parse(String(openLibrary(chooseLibrary().path).sona_layout()));
    reported.whisper_full_params.language += 8;
    expect(layoutMismatches(reported)).toEqual(["whisper_full_params.language: ours 104, library 112"]);
  });
});

describe("WhisperEngine", () => {
  const engine = new WhisperEngine();
  afterAll(() => engine.close());

  test("transcribes with progress and segment events in order", async () => {
    await engine.load(join(models, "synth-micro.en.bin"));
    const events: EngineEvent[] = [];
    const result = await engine.transcribe(syntheticSpeech(5), { ...GREEDY, wordTimestamps: true }, { onEvent: (e) => events.push(e) });
    expect(result.language).toBe("en");
    expect(result.duration).toBeCloseTo(5, 5);
    expect(result.segments.length).toBeGreaterThan(0);
    expect(events[0]).toEqual({ type: "progress", progress: 0 });
    const streamed = events.filter((e) => e.type === "segment").map((e) => e.segment);
    expect(streamed).toEqual(result.segments);
    for (const s of result.segments) {
      expect(s.t1).toBeGreaterThanOrEqual(s.t0);
      expect(s.tokens.length).toBeGreaterThan(0);
      for (const t of s.tokens) expect(t.p).toBeGreaterThan(0);
    }
  });

  test("greedy decoding without fallback is deterministic", async () => {
    const a = await engine.transcribe(syntheticSpeech(5), GREEDY);
    const b = await engine.transcribe(syntheticSpeech(5), GREEDY);
    expect(b.segments).toEqual(a.segments);
  });

  test("English-only models refuse other languages and translation", async () => {
    expect(await failure(engine.transcribe(syntheticSpeech(1), { ...GREEDY, language: "de" }))).toMatchObject({ code: "invalid_request", message: expect.stringMatching(/English-only/) });
    expect(await failure(engine.transcribe(syntheticSpeech(1), { ...GREEDY, translate: true }))).toMatchObject({ code: "invalid_request", message: expect.stringMatching(/multilingual/) });
  });

  test("multilingual models detect the language and report its probability", async () => {
    const ml = new WhisperEngine();
    try {
      await ml.load(join(models, "synth-micro.bin"));
      const r = await ml.transcribe(syntheticSpeech(3), GREEDY);
      expect(r.language).toMatch(/^[a-z]{2,3}$/);
      expect(r.languageProbability).toBeGreaterThan(0);
      expect(r.languageProbability).toBeLessThanOrEqual(1);
      expect(r.timings.detectLanguageMs).toBeGreaterThan(0);
      const given = await ml.transcribe(syntheticSpeech(3), { ...GREEDY, language: "de" });
      expect(given.language).toBe("de");
      expect(given.languageProbability).toBeUndefined();
    } finally {
      await ml.close();
    }
  });

  test("an abort during the encoder stops inference well before one encoder pass, and the next job works", async () => {
    const tiny = new WhisperEngine();
    try {
      await tiny.load(join(models, "synth-tiny.en.bin"));
      const full = await tiny.transcribe(syntheticSpeech(10), GREEDY);
      const controller = new AbortController();
      let abortedAt = 0;
      const run = tiny.transcribe(syntheticSpeech(10), GREEDY, {
        signal: controller.signal,
        // progress 0 comes right after the log-mel step, as the first encoder pass starts
        onEvent: (e) => {
          if (e.type === "progress" && e.progress === 0 && !abortedAt) {
            setTimeout(() => { abortedAt = performance.now(); controller.abort(); }, 50);
          }
        },
      });
      expect(await failure(run)).toMatchObject({ code: "aborted", message: "transcription aborted" });
      const latency = performance.now() - abortedAt;
      console.error(`abort latency during the encoder: ${latency.toFixed(1)} ms (full run ${full.timings.inferenceMs.toFixed(0)} ms)`);
      // without the graph-level abort patch this waits for the whole encoder pass of the window
      expect(latency).toBeLessThan(Math.max(150, full.timings.inferenceMs / 8));
      const again = await tiny.transcribe(syntheticSpeech(10), GREEDY);
      expect(again.segments).toEqual(full.segments);
    } finally {
      await tiny.close();
    }
  }, 120_000);

  test("an already aborted signal never starts inference", async () => {
    const c = new AbortController();
    c.abort();
    expect(await failure(engine.transcribe(syntheticSpeech(1), GREEDY, { signal: c.signal }))).toMatchObject({ code: "aborted" });
  });

  test("transcribe without a model is a no_model error", async () => {
    const empty = new WhisperEngine();
    expect(await failure(empty.transcribe(syntheticSpeech(1), GREEDY))).toMatchObject({ code: "no_model" });
  });
});
