// The consuming log-mel (sona_pcm_to_mel_consuming, mel-in-place.patch): a plain transcription
// makes the mel in blocks of 1024 frames and gives back the samples' pages behind each block.
// Audio of many blocks must give exactly what whisper_full's own mel gives: with word timestamps
// the worker hands the samples to whisper_full (which keeps them for the token energies), so the
// two requests differ only in how the mel was made. Times, token ids and probabilities are
// compared; token timestamps change none of them (test/parity.test.ts holds both to whisper-cli).
import { afterAll, beforeAll, expect, test } from "bun:test";
import { type DecodeOptions, WhisperEngine } from "../src/engine/index.ts";
import { syntheticSpeech } from "./helpers/audio.ts";
import { MICRO_EN } from "./helpers/server.ts";

const engine = new WhisperEngine();
beforeAll(() => engine.load(MICRO_EN).then(() => undefined));
afterAll(() => engine.close());

// two threads: the blocks are shared among threads as whisper.cpp shares the whole audio
const OPTIONS: DecodeOptions = { language: "en", detectLanguage: false, translate: false, temperature: 0, noFallback: true, strategy: "greedy", threads: 2, wordTimestamps: false };

async function run(samples: Float32Array, wordTimestamps: boolean) {
  // the engine takes the buffer (it moves to the worker): each run gets its own copy
  const r = await engine.transcribe(samples.slice(), { ...OPTIONS, wordTimestamps });
  return r.segments.map((s) => ({ t0: s.t0, t1: s.t1, text: s.text, tokens: s.tokens.map((t) => [t.id, t.p]) }));
}

test("25 s (6 mel blocks, the 30 s padding included): the same segments and tokens with and without the consuming path", async () => {
  const samples = syntheticSpeech(25.3);
  const consuming = await run(samples, false);
  const whole = await run(samples, true);
  expect(consuming.flatMap((s) => s.tokens).length).toBeGreaterThan(1);
  expect(consuming).toEqual(whole);
}, 600_000);
