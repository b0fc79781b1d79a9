// Rows 4 and 5: audio decoding. Row 4 sets Sona's own WAV path (decode + downmix + resample in
// TypeScript/WebAssembly) against ffmpeg doing the same conversion; row 5 records an hour of MP3
// through the bundled ffmpeg and checks, with strace, that no file is written on the way.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { BenchContext } from "../support/context.ts";
import { timedOk } from "../support/proc.ts";
import { figure, skipped, value, type RowResult } from "../support/report.ts";
import { fmt, interleave, pairRatios, summarize } from "../support/stats.ts";

interface ChildDecode {
  /** decodeAudio() inside the child */
  ms: number;
  /** the child process, spawn to exit (Bun start-up included) */
  wallMs: number;
  samples: number;
  maxRss: number;
  format: string;
}

function childCmd(ctx: BenchContext, file: string, ffmpeg?: string): string[] {
  return [process.execPath, join(ctx.root, "bench/children/decode.ts"), file, ...(ffmpeg ? [ffmpeg] : [])];
}

async function sonaDecode(ctx: BenchContext, file: string, ffmpeg?: string): Promise<ChildDecode> {
  const t = await timedOk(childCmd(ctx, file, ffmpeg), { stdout: true });
  const r = JSON.parse(t.stdout.trim().split("\n").at(-1)!) as Omit<ChildDecode, "wallMs" | "maxRss">;
  return { ...r, wallMs: t.ms, maxRss: t.maxRss };
}

async function ffmpegDecode(ffmpeg: string, file: string): Promise<number> {
  const t = await timedOk([ffmpeg, "-nostdin", "-v", "error", "-i", file, "-ac", "1", "-ar", "16000", "-f", "f32le", "-y", "/dev/null"]);
  return t.ms;
}

export async function wavDecodeRow(ctx: BenchContext): Promise<RowResult> {
  const file = ctx.fixtures.hour44;
  const hours = ctx.fixtures.hourSeconds / 3600;
  const system = Bun.which("ffmpeg");
  type R = ChildDecode | number;
  const contenders = [
    { name: "sona", run: () => sonaDecode(ctx, file) as Promise<R> },
    { name: "bundled", run: () => ffmpegDecode(ctx.ffmpegBundled, file) as Promise<R> },
    ...(system ? [{ name: "system", run: () => ffmpegDecode(system, file) as Promise<R> }] : []),
  ];
  await sonaDecode(ctx, file); // warm-up: the file into the page cache
  const res = await interleave<R>(ctx.runs, contenders, (n, i, r) => ctx.log(`  #${i + 1} ${n}: ${typeof r === "number" ? Math.round(r) : Math.round(r.ms)} ms`));
  const sona = res.sona as ChildDecode[];
  const bundled = res.bundled as number[];
  const ms = sona.map((r) => r.ms);
  const ratio = summarize(pairRatios(ms, bundled));
  const ratioWall = summarize(pairRatios(sona.map((r) => r.wallMs), bundled));
  const med = summarize(ms).median;
  const samplesMB = (sona[0]!.samples * 4) / 1e6;
  const figures = [
    figure("Sona decodeAudio() (in process)", summarize(ms), "ms"),
    figure("Sona, whole child process (Bun start-up included)", summarize(sona.map((r) => r.wallMs)), "ms"),
    figure("bundled ffmpeg → f32le 16 kHz mono (/dev/null)", summarize(bundled), "ms"),
    ...(system ? [figure("Debian ffmpeg, same command", summarize(res.system as number[]), "ms")] : []),
    figure("ratio Sona in-process / bundled ffmpeg (per run)", ratio, "", 3),
    figure("ratio Sona whole process / bundled ffmpeg (per run)", ratioWall, "", 3),
    figure("Sona peak RSS of the decoding process", summarize(sona.map((r) => r.maxRss / 1e6)), "MB"),
    value("output", `${sona[0]!.samples} samples (${fmt(samplesMB)} MB of f32)`),
  ];
  const pass = ratio.median < 1 && (hours < 1 || med < 3000);
  return {
    id: 4,
    title: `WAV decode + downmix + resample, ${hours === 1 ? "1 h" : `${ctx.fixtures.hourSeconds} s`} 44.1 kHz stereo s16 → 16 kHz mono f32`,
    goal: "faster than ffmpeg; under 3 s",
    result: `${fmt(med)} ms, ${fmt(ratio.median, 2)}× ffmpeg's time`,
    verdict: pass ? "pass" : "fail",
    figures,
    notes: [
      `The file (${fmt((ctx.fixtures.hourSeconds * 44100 * 4) / 1e6)} MB) is in the page cache for every run (one untimed run first). Each Sona run is a fresh \`bun bench/children/decode.ts\` process; the figure is decodeAudio() inside it, the time a server spends. ffmpeg: \`-i x.wav -ac 1 -ar 16000 -f f32le -y /dev/null\` (its default swresample filter).`,
      "Sona's resampler: polyphase Kaiser-windowed sinc, 152 taps at 44.1 kHz (flat to 7 kHz, ≥ 75 dB down from 8.4 kHz), WebAssembly SIMD kernel, file read in 4 MiB pieces.",
    ],
  };
}

