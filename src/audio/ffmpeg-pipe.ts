// ffmpeg reading a pipe: one run with `-i pipe:0`, fed the bytes already read and then the rest
// of the input. A pipe cannot be probed first and read again, so unlike decodeWithFfmpeg (a file)
// this takes ffmpeg's default audio track instead of mixing several, and learns the format, rate
// and channels from what ffmpeg prints about its input.
import { setting } from "../config.ts";
import { SonaError } from "../errors.ts";
import { aborted } from "./_errors.ts";
import { collect, ENHANCE_FILTER, ffmpegInfo, lastMeaningfulLine, parseProbe } from "./ffmpeg.ts";
import { maxSamples } from "./limit.ts";

export async function decodePipeWithFfmpeg(
  head: Uint8Array,
  rest: AsyncIterable<Uint8Array>,
  opts: { enhance?: boolean; signal?: AbortSignal; ffmpegPath?: string; maxSec?: number } = {},
) {
  const ffmpeg = opts.ffmpegPath ?? ffmpegInfo().path;
  if (!ffmpeg) {
    // the machine's fault, not the input's
    const set = setting("SONA_FFMPEG_PATH");
    throw new SonaError("internal_error", set
      ? `SONA_FFMPEG_PATH is set to ${set} but there is no file there`
      : "ffmpeg not found: install ffmpeg or set SONA_FFMPEG_PATH (needed for piped input that is not a PCM WAV)");
  }
  if (opts.signal?.aborted) throw aborted();
  const args = ["-hide_banner", "-nostats", "-loglevel", "info", "-i", "pipe:0", "-map", "0:a:0"];
  if (opts.enhance) args.push("-af", ENHANCE_FILTER);
  args.push("-rematrix_maxval", "1", "-ac", "1", "-ar", "16000", "-f", "f32le", "pipe:1");
  const input = new ReadableStream<Uint8Array>({
    async start(controller) {
      controller.enqueue(head);
      try {
        for await (const chunk of rest) controller.enqueue(chunk);
        controller.close();
      } catch (e) {
        controller.error(e);
      }
    },
  });
  const proc = Bun.spawn([ffmpeg, ...args], { stdin: input, stdout: "pipe", stderr: "pipe" });
  const kill = () => proc.kill();
  opts.signal?.addEventListener("abort", kill, { once: true });
  try {
    // counted as it arrives: ffmpeg is stopped at the limit (a pipe has no header to check first)
    const limit = { bytes: maxSamples(opts.maxSec) * 4, maxSec: opts.maxSec };
    const stdout = collect(proc.stdout, 1 << 20, limit).catch((e) => {
      proc.kill();
      throw e;
    });
    const [samples, stderr, exitCode] = await Promise.all([stdout, new Response(proc.stderr).text(), proc.exited]);
    if (opts.signal?.aborted) throw aborted();
    const probe = parseProbe(stderr);
    if (exitCode !== 0 || !probe) {
      const why = probe?.audioStreams === 0 ? "the input has no audio track" : lastMeaningfulLine(stderr, "pipe:0");
      throw new SonaError("invalid_audio", `ffmpeg could not decode the input: ${why}`);
    }
    if (samples.length === 0) throw new SonaError("invalid_audio", "audio input contains no samples");
    return { samples, sourceRate: probe.sampleRate, sourceChannels: probe.channels, format: probe.format, warnings: [] as string[] };
  } finally {
    opts.signal?.removeEventListener("abort", kill);
  }
}
