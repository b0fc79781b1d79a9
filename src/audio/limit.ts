// The cap on decoded audio (--max-audio-duration, SONA_MAX_AUDIO_DURATION). Decoded audio costs
// 64 KB a second (16 kHz float32) whatever the input: an 8-bit 1 kHz WAV grows 64x, a compressed
// file far more. The WAV paths check the header before allocating; ffmpeg's output is counted as
// it arrives and ffmpeg is stopped at the limit, so no input makes a decode grow without bound.
import { SonaError } from "../errors.ts";
import { TARGET_RATE } from "./resample.ts";

/** 12 hours: longer than any meeting or lecture, and 2.8 GB of samples */
export const DEFAULT_MAX_AUDIO_SEC = 12 * 3600;

/** The most 16 kHz samples (per channel) a decode may produce. */
export function maxSamples(maxSec: number | undefined): number {
  return Math.floor((maxSec ?? DEFAULT_MAX_AUDIO_SEC) * TARGET_RATE);
}

/** 413 naming the limit; `seconds` is the audio's length when the header told it. */
export function audioTooLong(maxSec: number | undefined, seconds?: number): SonaError {
  const limit = formatLimit(maxSec ?? DEFAULT_MAX_AUDIO_SEC);
  const what = seconds === undefined ? "the audio is longer than" : `the audio is ${formatLimit(seconds)} long, over`;
  return new SonaError("audio_too_long", `${what} the limit of ${limit} (--max-audio-duration, SONA_MAX_AUDIO_DURATION)`, { param: "file" });
}

/** 43200 -> "12 h", 5400 -> "90 min", 11.04 -> "11.0 s" */
export function formatLimit(sec: number): string {
  if (sec >= 3600 && sec % 3600 === 0) return `${sec / 3600} h`;
  if (sec >= 60 && sec % 60 === 0) return `${sec / 60} min`;
  return Number.isInteger(sec) ? `${sec} s` : `${sec.toFixed(1)} s`;
}
