// One contract for every Engine the server may be given: the fake that the route tests use must
// behave like WhisperEngine where the server relies on it (events, result, abort, no model).
import { afterAll, describe, expect, test } from "bun:test";
import { type DecodeOptions, type Engine, type EngineEvent, WhisperEngine } from "../src/engine/index.ts";
import { SonaError } from "../src/errors.ts";
import { FakeEngine } from "./fake-engine.ts";
import { syntheticSpeech } from "./helpers/audio.ts";
import { MICRO_EN } from "./helpers/server.ts";

const GREEDY: DecodeOptions = { detectLanguage: false, translate: false, temperature: 0, noFallback: true, strategy: "greedy", wordTimestamps: false };

function engineContract(name: string, make: () => Engine) {
  describe(`Engine contract: ${name}`, () => {
    const engine = make();
    afterAll(() => engine.close());

    test("no model: model is null and transcribe rejects with no_model", async () => {
      expect(engine.model).toBeNull();
      const err = await engine.transcribe(syntheticSpeech(1), GREEDY).catch((e) => e);
      expect(err).toBeInstanceOf(SonaError);
      expect(err.code).toBe("no_model");
    });

    test("load sets model.path; transcribe streams progress and segments, and the result matches", async () => {
      const details = await engine.load(MICRO_EN);
      expect(details.path).toBe(MICRO_EN);
      expect(engine.model?.path).toBe(MICRO_EN);
      const events: EngineEvent[] = [];
      const result = await engine.transcribe(syntheticSpeech(2), GREEDY, { onEvent: (e) => events.push(e) });
      expect(events[0]).toEqual({ type: "progress", progress: 0 });
      expect(events.filter((e) => e.type === "segment").map((e) => e.segment)).toEqual(result.segments);
      expect(result.segments.length).toBeGreaterThan(0);
      expect(result.duration).toBeCloseTo(2, 5);
      expect(result.task).toBe("transcribe");
      expect(result.timings.inferenceMs).toBeGreaterThanOrEqual(0);
    }, 30_000);

    test("an already aborted signal rejects with aborted and never starts", async () => {
      const events: EngineEvent[] = [];
      const err = await engine.transcribe(syntheticSpeech(1), GREEDY, { signal: AbortSignal.abort(), onEvent: (e) => events.push(e) }).catch((e) => e);
      expect(err.code).toBe("aborted");
      expect(events).toEqual([]);
    });

    test("an abort mid-run rejects with aborted within milliseconds; the next run works", async () => {
      const ac = new AbortController();
      let aborted = false;
      // the first event (progress 0) means inference has started: the real engine is in its encoder
      const run = engine.transcribe(syntheticSpeech(10), GREEDY, {
        signal: ac.signal,
        onEvent: () => {
          if (!aborted) {
            aborted = true;
            ac.abort();
          }
        },
      });
      const err = await run.catch((e) => e);
      expect(err.code).toBe("aborted"); // how fast it lands is measured in bench/, not asserted here
      expect((await engine.transcribe(syntheticSpeech(1), GREEDY)).segments.length).toBeGreaterThan(0);
    }, 60_000);

    test("unload clears the model", async () => {
      await engine.unload();
      expect(engine.model).toBeNull();
    });
  });
}

engineContract("FakeEngine", () => new FakeEngine({ stepMs: 5 }));
engineContract("WhisperEngine (micro model)", () => new WhisperEngine());
