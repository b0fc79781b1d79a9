// An hour of live audio through a live session, streamed as fast as the session takes it: every
// utterance comes out, and the process's memory does not grow with the stream (RSS after the hour
// within 20 MB of RSS after the first five minutes). The speech is espeak-ng's, three sentences and
// their silences, over and over. The turns come from the real engine's Silero stream (its worker,
// its native context); the decodes are the fake engine's, because a synthetic whisper model decodes
// junk up to its token limit, ~1 s an utterance here, which would make the hour take many minutes.
// Whisper's own memory per request is measured elsewhere (BENCHMARKS.md row 7).
import { afterAll, beforeAll, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { type Engine, WhisperEngine } from "../src/engine/index.ts";
import { DEFAULT_TURN_OPTIONS, LiveSession, type LiveEvent } from "../src/live/index.ts";
import { parseOptions } from "../src/options.ts";
import { VENDORED_VAD_PATH } from "../src/vad/model.ts";
import { FakeEngine } from "./fake-engine.ts";
import { MICRO_EN } from "./helpers/server.ts";
import { spokenWithGaps, THREE_UTTERANCES, type SpokenAudio } from "./helpers/speech.ts";

const real = new WhisperEngine();
const fake = new FakeEngine();
/** Silero from the real engine, transcriptions from the fake one */
const engine: Engine = {
  get model() {
    return fake.model;
  },
  load: (path) => fake.load(path),
  unload: () => fake.unload(),
  transcribe: (samples, options, hooks) => fake.transcribe(samples, options, hooks),
  detectSpeech: (samples, vad) => real.detectSpeech(samples, vad),
  openSpeechStream: (path) => real.openSpeechStream(path),
  close: () => real.close(),
};
let block: SpokenAudio;
beforeAll(async () => {
  block = await spokenWithGaps(THREE_UTTERANCES.texts, THREE_UTTERANCES.gaps);
  await engine.load(MICRO_EN);
}, 60_000);
afterAll(() => engine.close());

const rssMiB = () => {
  Bun.gc(true);
  return Number(/VmRSS:\s+(\d+)/.exec(readFileSync("/proc/self/status", "utf8"))?.[1] ?? NaN) / 1024;
};

test("an hour of live audio: no utterance lost, RSS growth under 20 MB", async () => {
  const seconds = block.samples.length / 16000;
  const repeats = Math.ceil(3600 / seconds);
  let utterances = 0;
  const session = new LiveSession({
    engine,
    vadModelPath: VENDORED_VAD_PATH,
    decode: { ...parseOptions({ no_fallback: "true" }), vad: undefined },
    turns: DEFAULT_TURN_OPTIONS,
    partialMode: "off",
    onEvent: (e: LiveEvent) => {
      if (e.type === "utterance") utterances++;
      if (e.type === "error" || e.type === "failed") throw new Error(`live session: ${JSON.stringify(e)}`);
    },
  });
  const chunk = 1600; // 100 ms
  let warm = NaN;
  for (let r = 0; r < repeats; r++) {
    for (let i = 0; i < block.samples.length; i += chunk) session.push(block.samples.slice(i, i + chunk));
    // as fast as the session handles it (the server refuses input that waits too long)
    await session.handled();
    if (r === Math.ceil(repeats / 12)) warm = rssMiB(); // after the first five minutes
  }
  await session.finish();
  session.close();
  const end = rssMiB();
  console.error(`live hour: ${repeats} x ${seconds.toFixed(1)} s, ${utterances} utterances; RSS ${warm.toFixed(1)} MiB after 5 min, ${end.toFixed(1)} MiB after the hour`);
  expect(utterances).toBe(repeats * block.utterances.length);
  expect(end - warm).toBeLessThan(20);
}, 600_000);
