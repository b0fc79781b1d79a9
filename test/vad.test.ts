// Speech detection with the real Silero model (the embedded silero-v6.2.0) on real speech: espeak-ng
// sentences with silences at known places, and jfk.wav against whisper-cli's own VAD. The whisper
// model is synthetic (its words are meaningless), so transcription tests look at where segments
// fall, never at their text.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { decodeAudio } from "../src/audio/index.ts";
import { type DecodeOptions, type Segment, WhisperEngine } from "../src/engine/index.ts";
import { parseOptions } from "../src/options.ts";
import { VENDORED_VAD_PATH } from "../src/vad/model.ts";
import { wavBytes } from "./helpers/audio.ts";
import { DEFAULT_VAD_PARAMS, type SpeechSpan, type VadParams } from "../src/vad/params.ts";
import { MICRO_EN } from "./helpers/server.ts";
import { spokenWithGaps, THREE_UTTERANCES, type SpokenAudio } from "./helpers/speech.ts";

const root = join(import.meta.dir, "..");
const JFK = join(root, "test/fixtures/jfk.wav");
const TOLERANCE = 0.25;

const engine = new WhisperEngine();
let dir: string;
let spoken: SpokenAudio;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "sona-vad-"));
  spoken = await spokenWithGaps(THREE_UTTERANCES.texts, THREE_UTTERANCES.gaps);
  await engine.load(MICRO_EN);
}, 60_000);
afterAll(async () => {
  await engine.close();
  rmSync(dir, { recursive: true, force: true });
});

const detect = async (samples: Float32Array, params: Partial<VadParams> = {}) =>
  (await engine.detectSpeech(samples.slice(), { modelPath: VENDORED_VAD_PATH, params: { ...DEFAULT_VAD_PARAMS, ...params } })).spans;

/** greedy and no fallback (random weights would re-decode every window), with the given fields */
function options(fields: Record<string, string>): DecodeOptions {
  const o = parseOptions({ no_fallback: "true", ...fields });
  return { ...o, vad: o.vad && { mode: o.vad.mode, modelPath: VENDORED_VAD_PATH, params: o.vad.params } };
}

const transcribe = (samples: Float32Array, fields: Record<string, string>) => engine.transcribe(samples.slice(), options(fields));
const overlap = (a: SpeechSpan, b: SpeechSpan) => Math.min(a.end, b.end) - Math.max(a.start, b.start);
const asSpan = (s: Segment): SpeechSpan => ({ start: s.t0 / 100, end: s.t1 / 100 });

describe("the VAD pass", () => {
  test("finds each utterance within 0.25 s and nothing in the silences", async () => {
    const spans = await detect(spoken.samples);
    for (const u of spoken.utterances) {
      const inside = spans.filter((s) => overlap(s, u) > 0);
      expect(inside.length).toBeGreaterThan(0);
      expect(Math.abs(inside[0]!.start - u.start)).toBeLessThanOrEqual(TOLERANCE);
      expect(Math.abs(inside.at(-1)!.end - u.end)).toBeLessThanOrEqual(TOLERANCE);
    }
    for (const s of spans) expect(spoken.utterances.some((u) => overlap(s, u) > 0)).toBe(true);
  });

  test("the tunables reach whisper.cpp: a long minimum speech duration drops every utterance, padding widens spans", async () => {
    const shortest = Math.min(...spoken.utterances.map((u) => u.end - u.start));
    expect(await detect(spoken.samples, { minSpeechMs: Math.ceil((shortest + 1) * 1000) })).toEqual([]);
    const [plain, padded] = [await detect(spoken.samples), await detect(spoken.samples, { speechPadMs: 600 })];
    expect(padded[0]!.start).toBeCloseTo(plain[0]!.start - 0.57, 1);
  });

  test("pure silence and empty audio have no speech", async () => {
    expect(await detect(new Float32Array(16000 * 5))).toEqual([]);
    expect(await detect(new Float32Array(0))).toEqual([]);
  });

  test("jfk.wav: the same spans as whisper-cli --vad with the same model and parameters", async () => {
    const { samples } = await decodeAudio(JFK);
    const cli = whisperCliVadSpans(JFK, DEFAULT_VAD_PARAMS);
    expect(cli.length).toBeGreaterThanOrEqual(4);
    const ours = (await detect(samples)).map((s) => ({ start: round2(s.start), end: round2(s.end) }));
    expect(ours).toEqual(cli);
    // the comparison can fail: other parameters on one side give other spans
    const other = (await detect(samples, { threshold: 0.8, minSilenceMs: 600 })).map((s) => ({ start: round2(s.start), end: round2(s.end) }));
    expect(other).not.toEqual(cli);
  }, 120_000);
});

