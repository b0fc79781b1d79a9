// Engine.openSpeechStream, the streaming VAD live sessions use: whisper.cpp's
// whisper_vad_detect_speech_no_reset on the real Silero model. The LSTM state is carried between
// calls (so chunking does not change the probabilities) and reset when a stream starts.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { join } from "node:path";
import { decodeAudio } from "../src/audio/index.ts";
import { WhisperEngine, type SpeechStream } from "../src/engine/index.ts";
import { VENDORED_VAD_PATH } from "../src/vad/model.ts";
import { spokenWithGaps, THREE_UTTERANCES, type SpokenAudio } from "./helpers/speech.ts";

const engine = new WhisperEngine();
let spoken: SpokenAudio;
beforeAll(async () => {
  spoken = await spokenWithGaps(THREE_UTTERANCES.texts, THREE_UTTERANCES.gaps);
}, 60_000);
afterAll(() => engine.close());

/** the first `seconds` of the speech in pieces of `windows` x 512 samples */
async function probabilities(windows: number, resetEach = false, seconds = 6): Promise<number[]> {
  const x = spoken.samples.subarray(0, seconds * 16000 - ((seconds * 16000) % 512));
  const out: number[] = [];
  let stream: SpeechStream | null = null;
  for (let i = 0; i < x.length; i += windows * 512) {
    if (resetEach || !stream) {
      stream?.close();
      stream = engine.openSpeechStream(VENDORED_VAD_PATH);
    }
    out.push(...(await stream.probabilities(x.slice(i, i + windows * 512))));
  }
  stream?.close();
  return out;
}

test("one probability per 512 samples, high in speech and low in silence", async () => {
  const p = await probabilities(1000);
  expect(p).toHaveLength(Math.floor((6 * 16000) / 512));
  const at = (s: number) => p[Math.floor((s * 16000) / 512)]!;
  expect(at(1)).toBeLessThan(0.2); // the opening silence
  const u = spoken.utterances[0]!;
  const inside = p.slice(Math.ceil((u.start * 16000) / 512), Math.floor((u.end * 16000) / 512));
  expect(inside.filter((v) => v > 0.5).length).toBeGreaterThan(inside.length / 2);
}, 60_000);

test("the state is carried between calls: any chunking gives the same probabilities; a reset starts over", async () => {
  const whole = await probabilities(1000);
  const chunked = await probabilities(3);
  expect(chunked.length).toBe(whole.length);
  for (let i = 0; i < whole.length; i++) expect(chunked[i]!).toBeCloseTo(whole[i]!, 4);
  // the same stream again from a reset: the same numbers
  expect(await probabilities(1000)).toEqual(whole);
  // resetting on every call loses the context and changes them
  const amnesic = await probabilities(3, true);
  expect(amnesic.some((v, i) => Math.abs(v - whole[i]!) > 0.01)).toBe(true);
}, 60_000);

/** one call for all of `x`, and one call per 512-sample window, each from a fresh stream */
async function wholeAndWindowByWindow(x: Float32Array): Promise<[number[], number[]]> {
  const whole = engine.openSpeechStream(VENDORED_VAD_PATH);
  const batched = [...(await whole.probabilities(x.slice()))];
  whole.close();
  const single = engine.openSpeechStream(VENDORED_VAD_PATH);
  const one: number[] = [];
  for (let i = 0; i < x.length; i += 512) one.push(...(await single.probabilities(x.slice(i, i + 512))));
  single.close();
  return [batched, one];
}

// vad-batch.patch computes up to 128 windows per graph (the LSTM unrolled over them) and the rest
// with a smaller graph; a call of one window is whisper.cpp's own one-chunk graph. Per window the
// two must agree: a batch that mixed up its windows, the LSTM's order or the state it hands on
// would not. jfk.wav is 344 windows (2 x 128 + 88), the spoken audio 669 (5 x 128 + 29); both end
// in a partial, zero-padded window.
test("many windows per call give each window the probability it gets one window per call (within 1e-5)", async () => {
  const { samples: jfk } = await decodeAudio(join(import.meta.dir, "fixtures/jfk.wav"));
  for (const x of [jfk, spoken.samples]) {
    const [batched, one] = await wholeAndWindowByWindow(x);
    expect(batched).toHaveLength(Math.ceil(x.length / 512));
    expect(one).toHaveLength(batched.length);
    const worst = Math.max(...batched.map((p, i) => Math.abs(p - one[i]!)));
    expect(worst).toBeLessThanOrEqual(1e-5);
    // the probabilities are not all alike (a constant answer would agree too)
    expect(Math.max(...batched) - Math.min(...batched)).toBeGreaterThan(0.5);
  }
}, 120_000);
