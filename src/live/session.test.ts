// The live engine on real speech (espeak-ng sentences with known silences) through the real
// Silero model and a synthetic whisper model: turns, times and event order, never the text.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { type Engine, WhisperEngine } from "../engine/index.ts";
import { parseOptions } from "../options.ts";
import { VENDORED_VAD_PATH } from "../vad/model.ts";
import { MICRO_EN } from "../../test/helpers/server.ts";
import { spokenWithGaps, THREE_UTTERANCES, type SpokenAudio } from "../../test/helpers/speech.ts";
import { DEFAULT_TURN_OPTIONS, LiveSession, tail, type LiveEvent, type LiveSessionOptions } from "./index.ts";

const engine = new WhisperEngine();
let spoken: SpokenAudio;

beforeAll(async () => {
  spoken = await spokenWithGaps(THREE_UTTERANCES.texts, THREE_UTTERANCES.gaps);
  await engine.load(MICRO_EN);
}, 60_000);
afterAll(() => engine.close());

const decode = { ...parseOptions({ no_fallback: "true" }), vad: undefined };

/** Streams `samples` in chunks of `chunkMs` as fast as the session takes them; all events. */
async function run(samples: Float32Array, chunkMs: number, options: Partial<LiveSessionOptions> = {}): Promise<LiveEvent[]> {
  const events: LiveEvent[] = [];
  const session = new LiveSession({
    engine,
    vadModelPath: VENDORED_VAD_PATH,
    decode,
    turns: DEFAULT_TURN_OPTIONS,
    onEvent: (e) => events.push(e),
    ...options,
  });
  const step = Math.round((chunkMs / 1000) * 16000);
  for (let i = 0; i < samples.length; i += step) session.push(samples.subarray(i, i + step));
  await session.finish();
  session.close();
  return events;
}

const strip = (events: LiveEvent[]) => events.filter((e) => e.type !== "partial");

describe("a live session", () => {
  test("finds the three utterances within 0.3 s of the speech, in order, with partials before each", async () => {
    const events = await run(spoken.samples, 20);
    const done = events.filter((e) => e.type === "utterance");
    expect(done).toHaveLength(3);
    for (const [i, u] of done.entries()) {
      expect(u.id).toBe(i);
      expect(Math.abs(u.start - spoken.utterances[i]!.start)).toBeLessThanOrEqual(0.3);
      expect(Math.abs(u.end - spoken.utterances[i]!.end)).toBeLessThanOrEqual(0.3);
      // the lifecycle of each utterance, in order
      const mine = events.filter((e) => "id" in e && e.id === i).map((e) => e.type);
      expect(mine[0]).toBe("speech_started");
      expect(mine.slice(-3)).toEqual(["speech_stopped", "committed", "utterance"]);
      // every utterance is longer than 1.4 s, so the 700 ms cadence re-decodes it at least twice
      expect(mine.filter((t) => t === "partial").length).toBeGreaterThanOrEqual(2);
      // the audio decoded: the speech, the pre-roll and the silence that ended the turn
      expect(u.seconds).toBeGreaterThanOrEqual(u.end - u.start);
    }
    expect(events.some((e) => e.type === "failed" || e.type === "error")).toBe(false);
  }, 120_000);

  test("the same turns whatever the chunk size", async () => {
    const a = strip(await run(spoken.samples, 20, { partialMode: "off" }));
    const b = strip(await run(spoken.samples, 100, { partialMode: "off" }));
    const times = (es: LiveEvent[]) => es.map((e) => [e.type, "start" in e ? e.start : null, "end" in e ? e.end : null]);
    expect(times(b)).toEqual(times(a));
  }, 120_000);

  test("partial_mode off sends no partials; a shorter cadence sends more", async () => {
    const off = await run(spoken.samples, 50, { partialMode: "off" });
    expect(off.filter((e) => e.type === "partial")).toHaveLength(0);
    expect(off.filter((e) => e.type === "utterance")).toHaveLength(3);
    const first = spoken.samples.subarray(0, Math.round((spoken.utterances[0]!.end + 1) * 16000));
    const slow = (await run(first, 50, { partialIntervalMs: 1000 })).filter((e) => e.type === "partial").length;
    const fast = (await run(first, 50, { partialIntervalMs: 300 })).filter((e) => e.type === "partial").length;
    expect(fast).toBeGreaterThan(slow);
  }, 180_000);

  test("an utterance that never pauses is cut at the longest and goes on", async () => {
    // the three sentences back to back with no silence: one turn, cut every 2 s here
    const u = spoken.utterances;
    const talk = new Float32Array(spoken.samples.length);
    let at = 0;
    for (const s of u) {
      const part = spoken.samples.subarray(Math.round(s.start * 16000), Math.round(s.end * 16000));
      talk.set(part, at);
      at += part.length;
    }
    const events = await run(talk.subarray(0, at), 50, { partialMode: "off", maxUtteranceS: 2 });
    const done = events.filter((e) => e.type === "utterance");
    expect(done.length).toBeGreaterThanOrEqual(Math.floor(at / 16000 / 2));
    for (const d of done) expect(d.end - d.start).toBeLessThanOrEqual(2.05);
    // contiguous: each piece starts where the one before was cut
    for (let i = 1; i < done.length - 1; i++) expect(done[i]!.start).toBeCloseTo(done[i - 1]!.end, 2);
  }, 120_000);

  test("manual commits: no VAD, one utterance per commit, an empty commit is an error event", async () => {
    const events: LiveEvent[] = [];
    const session = new LiveSession({ engine, vadModelPath: VENDORED_VAD_PATH, decode, turns: null, onEvent: (e) => events.push(e) });
    session.commit();
    session.push(spoken.samples.subarray(0, 16000 * 4));
    session.commit();
    session.push(spoken.samples.subarray(16000 * 4, 16000 * 6));
    session.clear();
    session.push(spoken.samples.subarray(16000 * 6, 16000 * 9));
    session.commit();
    await session.finish();
    session.close();
    expect(events.map((e) => e.type)).toEqual(["error", "committed", "utterance", "cleared", "committed", "utterance"]);
    const done = events.filter((e) => e.type === "utterance");
    expect([done[0]!.start, done[0]!.end]).toEqual([0, 4]);
    expect([done[1]!.start, done[1]!.end]).toEqual([6, 9]);
  }, 60_000);

  test("the next utterance is prompted with the committed text's tail", async () => {
    const prompts: (string | undefined)[] = [];
    const spy: Engine = {
      model: engine.model,
      load: (path, o) => engine.load(path, o),
      unload: () => engine.unload(),
      detectSpeech: (samples, vad) => engine.detectSpeech(samples, vad),
      openSpeechStream: (path) => engine.openSpeechStream(path),
      close: () => engine.close(),
      transcribe: (samples, options, hooks) => {
        prompts.push(options.prompt);
        return engine.transcribe(samples, options, hooks);
      },
    };
    const events = await run(spoken.samples, 100, { engine: spy, partialMode: "off", decode: { ...decode, prompt: "Glossary." } });
    const texts = events.flatMap((e) => (e.type === "utterance" ? [e.text] : []));
    expect(prompts[0]).toBe("Glossary.");
    expect(prompts[1]).toBe(["Glossary.", tail(texts[0]!, 200)].filter(Boolean).join(" "));
    expect(prompts[2]!.length).toBeLessThanOrEqual("Glossary. ".length + 200);
  }, 120_000);
});

describe("tail", () => {
  test("keeps the last characters from a word's start", () => {
    expect(tail("one two three", 9)).toBe("three");
    expect(tail("short", 200)).toBe("short");
  });
});