describe("the one-thread and batched VAD patches change no result", () => {
  test("whisper-cli from the unpatched source (ggml's thread pool, one chunk per graph) finds the same spans on jfk.wav's first 5 s", async () => {
    // unpatched, a 32 ms chunk costs ~240 ms on 2 cores: 5 s of audio is about 40 s of work (more on a busy machine).
    // 5 s (cut in a pause) is 157 chunks: one whole batch of vad-batch.patch's 128 and a smaller graph for the other 29.
    const { samples } = await decodeAudio(JFK);
    const short = join(dir, "jfk-5s.wav");
    await Bun.write(short, wavBytes(samples.subarray(0, 80000)));
    const reference = whisperCliVadSpans(short, DEFAULT_VAD_PARAMS, "whisper-cli-reference");
    expect(reference.length).toBeGreaterThan(0);
    expect(whisperCliVadSpans(short, DEFAULT_VAD_PARAMS)).toEqual(reference);
    const ours = (await detect(samples.subarray(0, 80000))).map((s) => ({ start: round2(s.start), end: round2(s.end) }));
    expect(ours).toEqual(reference);
  }, 300_000);
});

describe("transcription with VAD (synthetic model: positions only, the words mean nothing)", () => {
  test("without VAD the model writes text over the silences; stable_timestamps keeps every segment inside a speech span", async () => {
    const silences = spoken.silences.filter((s) => s.end - s.start >= 2);
    const plain = await transcribe(spoken.samples, {});
    expect(plain.segments.some((seg) => silences.some((g) => overlap(asSpan(seg), g) > 1))).toBe(true);

    const spans = await detect(spoken.samples);
    const stable = await transcribe(spoken.samples, { stable_timestamps: "true" });
    expect(stable.speech).toEqual(spans);
    expect(stable.segments.length).toBeGreaterThan(0);
    for (const seg of stable.segments) {
      expect(spans.some((s) => seg.t0 >= Math.round(s.start * 100) && seg.t1 <= Math.round(s.end * 100))).toBe(true);
    }
    // ids run on across spans, and times never go backwards
    expect(stable.segments.map((s) => s.id)).toEqual(stable.segments.map((_, i) => i));
    for (let i = 1; i < stable.segments.length; i++) expect(stable.segments[i]!.t0).toBeGreaterThanOrEqual(stable.segments[i - 1]!.t0);
  }, 120_000);

  test("vad (inside whisper_full): no segment lies inside a silence, times on the input's timeline", async () => {
    const r = await transcribe(spoken.samples, { vad: "true" });
    expect(r.segments.length).toBeGreaterThan(0);
    for (const seg of r.segments) {
      for (const g of spoken.silences) {
        const core = { start: g.start + TOLERANCE, end: g.end - TOLERANCE };
        if (core.end > core.start) expect(asSpan(seg).start >= core.start && asSpan(seg).end <= core.end).toBe(false);
      }
    }
    expect(Math.max(...r.segments.map((s) => s.t1)) / 100).toBeGreaterThan(spoken.utterances.at(-1)!.start);
  }, 120_000);

  test("vad with word timestamps: token times on the input's timeline, and the next plain request is not shifted", async () => {
    const samples = spoken.samples;
    const before = await transcribe(samples, {});
    const r = await transcribe(samples, { vad: "true", word_timestamps: "true" });
    expect(r.segments.length).toBeGreaterThan(0);
    for (const seg of r.segments) {
      const text = seg.tokens.filter((t) => !t.special);
      for (const t of text) {
        expect(t.t0).toBeGreaterThanOrEqual(seg.t0 - 1);
        expect(t.t1).toBeLessThanOrEqual(seg.t1 + 1);
      }
      // unmapped, the last word would end on the shortened (speech-only) timeline, seconds early
      expect(Math.abs(text.at(-1)!.t1 - seg.t1)).toBeLessThanOrEqual(50);
    }
    const after = await transcribe(samples, {});
    expect(after.segments.map((s) => [s.t0, s.t1])).toEqual(before.segments.map((s) => [s.t0, s.t1]));
  }, 180_000);

  test("pure silence: empty text and no segments in both modes, and progress reaches 100", async () => {
    const silence = new Float32Array(16000 * 8);
    for (const mode of ["vad", "stable_timestamps"]) {
      const progress: number[] = [];
      const r = await engine.transcribe(silence.slice(), options({ [mode]: "true" }), { onEvent: (e) => e.type === "progress" && progress.push(e.progress) });
      expect(r.segments).toEqual([]);
      if (mode === "stable_timestamps") expect(progress.at(-1)).toBe(100);
    }
  }, 60_000);

  test("stable_timestamps: progress rises per span to 100", async () => {
    const progress: number[] = [];
    await engine.transcribe(spoken.samples.slice(), options({ stable_timestamps: "true" }), { onEvent: (e) => e.type === "progress" && progress.push(e.progress) });
    expect(progress.at(-1)).toBe(100);
    for (let i = 1; i < progress.length; i++) expect(progress[i]!).toBeGreaterThanOrEqual(progress[i - 1]! - 1e-9);
  }, 120_000);

  test("an aborted stable_timestamps run stops between spans", async () => {
    const controller = new AbortController();
    let segments = 0;
    const run = engine.transcribe(spoken.samples.slice(), options({ stable_timestamps: "true" }), {
      signal: controller.signal,
      onEvent: (e) => {
        if (e.type === "segment" && ++segments === 1) controller.abort();
      },
    });
    const outcome = await run.then(() => "done", (e: { code?: string }) => e.code);
    expect(outcome).toBe("aborted");
    // the engine is fine afterwards
    expect((await detect(spoken.samples)).length).toBeGreaterThan(0);
  }, 120_000);
});

