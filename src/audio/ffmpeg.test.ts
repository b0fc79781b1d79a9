import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { rejects, toneLevel } from "./_testing.ts";
import { decodeWithFfmpeg, ffmpegInfo, lastMeaningfulLine, parseProbe, setBundledFfmpeg } from "./ffmpeg.ts";

const hasFfmpeg = Bun.which("ffmpeg") !== null;
let dir = "";
const env = { ...process.env };

function ffmpeg(...args: string[]): void {
  const r = Bun.spawnSync(["ffmpeg", "-v", "error", "-nostdin", "-y", ...args]);
  if (r.exitCode !== 0) throw new Error(`ffmpeg ${args.join(" ")}: ${r.stderr.toString()}`);
}
const src = (expr: string, rate: number, seconds: number) => ["-f", "lavfi", "-i", `aevalsrc=${expr}:s=${rate}:d=${seconds}`];
const sine = (f: number, amp = 0.5) => `${amp}*sin(2*PI*${f}*t)`;


beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "sona-ffmpeg-test-"));
  if (!hasFfmpeg) return;
  const stereo = [...src(`${sine(1000)}|${sine(1000)}`, 44100, 2)];
  ffmpeg(...stereo, join(dir, "a.mp3"));
  ffmpeg(...stereo, join(dir, "a.flac"));
  ffmpeg(...stereo, "-c:a", "libvorbis", join(dir, "a.ogg"));
  ffmpeg(...src(sine(1000, 0.25), 44100, 1), ...src(sine(3000, 0.25), 48000, 1.5), "-map", "0", "-map", "1", "-c:a", "flac", join(dir, "two.mka"));
  ffmpeg(...src(`${sine(1000)}*(lt(t\\,1)+gt(t\\,3))`, 16000, 4), join(dir, "gap.flac"));
  ffmpeg(...src(`${sine(1000)}|${sine(3000)}`, 16000, 1), join(dir, "lr.flac"));
  ffmpeg("-f", "lavfi", "-i", "color=c=black:s=32x32:d=1", "-c:v", "mpeg4", join(dir, "silent-video.mp4"));
  writeFileSync(join(dir, "text.mp3"), "hello, this is not audio at all\n".repeat(50));
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));
afterEach(() => {
  process.env.SONA_FFMPEG_PATH = env.SONA_FFMPEG_PATH;
  if (env.SONA_FFMPEG_PATH === undefined) delete process.env.SONA_FFMPEG_PATH;
  process.env.PATH = env.PATH;
  setBundledFfmpeg(null);
});

describe.skipIf(!hasFfmpeg)("decodeWithFfmpeg", () => {
  for (const [file, format] of [["a.mp3", "mp3"], ["a.flac", "flac"], ["a.ogg", "ogg"]]) {
    test(`${file}: 16 kHz mono with the right length and level`, async () => {
      const r = await decodeWithFfmpeg(join(dir, file!));
      expect(r.format).toBe(format!);
      expect([r.sampleRate, r.channels, r.audioStreams]).toEqual([44100, 2, 1]);
      expect(Math.abs(r.samples.length - 32000)).toBeLessThan(32000 * 0.01);
      const level = toneLevel(r.samples, 1000, 16000);
      expect(Math.abs(20 * Math.log10(level / 0.5))).toBeLessThan(0.5);
    });
  }

  test("several audio tracks are mixed, for the longest one's duration", async () => {
    const r = await decodeWithFfmpeg(join(dir, "two.mka"));
    expect(r.audioStreams).toBe(2);
    expect(Math.abs(r.samples.length - 24000)).toBeLessThan(100);
    const head = r.samples.subarray(0, 16000);
    expect(toneLevel(head, 1000, 16000)).toBeCloseTo(0.25, 1);
    expect(toneLevel(head, 3000, 16000)).toBeCloseTo(0.25, 1);
  });

  test("audio_track picks one track of the two; one past the last is a 400 that says how many", async () => {
    const first = await decodeWithFfmpeg(join(dir, "two.mka"), { track: 0 });
    expect(Math.abs(first.samples.length - 16000)).toBeLessThan(100);
    expect(toneLevel(first.samples, 1000, 16000)).toBeCloseTo(0.25, 1);
    expect(toneLevel(first.samples, 3000, 16000)).toBeLessThan(0.01);
    const second = await decodeWithFfmpeg(join(dir, "two.mka"), { track: 1 });
    expect(Math.abs(second.samples.length - 24000)).toBeLessThan(100);
    expect(toneLevel(second.samples, 3000, 16000)).toBeCloseTo(0.25, 1);
    expect(toneLevel(second.samples, 1000, 16000)).toBeLessThan(0.01);
    await rejects(decodeWithFfmpeg(join(dir, "two.mka"), { track: 2 }), "invalid_request", /2 audio streams \(audio_track 0\.\.1\)/);
  });

  test("stereo keeps both channels beside their average; mono input with stereo is refused", async () => {
    const r = await decodeWithFfmpeg(join(dir, "lr.flac"), { stereo: true });
    const [left, right] = r.stereo!;
    expect(toneLevel(left, 1000, 16000)).toBeCloseTo(0.5, 1);
    expect(toneLevel(left, 3000, 16000)).toBeLessThan(0.01);
    expect(toneLevel(right, 3000, 16000)).toBeCloseTo(0.5, 1);
    expect(toneLevel(r.samples, 1000, 16000)).toBeCloseTo(0.25, 1);
    await rejects(decodeWithFfmpeg(join(dir, "gap.flac"), { stereo: true }), "invalid_request", /two-channel .* 1 channel$/);
  });

  test("enhance removes the long silence", async () => {
    const plain = await decodeWithFfmpeg(join(dir, "gap.flac"));
    const enhanced = await decodeWithFfmpeg(join(dir, "gap.flac"), { enhance: true });
    expect(plain.samples.length).toBe(64000);
    expect(enhanced.samples.length).toBeLessThan(48000);
    expect(enhanced.samples.length).toBeGreaterThan(30000);
  });

  test("what is not audio gives invalid_audio with ffmpeg's reason, never the file's text", async () => {
    const e = await rejects(decodeWithFfmpeg(join(dir, "text.mp3")), "invalid_audio", /^ffmpeg could not decode the file: /);
    expect(e.message).not.toContain("hello");
    await rejects(decodeWithFfmpeg(join(dir, "silent-video.mp4")), "invalid_audio", "the file has no audio track");
  });

  test("an AbortSignal stops ffmpeg", async () => {
    await rejects(decodeWithFfmpeg(join(dir, "a.flac"), { signal: AbortSignal.abort() }), "aborted", "audio decoding was aborted");
    const ac = new AbortController();
    const p = decodeWithFfmpeg(join(dir, "a.flac"), { signal: ac.signal });
    setTimeout(() => ac.abort(), 5);
    await rejects(p, "aborted", "aborted");
  });
});

