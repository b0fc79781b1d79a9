// Builders for the format tests: engine results written the way whisper.cpp fills them.
import type { Segment, Token, TranscriptResult } from "../engine/types.ts";

let nextId = 1000;

/** A text token; times in centiseconds. */
export function tok(text: string, t0 = -1, t1 = -1, plog = -0.1): Token {
  return { id: nextId++, text, p: Math.exp(plog), plog, t0, t1, special: false };
}

/** A special token (timestamp, [_BEG_], ...): never part of the text. */
export function special(text: string, id = 50364): Token {
  return { id, text, p: 1, plog: 0, t0: -1, t1: -1, special: true };
}

export function seg(id: number, t0: number, t1: number, text: string, tokens: Token[] = [], noSpeechProb = 0.01): Segment {
  return { id, t0, t1, text, tokens, noSpeechProb, temperature: 0 };
}

export function result(segments: Segment[], over: Partial<TranscriptResult> = {}): TranscriptResult {
  return {
    task: "transcribe",
    language: "en",
    duration: 5.1,
    segments,
    temperature: 0,
    timings: { inferenceMs: 0 },
    ...over,
  };
}

/** The original Sona's unit-test transcript: two segments, " Hello world" and " How are you". */
export const HELLO = result([seg(0, 0, 250, " Hello world"), seg(1, 250, 510, " How are you")]);