describe("sampling (synthetic model)", () => {
  // logprob_thold 0 fails every decode of random weights, so whisper.cpp falls back from 0.8 to 1.0
  const fallback = { temperature: "0.8", no_fallback: "false", logprob_thold: "0", best_of: "2" };

  test("the same request samples the same way every time, and segments report the temperature used", async () => {
    const samples = spoken.samples.subarray(0, 16000 * 6);
    const a = await transcribe(samples, fallback);
    const b = await transcribe(samples, fallback);
    expect(a.segments.length).toBeGreaterThan(0);
    expect(b.segments.map((s) => [s.text, s.t0, s.t1])).toEqual(a.segments.map((s) => [s.text, s.t0, s.t1]));
    expect(a.segments.every((s) => s.temperature === 1)).toBe(true);
    expect((await transcribe(samples, {})).segments.every((s) => s.temperature === 0)).toBe(true);
  }, 120_000);

  test("whisper-cli from the unpatched source samples differently the second time; the patched one does not", async () => {
    const wav = join(dir, "six.wav");
    await Bun.write(wav, wavBytes(spoken.samples.subarray(0, 16000 * 6)));
    const twice = (cli: string) => {
      const args = [join(root, "lib", cli), "-m", MICRO_EN, "-f", wav, "-f", wav, "-t", "2", "-tp", "0.8", "-lpt", "0", "-bo", "2", "-np"];
      const run = Bun.spawnSync(args, { stderr: "ignore" });
      expect(run.exitCode).toBe(0);
      const [first, second] = run.stdout.toString().trim().split(/\n\s*\n/);
      return { first, second };
    };
    const reference = twice("whisper-cli-reference");
    expect(reference.second).not.toBe(reference.first);
    const patched = twice("whisper-cli");
    expect(patched.second).toBe(patched.first);
  }, 120_000);
});

const round2 = (x: number) => Math.round(x * 100) / 100;

/** whisper-cli --vad logs each span it keeps ("Including segment i: a - b"), ends plus the overlap but the last. */
function whisperCliVadSpans(wav: string, p: VadParams, cli = "whisper-cli"): SpeechSpan[] {
  const args = [
    join(root, "lib", cli), "-m", MICRO_EN, "-f", wav, "-t", "1", "-nf", "-bs", "1", "-bo", "1", "--vad", "-vm", VENDORED_VAD_PATH,
    "-vt", String(p.threshold), "-vspd", String(p.minSpeechMs), "-vsd", String(p.minSilenceMs), "-vp", String(p.speechPadMs), "-vo", String(p.samplesOverlap),
  ];
  const run = Bun.spawnSync(args, { stdout: "ignore", stderr: "pipe" });
  const log = run.stderr.toString();
  expect(run.exitCode).toBe(0);
  const spans = [...log.matchAll(/Including segment (\d+): ([\d.]+) - ([\d.]+)/g)].map((m) => ({ start: Number(m[2]), end: Number(m[3]) }));
  return spans.map((s, i) => ({ start: s.start, end: i < spans.length - 1 ? round2(s.end - p.samplesOverlap) : s.end }));
}
