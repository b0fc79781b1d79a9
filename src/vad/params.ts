// The tunables of whisper.cpp's Silero VAD (whisper_vad_params), with whisper.cpp's defaults, and
// the speech spans they produce. Shared by the options schema, the engine and the formats.

export interface VadParams {
  /** probability above which a 32 ms chunk counts as speech */
  threshold: number;
  /** shorter speech is dropped */
  minSpeechMs: number;
  /** silence shorter than this does not end a span */
  minSilenceMs: number;
  /** a span longer than this is split (Infinity: never) */
  maxSpeechS: number;
  /** padding added before and after each span */
  speechPadMs: number;
  /** seconds of audio kept past each span's end when spans are joined for whisper_full */
  samplesOverlap: number;
}

/** whisper_vad_default_params() in whisper.cpp 1.9.1 (max_speech_duration_s is FLT_MAX there) */
export const DEFAULT_VAD_PARAMS: Readonly<VadParams> = {
  threshold: 0.5,
  minSpeechMs: 250,
  minSilenceMs: 100,
  maxSpeechS: Number.POSITIVE_INFINITY,
  speechPadMs: 30,
  samplesOverlap: 0.1,
};

/** A stretch of speech on the input's timeline, in seconds. */
export interface SpeechSpan {
  start: number;
  end: number;
}

/**
 * How a transcription uses the VAD:
 * - "inline": whisper.cpp's own VAD inside whisper_full: speech joined into one signal, decoded in
 *   one pass with context across spans, timestamps mapped back to the input's timeline.
 * - "spans": the original Sona's stable_timestamps: each span decoded on its own, its segments
 *   shifted by the span's start, so no timestamp can drift into a silence.
 */
export type VadMode = "inline" | "spans";
