// The live engine on real speech (espeak-ng sentences with known silences) through the real
// Silero model and a synthetic whisper model: turns, times and event order, never the text.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { WhisperEngine } from "../engine/index.ts";
import { SonaError } from "../errors.ts";
import { parseOptions } from "../options.ts";
import { VENDORED_VAD_PATH } from "../vad/model.ts";
import { wrapTranscribe } from "../../test/helpers/engine-wrap.ts";
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

/** Streams `samples` at real-time pace in 100 ms chunks (a live microphone); all events. */
async function live(samples: Float32Array, options: Partial<LiveSessionOptions>): Promise<LiveEvent[]> {
  const events: LiveEvent[] = [];
  const session = new LiveSession({ engine, vadModelPath: VENDORED_VAD_PATH, decode, turns: DEFAULT_TURN_OPTIONS, onEvent: (e) => events.push(e), ...options });
  const t0 = performance.now();
  for (let i = 0; i < samples.length; i += 1600) {
    session.push(samples.subarray(i, i + 1600));
    const due = ((i + 1600) / 16000) * 1000 - (performance.now() - t0);
    if (due > 0) await Bun.sleep(due);
  }
  await session.finish();
  session.close();
  return events;
}

/** The real engine, with `partial` run before each partial's decode; the session is given a decode
 *  with fallback on, so its partials are the greedy-only calls (finals are forwarded greedy too). */
const withPartials = (partial: (signal: AbortSignal) => Promise<void>) =>
  wrapTranscribe(engine, (next) => async (samples, options, hooks) => {
    if (!options.noFallback) return next(samples, { ...options, noFallback: true }, hooks);
    await partial(hooks!.signal!);
    return next(samples, options, hooks);
  });

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

  test("live audio: a partial still decoding when the turn ends is cancelled, and the final text does not wait for it", async () => {
    // a preview that would never finish: only cancelling it at the turn's end lets the final come
    const log: string[] = [];
    let started = 0;
    const hang = (signal: AbortSignal) => {
      started++;
      return new Promise<void>((_, reject) => signal.addEventListener("abort", () => (log.push("cancelled"), reject(new SonaError("aborted", "cancelled")))));
    };
    const first = spoken.samples.subarray(0, Math.round((spoken.utterances[0]!.end + 1) * 16000));
    await live(first, { engine: withPartials(hang), decode: { ...decode, noFallback: false }, onEvent: (e) => log.push(e.type) });
    expect(log).toEqual(["speech_started", "speech_stopped", "cancelled", "committed", "utterance"]);
    // one preview started; every later due one was skipped while it decoded
    expect(started).toBe(1);
  }, 60_000);

  test("live audio: partials decode beside the audio, one at a time, and come before the final text", async () => {
    let running = 0;
    let most = 0;
    const slow = async () => {
      most = Math.max(most, ++running);
      await Bun.sleep(500);
      running--;
    };
    const first = spoken.samples.subarray(0, Math.round((spoken.utterances[0]!.end + 1) * 16000));
    const events = await live(first, { engine: withPartials(slow), decode: { ...decode, noFallback: false } });
    const types = events.map((e) => e.type);
    expect(most).toBe(1);
    expect(types.filter((t) => t === "partial").length).toBeGreaterThanOrEqual(1);
    expect(types.slice(-3)).toEqual(["speech_stopped", "committed", "utterance"]);
    expect(types.indexOf("partial")).toBeGreaterThan(types.indexOf("speech_started"));
  }, 60_000);

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
    const spy = wrapTranscribe(engine, (next) => (samples, options, hooks) => {
      prompts.push(options.prompt);
      return next(samples, options, hooks);
    });
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
