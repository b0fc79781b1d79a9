// Everything that is not a PCM WAV goes through ffmpeg, decoded to f32le 16 kHz mono on a pipe
// (no temp file). A first `ffmpeg -i` run reads the container's header: it counts the audio tracks
// (several are mixed, as the original Sona did since v0.6.7), gives the source rate and channels
// for the result, and the duration that sizes the output buffer up front.
import { statSync } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import { setting } from "../config.ts";
import { SonaError } from "../errors.ts";
import { aborted } from "./_errors.ts";
import { maxSamples } from "./limit.ts";
import { type OutputLimit, SampleBuffer } from "./sample-buffer.ts";

export type FfmpegOrigin = "SONA_FFMPEG_PATH" | "bundled" | "next to executable" | "PATH";
export interface FfmpegInfo { path: string | null; origin: FfmpegOrigin | null }

/** silenceremove pass of the original's enhance_audio: drops every silence over 0.7 s below -45 dB */
export const ENHANCE_FILTER = "silenceremove=stop_periods=-1:stop_duration=0.7:stop_threshold=-45dB";
const STDERR_KEEP = 64 * 1024;

let bundled: string | (() => string) | null = null;

/** Set by the compiled binary (src/bundle): a function that unpacks its embedded ffmpeg on first use. */
export function setBundledFfmpeg(path: string | (() => string) | null): void {
  bundled = path;
}

/** Which ffmpeg would be used, for `sona --version`; never throws. */
export function ffmpegInfo(): FfmpegInfo {
  try {
    return findFfmpeg() ?? { path: null, origin: null };
  } catch {
    // SONA_FFMPEG_PATH names nothing, or the bundled copy could not be unpacked
    return { path: null, origin: setting("SONA_FFMPEG_PATH") ? "SONA_FFMPEG_PATH" : "bundled" };
  }
}

function findFfmpeg(): { path: string; origin: FfmpegOrigin } | null {
  const env = setting("SONA_FFMPEG_PATH");
  if (env) {
    if (isFile(env)) return { path: env, origin: "SONA_FFMPEG_PATH" };
    throw new SonaError("internal_error", `SONA_FFMPEG_PATH is set to ${env} but there is no file there`);
  }
  const b = typeof bundled === "function" ? bundled() : bundled;
  if (b && isFile(b)) return { path: b, origin: "bundled" };
  const beside = join(dirname(process.execPath), process.platform === "win32" ? "ffmpeg.exe" : "ffmpeg");
  if (isFile(beside)) return { path: beside, origin: "next to executable" };
  const onPath = Bun.which("ffmpeg", { PATH: process.env.PATH ?? "" }); // the PATH of now, not of startup
  return onPath ? { path: onPath, origin: "PATH" } : null;
}

function isFile(p: string): boolean {
  try {
    return statSync(p).isFile();
  } catch {
    return false;
  }
}

export interface Probe {
  format: string;
  audioStreams: number;
  sampleRate: number;
  /** of the first audio stream */
  channels: number;
  trackChannels: number[];
  durationSec: number | null;
}

export interface FfmpegDecoded extends Probe {
  samples: Float32Array;
  /** left and right at 16 kHz, with `stereo` */
  stereo?: [Float32Array, Float32Array];
}

export interface FfmpegOptions {
  enhance?: boolean;
  signal?: AbortSignal;
  ffmpegPath?: string;
  /** decode only this audio stream (0-based) instead of mixing them all */
  track?: number;
  /** also keep the two channels (the input must have exactly two) */
  stereo?: boolean;
  /** stop ffmpeg once it has decoded this many seconds (default: limit.ts) */
  maxSec?: number;
}

