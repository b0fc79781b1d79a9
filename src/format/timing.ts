// Segment times every subtitle parser accepts. whisper.cpp can end a segment where it starts (a
// zero-length cue, which the W3C WebVTT parser rejects), start one before the last ended, or
// place the last one past the end of the audio. Repaired once, on the engine's segments, so every
// format and every stream shows the same times:
// - times are clamped to the audio's duration;
// - every segment lasts at least MIN_CUE_CS (audio that short aside);
// - a segment starts where the previous one ends, or later; only where that leaves no room before
//   the end of the audio does it overlap the previous one (the last MIN_CUE_CS of the audio);
//   start times never decrease, which is what WebVTT requires.
// Word (token) times are clamped to the same bounds.
import type { Segment, TranscriptResult } from "../engine/types.ts";

/** centiseconds: 0.1 s, short but visible */
export const MIN_CUE_CS = 10;

export interface TimeRepairer {
  /** the segment with repaired times (a copy; the input is not changed) */
  next(segment: Segment): Segment;
}

/** For segments that arrive one by one (streams); `durationSec` is the audio's length. */
export function createTimeRepairer(durationSec: number): TimeRepairer {
  // a hair of slack: 9.53 * 100 is 952.999..., and the audio's last centisecond must not be lost
  const end = Math.max(0, Math.floor(durationSec * 100 + 1e-6));
  let prevStart = 0;
  let prevEnd = 0;
  return {
    next(segment) {
      let t0 = Math.max(Math.min(segment.t0, end), prevEnd);
      if (t0 + MIN_CUE_CS > end) t0 = Math.max(prevStart, end - MIN_CUE_CS, 0); // no room left after the previous cue
      let t1 = Math.min(Math.max(segment.t1, t0 + MIN_CUE_CS), end);
      if (t1 <= t0) t1 = t0 + 1; // audio shorter than 10 ms
      prevStart = t0;
      prevEnd = Math.max(prevEnd, t1);
      if (t0 === segment.t0 && t1 === segment.t1 && segment.tokens.every((t) => t.t0 >= 0 && t.t1 <= end)) return segment;
      const clampTime = (t: number) => Math.min(Math.max(t, 0), Math.max(end, t1));
      const tokens = segment.tokens.map((t) => ({ ...t, t0: clampTime(t.t0), t1: clampTime(Math.max(t.t0, t.t1)) }));
      return { ...segment, t0, t1, tokens };
    },
  };
}

/** The whole result with repaired segment times. */
export function repairTimes(result: TranscriptResult): TranscriptResult {
  const repairer = createTimeRepairer(result.duration);
  return { ...result, segments: result.segments.map((s) => repairer.next(s)) };
}
