// Anything -> Float32Array, 16 kHz mono. PCM/float WAVs (recognised by their bytes, never by the
// name) are decoded here in TypeScript; everything else, and everything with `enhance`, goes
// through ffmpeg. "-" is standard input; a pipe, FIFO or `<(…)` is read as a stream (./stream.ts).
// Errors are SonaError("invalid_audio") with one clear line, "audio_too_long" past the duration
// cap (./limit.ts), or "aborted".
import { open, type FileHandle } from "node:fs/promises";
import { isatty } from "node:tty";
import { SonaError } from "../errors.ts";
import { aborted } from "./_errors.ts";
import { decodeWithFfmpeg } from "./ffmpeg.ts";
import { decodeAudioStream } from "./stream.ts";
import { TARGET_RATE } from "./resample.ts";
import { decodeWavFile } from "./wav-file.ts";
import { isWavHeader } from "./wav.ts";

export { ENHANCE_FILTER, ffmpegInfo, setBundledFfmpeg, type FfmpegInfo, type FfmpegOrigin } from "./ffmpeg.ts";
export { DEFAULT_MAX_AUDIO_SEC } from "./limit.ts";
export { outputLength, Resampler, resampleTo16k, TARGET_RATE } from "./resample.ts";
export { parseWav, type ParsedWav } from "./wav.ts";

export interface DecodedAudio {
  /** 16 kHz mono */
  samples: Float32Array;
  /** the file's own rate and channel count (as ffmpeg reports them for non-WAV input; 0 if unknown) */
  sourceRate: number;
  sourceChannels: number;
  /** "wav" when decoded here, else ffmpeg's demuxer name ("mp3", "ogg", "mov,mp4,m4a,3gp,3g2,mj2", ...) */
  format: string;
  /** seconds of decoded audio: samples.length / 16000 (shorter than the file's with `enhance`) */
  durationSec: number;
  /** left and right at 16 kHz, when `stereo` was asked for */
  stereo?: [Float32Array, Float32Array];
  /** things the caller should pass on to the user (a truncated file), each one sentence */
  warnings: string[];
}

export interface DecodeOptions {
  /** ffmpeg silence removal before transcription (the original's enhance_audio); forces ffmpeg */
  enhance?: boolean;
  signal?: AbortSignal;
  /** use this ffmpeg instead of looking for one */
  ffmpegPath?: string;
  /** one audio stream of a multi-track file (default: all of them mixed); forces ffmpeg */
  track?: number;
  /** keep both channels of a stereo input as well (diarize); forces ffmpeg */
  stereo?: boolean;
  /** longest decoded audio in seconds (default 12 h, limit.ts); longer is audio_too_long, 413 */
  maxDurationSec?: number;
}

/** "-" reads standard input. */
export async function decodeAudio(path: string, opts: DecodeOptions = {}): Promise<DecodedAudio> {
  if (opts.signal?.aborted) throw aborted();
  const stream = async (input: Parameters<typeof decodeAudioStream>[0]) => {
    // a stream is read once, through ffmpeg's default track and its mono mix
    if (opts.track !== undefined) throw new SonaError("invalid_request", "invalid 'audio_track': it needs a file, not a pipe or standard input", { param: "audio_track" });
    if (opts.stereo) throw new SonaError("invalid_request", "invalid 'diarize': it needs a file, not a pipe or standard input", { param: "diarize" });
    return withDuration(await decodeAudioStream(input, { ...opts, maxSec: opts.maxDurationSec }));
  };
  if (path === "-") {
    if (process.stdin.isTTY) throw new SonaError("invalid_audio", "standard input is a terminal: pipe audio into sona (cat talk.mp3 | sona transcribe base.en -)");
    return stream(process.stdin);
  }
  let fh: FileHandle;
  try {
    fh = await open(path, "r");
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === "ENOENT" ? "no such file" : code === "EACCES" ? "permission denied" : (code ?? "unreadable");
    throw new SonaError("invalid_audio", `cannot open audio file ${path}: ${why}`, { cause: e });
  }
  try {
    const stat = await fh.stat();
    if (stat.isDirectory()) throw new SonaError("invalid_audio", `not a regular file: ${path} is a directory`);
    if (isatty(fh.fd)) throw new SonaError("invalid_audio", `${path} is a terminal: pipe audio into sona (cat talk.mp3 | sona transcribe base.en -)`);
    if (stat.isFIFO() || stat.isSocket() || stat.isCharacterDevice()) {
      return await stream(fh.createReadStream({ autoClose: false }));
    }
    if (!stat.isFile()) throw new SonaError("invalid_audio", `not a regular file or a pipe: ${path}`);
    if (stat.size === 0) throw new SonaError("invalid_audio", "audio file contains no samples");
    if (!opts.enhance && opts.track === undefined && !opts.stereo) {
      const head = new Uint8Array(12);
      const { bytesRead } = await fh.read(head, 0, 12, 0);
      if (isWavHeader(head.subarray(0, bytesRead))) {
        const wav = await decodeWavFile(fh, stat.size, opts.signal, opts.maxDurationSec);
        if (wav) return withDuration({ ...wav, format: "wav" });
      }
    }
  } finally {
    await fh.close();
  }
  const { samples, sampleRate, channels, format, stereo } = await decodeWithFfmpeg(path, { ...opts, maxSec: opts.maxDurationSec });
  return withDuration({ samples, sourceRate: sampleRate, sourceChannels: channels, format, warnings: [], stereo });
}

function withDuration(a: Omit<DecodedAudio, "durationSec">): DecodedAudio {
  return { ...a, durationSec: a.samples.length / TARGET_RATE };
}