export async function decodeWithFfmpeg(path: string, opts: FfmpegOptions = {}): Promise<FfmpegDecoded> {
  const ffmpeg = opts.ffmpegPath ?? findFfmpeg()?.path;
  if (!ffmpeg) {
    // a missing or broken ffmpeg is the machine's fault, not the input's: a 500, not a 400
    throw new SonaError("internal_error", "ffmpeg not found: install ffmpeg or set SONA_FFMPEG_PATH (needed for .mp3 and other non-WAV input)");
  }
  // `file:` so a name like "concat:a|b" or "https:..." is never read as a protocol; the whitelist
  // keeps a playlist-like input from making ffmpeg open anything but local files
  const input = ["-protocol_whitelist", "file", "-i", `file:${resolve(path)}`];
  const head = await run(ffmpeg, ["-hide_banner", "-nostdin", ...input], opts.signal, null);
  const probe = parseProbe(head.stderr);
  if (!probe) throw couldNotDecode(head.stderr, path);
  if (probe.audioStreams === 0) throw new SonaError("invalid_audio", "the file has no audio track");
  if (opts.track !== undefined && opts.track >= probe.audioStreams) {
    const has = probe.audioStreams === 1 ? "one audio stream (audio_track 0)" : `${probe.audioStreams} audio streams (audio_track 0..${probe.audioStreams - 1})`;
    throw new SonaError("invalid_request", `invalid 'audio_track': the file has ${has}`, { param: "audio_track" });
  }
  const channels = opts.track === undefined ? probe.channels : probe.trackChannels[opts.track]!;
  if (opts.stereo && channels !== 2) {
    throw new SonaError("invalid_request", `invalid 'diarize': it needs a two-channel (stereo) recording, and this audio has ${channels || "an unknown number of"} channel${channels === 1 ? "" : "s"}`, { param: "diarize" });
  }
  const args = ["-nostdin", "-hide_banner", "-loglevel", "error", ...input];
  if (probe.audioStreams === 1 || opts.track !== undefined) {
    args.push("-map", `0:a:${opts.track ?? 0}`, ...(opts.enhance ? ["-af", ENHANCE_FILTER] : []));
  } else {
    const inputs = Array.from({ length: probe.audioStreams }, (_, i) => `[0:a:${i}]`).join("");
    const mix = `amix=inputs=${probe.audioStreams}:duration=longest:normalize=0`;
    args.push("-filter_complex", `${inputs}${mix}${opts.enhance ? `,${ENHANCE_FILTER}` : ""}[mix]`, "-map", "[mix]");
  }
  // rematrix_maxval=1: channels are averaged, as in our WAV path and whisper-cli, instead of
  // ffmpeg's float default (stereo summed at -3 dB each: a louder, clip-prone mono)
  // flush_packets 0: ffmpeg otherwise flushes its output after every packet, a ~2 KB write() per
  // audio frame on a pipe (120k writes and wake-ups for an hour); with it the writes are 32 KB and
  // an hour of MP3 decodes ~20 % faster (bench row 5)
  const outChannels = opts.stereo ? 2 : 1;
  args.push("-rematrix_maxval", "1", "-ac", String(outChannels), "-ar", "16000", "-flush_packets", "0", "-f", "f32le", "-");
  // reserved from the header's duration up to the cap (unwritten, it costs nothing: sample-buffer.ts);
  // a duration that was too short costs a regrow
  const limit = { bytes: maxSamples(opts.maxSec) * 4 * outChannels, maxSec: opts.maxSec };
  const expected = ((probe.durationSec ?? 60) * 1.02 + 1) * 16000 * 4 * outChannels;
  const out = await run(ffmpeg, args, opts.signal, { reserve: expected, limit });
  if (out.exitCode !== 0) throw couldNotDecode(out.stderr, path);
  if (out.stdout.length === 0) throw new SonaError("invalid_audio", "audio file contains no samples");
  if (!opts.stereo) return { ...probe, samples: out.stdout };
  return { ...probe, ...splitStereo(out.stdout) };
}

/** Interleaved L R L R ... -> the two channels and their average (what whisper hears). */
export function splitStereo(interleaved: Float32Array): { samples: Float32Array; stereo: [Float32Array, Float32Array] } {
  const n = interleaved.length >> 1;
  const left = new Float32Array(n);
  const right = new Float32Array(n);
  const mono = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const l = interleaved[2 * i]!;
    const r = interleaved[2 * i + 1]!;
    left[i] = l;
    right[i] = r;
    mono[i] = (l + r) / 2;
  }
  return { samples: mono, stereo: [left, right] };
}

