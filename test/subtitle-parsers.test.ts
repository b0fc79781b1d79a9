// VTT and SRT that real parsers accept (issue 16, item 11): the W3C WebVTT parser (webvtt-parser)
// and an SRT parser (subtitle) read Sona's output with no errors, every cue ends after it starts,
// cues are in order and inside the audio. The synthetic model's segments are the hard case: many
// end where they start.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseSync } from "subtitle";
// @ts-expect-error: webvtt-parser ships no types
import { WebVTTParser } from "webvtt-parser";
import type { Engine, ModelDetails, SpeechDetection, SpeechStream, TranscribeHooks, TranscriptResult } from "../src/engine/index.ts";
import type { Segment } from "../src/engine/types.ts";
import { formatResult } from "../src/format/index.ts";
import { parseOptions } from "../src/options.ts";
import { transcribeFile } from "../src/transcribe.ts";
import { syntheticSpeech, wavBytes } from "./helpers/audio.ts";

const root = join(import.meta.dir, "..");
const model = join(root, "models/synth-micro.en.bin");
let dir: string;
let wav: string;
const SECONDS = 30;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "sona-subtitles-"));
  wav = join(dir, "speech.wav");
  writeFileSync(wav, wavBytes(syntheticSpeech(SECONDS)));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Cue { start: number; end: number }

/** The W3C parser's cues in seconds; fails the test on any parse error. */
function vttCues(text: string): Cue[] {
  const tree = new WebVTTParser().parse(text, "metadata");
  expect(tree.errors.map((e: { message: string; line: number }) => `line ${e.line}: ${e.message}`)).toEqual([]);
  return tree.cues.map((c: { startTime: number; endTime: number }) => ({ start: c.startTime, end: c.endTime }));
}

function srtCues(text: string): Cue[] {
  return parseSync(text)
    .filter((n) => n.type === "cue")
    .map((n) => ({ start: (n.data as { start: number }).start / 1000, end: (n.data as { end: number }).end / 1000 }));
}

/** every cue ends after it starts and inside the audio; start times never decrease */
function expectPlayable(cues: Cue[], duration: number): void {
  let prevStart = 0;
  for (const c of cues) {
    expect(c.end).toBeGreaterThan(c.start);
    expect(c.start).toBeGreaterThanOrEqual(prevStart);
    expect(c.end).toBeLessThanOrEqual(duration + 1e-9);
    prevStart = c.start;
  }
}

let outputs: Record<string, string>;
function output(ext: string): string {
  if (!outputs) {
    // one transcription, three formats
    const base = join(dir, "out");
    const p = Bun.spawnSync([process.execPath, join(root, "src/main.ts"), "transcribe", model, wav, "--no-fallback", "-f", "srt,vtt,verbose_json", "-o", base], { env: { ...process.env, NO_COLOR: "1" }, stdout: "pipe", stderr: "pipe" });
    expect(p.exitCode).toBe(0);
    outputs = Object.fromEntries(["srt", "vtt", "json"].map((e) => [e, readFileSync(`${base}.${e}`, "utf8")]));
  }
  return outputs[ext]!;
}

describe("subtitles from the CLI", () => {
  test("vtt: the W3C parser reports no errors; cues are ordered, non-empty and inside the audio", () => {
    const cues = vttCues(output("vtt"));
    expect(cues.length).toBeGreaterThan(1);
    expectPlayable(cues, SECONDS);
  });

  test("srt: the subtitle parser reads every cue; cues are ordered, non-empty and inside the audio", () => {
    const text = output("srt");
    const cues = srtCues(text);
    expect(cues).toHaveLength(text.trimEnd().split("\n\n").length);
    expectPlayable(cues, SECONDS);
  });

  test("verbose_json segments follow the same rules", () => {
    const v = JSON.parse(output("json"));
    expectPlayable(v.segments.map((s: { start: number; end: number }) => ({ start: s.start, end: s.end })), v.duration);
  });
});

/** An engine whose segments are as bad as whisper's get: zero length, overlapping, past the end. */
class BadTimesEngine implements Engine {
  model: ModelDetails | null = { path: "bad", multilingual: false, loadMs: 0 };
  async load(): Promise<ModelDetails> { return this.model!; }
  async unload(): Promise<void> {}
  async close(): Promise<void> {}
  async detectSpeech(): Promise<SpeechDetection> { return { spans: [], vadMs: 0 }; }
  openSpeechStream(): SpeechStream { return { probabilities: async () => new Float32Array(0), close: () => {} }; }
  async transcribe(samples: Float32Array, _o: unknown, hooks: TranscribeHooks = {}): Promise<TranscriptResult> {
    const d = Math.round((samples.length / 16000) * 100);
    const raw: [number, number][] = [[0, 0], [0, 120], [100, 100], [90, 300], [d - 5, d + 200], [d + 300, d + 300]];
    const segments: Segment[] = raw.map(([t0, t1], id) => ({ id, t0, t1, text: ` s${id}`, tokens: [], noSpeechProb: 0, temperature: 0 }));
    for (const segment of segments) hooks.onEvent?.({ type: "segment", segment });
    return { task: "transcribe", language: "en", duration: samples.length / 16000, segments, temperature: 0, timings: { inferenceMs: 1 } };
  }
}

describe("the shared transcription path repairs times for every format and for streams", () => {
  test("results and segment events are repaired alike, and both parsers accept them", async () => {
    const streamed: Segment[] = [];
    const result = await transcribeFile(new BadTimesEngine(), wav, parseOptions({}), { onEvent: (e) => e.type === "segment" && streamed.push(e.segment) });
    expect(streamed).toEqual(result.segments);
    const vtt = vttCues(formatResult(result, "vtt").body);
    expect(vtt).toHaveLength(6);
    expectPlayable(vtt, SECONDS);
    const srt = srtCues(formatResult(result, "srt").body);
    expect(srt).toHaveLength(6);
    expectPlayable(srt, SECONDS);
  });
});
