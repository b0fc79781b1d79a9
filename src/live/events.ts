// What a live session says, in order. Times are seconds on the stream's timeline (0 = the first
// sample the session received). Each utterance has an id; its events come in this order:
// speech_started, partial*, speech_stopped, committed, then utterance or failed. With manual
// commits (no turn detection) there is no speech_started/stopped.
import type { SonaError } from "../errors.ts";

export type LiveEvent =
  | { type: "speech_started"; id: number; start: number }
  | { type: "speech_stopped"; id: number; end: number }
  /** the open utterance re-decoded so far (text may still change) */
  | { type: "partial"; id: number; start: number; end: number; text: string }
  /** the utterance's audio is closed and is being decoded */
  | { type: "committed"; id: number; start: number; end: number }
  /** the final text; `seconds` is the audio decoded (pre-roll and trailing silence included) */
  | { type: "utterance"; id: number; start: number; end: number; text: string; seconds: number }
  | { type: "failed"; id: number; start: number; end: number; error: SonaError }
  /** the open utterance was dropped (clear) */
  | { type: "cleared" }
  /** bad input the session survives (an empty commit, audio arriving faster than it can be processed) */
  | { type: "error"; error: SonaError };

export type PartialMode = "fixed" | "auto" | "off";

/** The original's cadence: 700 ms by default, 300 ms to 10 s; auto is 3x the last decode time. */
export const PARTIAL_INTERVAL = { defaultMs: 700, minMs: 300, maxMs: 10_000 } as const;
