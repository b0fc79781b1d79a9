// `verbose_json` in OpenAI's shape (TranscriptionVerbose), so the official SDKs' types hold.
// The original Sona's verbose_json was {text, segments:[{start,end,text}]}; every field it had is
// still here under the same name, so its clients keep working.
import { deflateSync } from "node:zlib";
import type { Segment, TranscriptResult } from "../engine/types.ts";
import { languageName } from "./languages.ts";
import { durationUsage, transcriptText } from "./text.ts";
import { roundMs, seconds } from "./time.ts";
import type { VerboseSegment, VerboseTranscript } from "./wire.ts";
import { isTextToken, transcriptWords } from "./words.ts";

export type { VerboseSegment, VerboseTranscript };

export interface VerboseOptions {
  /** top-level `words` (OpenAI's timestamp_granularities[]=word) */
  words?: boolean;
  /** `segments`, on unless false (OpenAI leaves them out when only word granularity is asked) */
  segments?: boolean;
  /** added as `warnings` when there are any */
  warnings?: string[];
}

// Whisper works on 30-s windows; OpenAI's `seek` is the window's offset in mel frames (10 ms),
// which equals our centiseconds. whisper.cpp does not report its real seek (it advances to the last
// timestamp, not always by 30 s), so the window that contains the segment's start stands in.
const WINDOW_CS = 3000;

/**
 * UTF-8 bytes over zlib-compressed bytes, openai-whisper's repetition check (> 2.4 means the
 * decoder looped). zlib with its header, like Python's zlib.compress, so the numbers compare.
 * openai-whisper measures the whole 30-s window's text; per segment is what we have. Bun's zlib
 * may pick other matches than CPython's (0.94 vs 0.98 on one test sentence), harmless at 2.4.
 */
export function compressionRatio(text: string): number {
  const bytes = new TextEncoder().encode(text);
  return bytes.length / deflateSync(bytes).length;
}

/** Mean log probability of the segment's text tokens; 0 when it has none. */
export function avgLogprob(segment: Segment): number {
  const text = segment.tokens.filter(isTextToken);
  return text.length ? text.reduce((sum, t) => sum + t.plog, 0) / text.length : 0;
}

export function verboseSegment(segment: Segment): VerboseSegment {
  return {
    id: segment.id,
    seek: Math.floor(segment.t0 / WINDOW_CS) * WINDOW_CS,
    start: seconds(segment.t0),
    end: seconds(segment.t1),
    // Raw, leading space kept: OpenAI's segments keep it too.
    text: segment.text,
    // Text tokens only, as whisper.cpp's server does; timestamp ids would mean nothing to clients.
    tokens: segment.tokens.filter(isTextToken).map((t) => t.id),
    // the temperature this segment was decoded at after fallback (sampling-per-call.patch)
    temperature: segment.temperature,
    avg_logprob: avgLogprob(segment),
    compression_ratio: compressionRatio(segment.text),
    no_speech_prob: segment.noSpeechProb,
    ...(segment.speaker !== undefined ? { speaker: segment.speaker } : {}),
  };
}

export function verboseTranscript(result: TranscriptResult, opts: VerboseOptions = {}): VerboseTranscript {
  const duration = roundMs(result.duration);
  // Keys in OpenAI's order: task, language, duration, text, segments, words, usage.
  return {
    task: result.task,
    // A translation's text is English, and OpenAI's translation verbose_json says so. An unknown
    // code (an engine that never resolved "auto") is passed through rather than dropped.
    language: result.task === "translate" ? "english" : (languageName(result.language) ?? result.language),
    duration,
    text: transcriptText(result.segments),
    ...(opts.segments !== false ? { segments: result.segments.map(verboseSegment) } : {}),
    ...(opts.words ? { words: transcriptWords(result.segments) } : {}),
    usage: durationUsage(result.duration),
    ...(opts.warnings?.length ? { warnings: opts.warnings } : {}),
  };
}

export function renderVerboseJson(result: TranscriptResult, opts: VerboseOptions = {}): string {
  return JSON.stringify(verboseTranscript(result, opts));
}
