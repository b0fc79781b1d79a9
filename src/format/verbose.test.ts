import { describe, expect, test } from "bun:test";
import { result, seg, special, tok } from "./_fixtures.ts";
import { formatResult } from "./index.ts";
import { avgLogprob, compressionRatio, verboseTranscript } from "./verbose.ts";

// " Hello, world." at 0.00–2.50 s in the first 30-s window, then a segment in the third window.
const hello = seg(0, 0, 250, " Hello, world.", [
  special("[_BEG_]", 50365),
  special("[_TT_0]", 50366),
  tok(" Hello", 0, 80, -0.2),
  tok(",", 80, 90, -0.4),
  tok(" world", 100, 230, -0.1),
  tok(".", 230, 250, -0.5),
  special("[_TT_125]", 50491),
]);
const later = { ...seg(1, 6150, 6420, " Bye.", [tok(" Bye", 6150, 6400, -0.3), tok(".", 6400, 6420, -0.1)], 0.2), temperature: 0.4 };
const R = result([hello, later], { duration: 64.2000001, temperature: 0.2, language: "en" });

describe("verbose_json", () => {
  test("top level in OpenAI's shape and key order", () => {
    const v = JSON.parse(formatResult(R, "verbose_json", { words: true }).body);
    expect(Object.keys(v)).toEqual(["task", "language", "duration", "text", "segments", "words", "usage"]);
    expect(v.task).toBe("transcribe");
    expect(v.language).toBe("english");
    expect(v.duration).toBe(64.2);
    expect(v.text).toBe("Hello, world. Bye.");
    expect(v.usage).toEqual({ type: "duration", seconds: 65 });
    expect(formatResult(R, "verbose_json", {}).contentType).toBe("application/json");
  });

  test("every segment has OpenAI's ten fields with their types", () => {
    const [s0, s1] = verboseTranscript(R).segments ?? [];
    expect(Object.keys(s0 ?? {}).sort()).toEqual(
      ["avg_logprob", "compression_ratio", "end", "id", "no_speech_prob", "seek", "start", "temperature", "text", "tokens"],
    );
    for (const s of [s0, s1]) {
      for (const k of ["id", "seek"] as const) expect(Number.isInteger(s?.[k])).toBe(true);
      for (const k of ["start", "end", "temperature", "avg_logprob", "compression_ratio", "no_speech_prob"] as const) {
        expect(typeof s?.[k]).toBe("number");
      }
      expect(typeof s?.text).toBe("string");
      expect(s?.tokens.every(Number.isInteger)).toBe(true);
    }
    // each segment's own temperature (after fallback), not the one decoding started from
    expect(s0).toMatchObject({ id: 0, seek: 0, start: 0, end: 2.5, text: " Hello, world.", temperature: 0, no_speech_prob: 0.01 });
    expect(s1).toMatchObject({ id: 1, temperature: 0.4 });
    // Only the four text tokens; [_BEG_] and timestamps are left out.
    expect(s0?.tokens).toEqual(hello.tokens.filter((t) => !t.special).map((t) => t.id));
    expect(s0?.avg_logprob).toBeCloseTo(-0.3, 10);
    // 61.5 s lies in the window that starts at 60 s = 6000 frames.
    expect(s1).toMatchObject({ id: 1, seek: 6000, start: 61.5, end: 64.2, no_speech_prob: 0.2 });
  });

  test("words are top-level and only when asked; segments can be left out", () => {
    expect(verboseTranscript(R).words).toBeUndefined();
    const v = verboseTranscript(R, { words: true, segments: false });
    expect(v.segments).toBeUndefined();
    expect(v.words).toEqual([
      { word: "Hello,", start: 0, end: 0.9 },
      { word: "world.", start: 1, end: 2.5 },
      { word: "Bye.", start: 61.5, end: 64.2 },
    ]);
  });

  test("an unresolved language passes through; names are accepted", () => {
    expect(verboseTranscript(result([], { language: "auto" })).language).toBe("auto");
    expect(verboseTranscript(result([], { language: "yue" })).language).toBe("cantonese");
  });

  test("no segments", () => {
    expect(verboseTranscript(result([], { duration: 0 }))).toEqual({
      task: "transcribe", language: "english", duration: 0, text: "", segments: [], usage: { type: "duration", seconds: 0 },
    });
  });
});

describe("segment statistics", () => {
  test("compression ratio flags repetition above OpenAI's 2.4 threshold", () => {
    const looped = " Thank you. Thank you. Thank you. Thank you. Thank you. Thank you. Thank you. Thank you.";
    const normal = " The quick brown fox jumps over the lazy dog near the riverbank.";
    expect(compressionRatio(looped)).toBeGreaterThan(2.4);
    expect(compressionRatio(normal)).toBeLessThan(1.5);
    expect(compressionRatio("")).toBe(0);
  });

  test("avg_logprob of a segment without text tokens is 0", () => {
    expect(avgLogprob(seg(0, 0, 1, "", [special("[_BEG_]")]))).toBe(0);
  });
});