export async function mp3Row(ctx: BenchContext): Promise<RowResult> {
  const title = `non-WAV input: ${ctx.fixtures.hourSeconds === 3600 ? "1 h" : `${ctx.fixtures.hourSeconds} s`} MP3 through the bundled ffmpeg`;
  const goal = "record it; no temp WAV is written";
  const mp3 = ctx.fixtures.hourMp3;
  if (!mp3) return skipped(5, title, goal, "no MP3 fixture (Debian's ffmpeg with libmp3lame is needed to make one)");
  await sonaDecode(ctx, mp3, ctx.ffmpegBundled); // warm-up
  const res = await interleave<ChildDecode | number>(
    ctx.runs,
    [
      { name: "sona", run: () => sonaDecode(ctx, mp3, ctx.ffmpegBundled) },
      { name: "ffmpeg", run: () => ffmpegDecode(ctx.ffmpegBundled, mp3) },
    ],
    (n, i, r) => ctx.log(`  #${i + 1} ${n}: ${typeof r === "number" ? Math.round(r) : Math.round(r.ms)} ms`),
  );
  const sona = res.sona as ChildDecode[];
  const ff = res.ffmpeg as number[];
  const written = filesWritten(ctx, mp3);
  const noFile = written !== null && written.length === 0;
  const figures = [
    figure("Sona decodeAudio(mp3) in process (probe + ffmpeg → pipe)", summarize(sona.map((r) => r.ms)), "ms"),
    figure("bundled ffmpeg alone → /dev/null (the floor)", summarize(ff), "ms"),
    figure("ratio Sona / ffmpeg alone (per run)", summarize(pairRatios(sona.map((r) => r.ms), ff)), "", 3),
    figure("Sona peak RSS of the decoding process (ffmpeg's own not included)", summarize(sona.map((r) => r.maxRss / 1e6)), "MB"),
    value("output", `${sona[0]!.samples} samples, format ${sona[0]!.format}`),
    value("files opened for writing (strace -f, Sona + ffmpeg)", written === null ? "not checked (strace missing)" : written.length ? written.join(", ") : "none"),
  ];
  return {
    id: 5,
    title,
    goal,
    result: `${fmt(summarize(sona.map((r) => r.ms)).median)} ms; ${written === null ? "temp files not checked" : noFile ? "no file written" : `${written.length} file(s) written`}`,
    verdict: written === null ? "recorded" : noFile ? "pass" : "fail",
    figures,
    notes: [
      "The MP3 is 44.1 kHz stereo 128 kb/s (Debian ffmpeg + libmp3lame). Sona runs `ffmpeg -i` once to read the header, then decodes to f32le 16 kHz mono on a pipe into one pre-sized buffer.",
    ],
  };
}

/** Paths Sona or its ffmpeg opened for writing while decoding `file`; null without strace. */
function filesWritten(ctx: BenchContext, file: string): string[] | null {
  const strace = Bun.which("strace");
  if (!strace) return null;
  const log = join(ctx.fixtures.dir, "strace.log");
  const r = Bun.spawnSync([strace, "-f", "-qq", "-e", "trace=open,openat,creat,rename,renameat,renameat2", "-o", log, ...childCmd(ctx, file, ctx.ffmpegBundled)], { stdout: "ignore", stderr: "pipe" });
  if (r.exitCode !== 0) return null;
  const out = new Set<string>();
  for (const line of readFileSync(log, "utf8").split("\n")) {
    if (!/O_WRONLY|O_RDWR|O_CREAT|creat\(|rename/.test(line) || /= -1 /.test(line)) continue;
    const path = /"([^"]+)"/.exec(line)?.[1];
    if (path && !/^\/(dev|proc|sys)\//.test(path)) out.add(path);
  }
  return [...out];
}