/** Reads what ffmpeg prints about input #0; null when it did not recognise the file. */
export function parseProbe(stderr: string): Probe | null {
  const input = /^Input #0, (.+?), from /m.exec(stderr);
  if (!input) return null;
  const audio = [...stderr.matchAll(/^\s*Stream #0:\d+.*?: Audio: (.*)$/gm)].map((m) => m[1]!);
  const first = audio[0] ?? "";
  const d = /Duration: (\d+):(\d\d):(\d\d(?:\.\d+)?)/.exec(stderr);
  return {
    format: input[1]!,
    audioStreams: audio.length,
    sampleRate: Number(/(\d+) Hz/.exec(first)?.[1] ?? 0),
    channels: channelCount(first),
    trackChannels: audio.map(channelCount),
    durationSec: d ? Number(d[1]) * 3600 + Number(d[2]) * 60 + Number(d[3]) : null,
  };
}

function channelCount(desc: string): number {
  // "mp3, 44100 Hz, stereo, fltp", "pcm_s16le, 8000 Hz, 3 channels, s16", "aac (LC), 48000 Hz, 5.1(side), fltp"
  const layout = /\d+ Hz, ([^,]+)/.exec(desc)?.[1] ?? "";
  const named: Record<string, number> = { mono: 1, stereo: 2, downmix: 2, quad: 4, hexagonal: 6, octagonal: 8 };
  const n = /^(\d+) channels/.exec(layout) ?? /^(\d+)\.(\d+)/.exec(layout);
  if (n) return Number(n[1]) + Number(n[2] ?? 0);
  return named[layout.replace(/\(.*\)$/, "")] ?? 0;
}

function couldNotDecode(stderr: string, path: string): SonaError {
  return new SonaError("invalid_audio", `ffmpeg could not decode the file: ${lastMeaningfulLine(stderr, path)}`);
}

/** The line that says why, cleaned so a message never carries raw bytes from the file. */
export function lastMeaningfulLine(stderr: string, path: string): string {
  const lines = stderr
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l && !/^At least one output file must be specified|^Conversion failed!?$/.test(l));
  let line = lines.at(-1) ?? "unknown error";
  for (const p of [`file:${resolve(path)}`, path, basename(path)]) if (line.startsWith(`${p}: `)) line = line.slice(p.length + 2);
  line = line.replace(/ @ 0x[0-9a-f]+\]/g, "]").replace(/[^\x20-\x7e]/g, "?");
  return line.length > 200 ? `${line.slice(0, 200)}...` : line;
}

async function run(
  exe: string,
  args: string[],
  signal: AbortSignal | undefined,
  output: { reserve: number; limit: OutputLimit } | null,
): Promise<{ exitCode: number; stdout: Float32Array; stderr: string }> {
  if (signal?.aborted) throw aborted();
  let proc: ReturnType<typeof spawn>;
  try {
    proc = spawn(exe, args, output !== null);
  } catch (e) {
    throw new SonaError("internal_error", `cannot run ffmpeg (${exe}): ${(e as NodeJS.ErrnoException).code ?? String(e)}`, { cause: e });
  }
  const kill = () => proc.kill();
  signal?.addEventListener("abort", kill, { once: true });
  try {
    const [stdout, stderr, exitCode] = await Promise.all([
      output === null ? new Float32Array(0) : collect(proc.stdout as ReadableStream<Uint8Array>, output.reserve, output.limit),
      tail(proc.stderr),
      proc.exited,
    ]);
    if (signal?.aborted) throw aborted();
    return { exitCode, stdout, stderr };
  } catch (e) {
    // over the limit (or out of memory): ffmpeg would go on writing into a pipe nobody reads
    proc.kill();
    await proc.exited;
    throw e;
  } finally {
    signal?.removeEventListener("abort", kill);
  }
}

function spawn(exe: string, args: string[], wantStdout: boolean) {
  return Bun.spawn([exe, ...args], { stdin: "ignore", stdout: wantStdout ? "pipe" : "ignore", stderr: "pipe" });
}

/** ffmpeg's f32le output; past `limit.bytes` it throws audio_too_long and the stream is no longer read. */
export async function collect(stream: AsyncIterable<Uint8Array>, reserve: number, limit: OutputLimit): Promise<Float32Array> {
  const out = new SampleBuffer(reserve, limit);
  for await (const chunk of stream) out.push(chunk);
  return out.result();
}

async function tail(stream: ReadableStream<Uint8Array>): Promise<string> {
  const decoder = new TextDecoder();
  let text = "";
  for await (const chunk of stream) {
    text += decoder.decode(chunk, { stream: true });
    if (text.length > 2 * STDERR_KEEP) text = text.slice(-STDERR_KEEP);
  }
  return text.slice(-STDERR_KEEP);
}
