import type { SpeechSpan } from "../vad/params.ts";

// What the engine produces. Times are whisper.cpp's centiseconds (10 ms units), kept as integers
// so formatters can print exact milliseconds; convert with `cs / 100` for seconds.

export interface Token {
  id: number;
  text: string;
  /** probability and log probability of the token */
  p: number;
  plog: number;
  /** token-level timestamps in centiseconds (meaningful with word timestamps on) */
  t0: number;
  t1: number;
  /** special tokens: timestamps, [_BEG_], [_EOT_], language tags, ... */
  special: boolean;
}

export interface Segment {
  id: number;
  /** start and end in centiseconds */
  t0: number;
  t1: number;
  /** raw whisper text: usually starts with a space */
  text: string;
  tokens: Token[];
  noSpeechProb: number;
  /** the sampling temperature the segment was decoded at, after any fallback */
  temperature: number;
  /** stereo channel (0 or 1) that carries the segment's energy, with diarize */
  speaker?: number;
}

export interface Timings {
  /** milliseconds; audio decoding is measured by the caller, the rest by the engine */
  decodeAudioMs?: number;
  detectLanguageMs?: number;
  inferenceMs: number;
  /** speech detection, with VAD on */
  vadMs?: number;
}

export interface TranscriptResult {
  task: "transcribe" | "translate";
  /** ISO-639-1 code, e.g. "en" */
  language: string;
  /** probability of the language when it was detected, else undefined */
  languageProbability?: number;
  /** seconds of audio */
  duration: number;
  segments: Segment[];
  /** the speech spans the VAD found (VAD on only) */
  speech?: SpeechSpan[];
  /** the temperature decoding started from */
  temperature: number;
  timings: Timings;
}

/** Events during a transcription, in order: progress/segment interleaved, then the result. */
export type EngineEvent =
  | { type: "progress"; progress: number }
  | { type: "segment"; segment: Segment };