describe("finding ffmpeg", () => {
  test("SONA_FFMPEG_PATH that points nowhere is an error that says so", async () => {
    process.env.SONA_FFMPEG_PATH = join(dir, "no-such-ffmpeg");
    await rejects(decodeWithFfmpeg(join(dir, "a.mp3")), "internal_error", `SONA_FFMPEG_PATH is set to ${join(dir, "no-such-ffmpeg")} but there is no file there`);
    expect(ffmpegInfo()).toEqual({ path: null, origin: "SONA_FFMPEG_PATH" });
  });

  test("an ffmpeg that cannot run is named in the error", async () => {
    process.env.SONA_FFMPEG_PATH = join(dir, "text.mp3");
    await rejects(decodeWithFfmpeg(join(dir, "a.mp3")), "internal_error", `cannot run ffmpeg (${join(dir, "text.mp3")}): EACCES`);
  });

  test.skipIf(!hasFfmpeg)("order: SONA_FFMPEG_PATH, bundled, PATH", () => {
    const real = Bun.which("ffmpeg")!;
    expect(ffmpegInfo()).toEqual({ path: real, origin: "PATH" });
    setBundledFfmpeg(real);
    expect(ffmpegInfo()).toEqual({ path: real, origin: "bundled" });
    process.env.SONA_FFMPEG_PATH = real;
    expect(ffmpegInfo()).toEqual({ path: real, origin: "SONA_FFMPEG_PATH" });
  });

  test("no ffmpeg anywhere: a message that says what to do", async () => {
    delete process.env.SONA_FFMPEG_PATH;
    process.env.PATH = join(dir, "empty-bin");
    expect(ffmpegInfo()).toEqual({ path: null, origin: null });
    await rejects(
      decodeWithFfmpeg(join(dir, "a.mp3")),
      "internal_error",
      "ffmpeg not found: install ffmpeg or set SONA_FFMPEG_PATH (needed for .mp3 and other non-WAV input)",
    );
  });
});

describe("reading ffmpeg's stderr", () => {
  test("parseProbe", () => {
    const text = [
      "Input #0, mov,mp4,m4a,3gp,3g2,mj2, from 'x.mp4':",
      "  Duration: 01:02:03.50, start: 0.000000, bitrate: 130 kb/s",
      "  Stream #0:0[0x1](und): Video: h264, yuv420p, 640x360",
      "  Stream #0:1[0x2](eng): Audio: aac (LC) (mp4a / 0x6134706D), 48000 Hz, 5.1(side), fltp, 128 kb/s (default)",
      "  Stream #0:2[0x3](eng): Audio: ac3, 44100 Hz, stereo, fltp",
      "At least one output file must be specified",
    ].join("\n");
    expect(parseProbe(text)).toEqual({ format: "mov,mp4,m4a,3gp,3g2,mj2", audioStreams: 2, sampleRate: 48000, channels: 6, trackChannels: [6, 2], durationSec: 3723.5 });
    expect(parseProbe("  Stream #0:0: Audio: pcm_s16le, 8000 Hz, 3 channels, s16\nInput #0, wav, from 'a':")?.channels).toBe(3);
    expect(parseProbe("x.bin: Invalid data found when processing input")).toBeNull();
  });

  test("lastMeaningfulLine drops the path, pointers and control bytes", () => {
    const err = "[mp3 @ 0x55d5c0a1b2c0] Header missing\n/tmp/a b.mp3: Invalid data found\u0007 when processing input\n";
    expect(lastMeaningfulLine(err, "/tmp/a b.mp3")).toBe("Invalid data found? when processing input");
    expect(lastMeaningfulLine("[mp3 @ 0x55d5c0a1b2c0] Header missing\nConversion failed!\n", "x")).toBe("[mp3] Header missing");
    expect(lastMeaningfulLine("", "x")).toBe("unknown error");
  });
});
