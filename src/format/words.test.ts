import { expect, test } from "bun:test";
import { seg, special, tok } from "./_fixtures.ts";
import { isTextToken, segmentWords, transcriptWords } from "./words.ts";

// Tokens as whisper.cpp gives them for " I don't know, Dr. Smith-Jones!" with token timestamps on.
const tokens = [
  special("[_BEG_]", 50365),
  tok(" I", 0, 20),
  tok(" don", 20, 40),
  tok("'t", 40, 50),
  tok(" know", 50, 90),
  tok(",", 90, 92),
  tok(" Dr", 100, 120),
  tok(".", 120, 125),
  tok(" Smith", 130, 160),
  tok("-", 160, 165),
  tok("J", 165, 170),
  tok("ones", 170, 190),
  tok("!", 190, 200),
  special("[_TT_100]", 50465),
  special("<|endoftext|>", 50257),
];

test("a space opens a word; punctuation and word pieces join the previous one", () => {
  expect(segmentWords(seg(0, 0, 200, " I don't know, Dr. Smith-Jones!", tokens))).toEqual([
    { word: "I", start: 0, end: 0.2 },
    { word: "don't", start: 0.2, end: 0.5 },
    { word: "know,", start: 0.5, end: 0.92 },
    { word: "Dr.", start: 1, end: 1.25 },
    { word: "Smith-Jones!", start: 1.3, end: 2 },
  ]);
});

test("the first text token opens a word even without a leading space", () => {
  const s = seg(3, 500, 700, "Hello there", [special("[_BEG_]"), tok("Hello", 500, 600), tok(" there", 600, 700)]);
  expect(segmentWords(s).map((w) => w.word)).toEqual(["Hello", "there"]);
});

test("control tokens are skipped even when not marked special", () => {
  const unmarked = { ...tok("[_TT_42]"), special: false };
  expect(isTextToken(unmarked)).toBe(false);
  expect(isTextToken({ ...tok("<|en|>"), special: false })).toBe(false);
  expect(isTextToken(tok("[laughs]"))).toBe(true);
  expect(segmentWords(seg(0, 0, 100, " a", [unmarked, tok(" a", 0, 100)]))).toEqual([{ word: "a", start: 0, end: 1 }]);
});

test("missing token times fall back to the segment's bounds; times stay inside the segment", () => {
  const s = seg(0, 300, 500, " no times", [tok(" no"), tok(" times", 250, 900)]);
  expect(segmentWords(s)).toEqual([
    { word: "no", start: 3, end: 5 },
    { word: "times", start: 3, end: 5 },
  ]);
});

test("a lone space token makes no empty word", () => {
  const s = seg(0, 0, 100, " a ", [tok(" a", 0, 50), tok(" ", 50, 100)]);
  expect(segmentWords(s).map((w) => w.word)).toEqual(["a"]);
});

test("words of a transcript run across segments in order", () => {
  const a = seg(0, 0, 100, " one", [tok(" one", 0, 100)]);
  const b = seg(1, 100, 200, " two", [tok(" two", 100, 200)]);
  expect(transcriptWords([a, b]).map((w) => w.word)).toEqual(["one", "two"]);
  expect(transcriptWords([])).toEqual([]);
});
