import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { makeWav, rejects, sine, toneLevel } from "./_testing.ts";
import { decodeAudio, parseWav, resampleTo16k } from "./index.ts";

const hasFfmpeg = Bun.which("ffmpeg") !== null;
const savedFfmpegPath = process.env.SONA_FFMPEG_PATH;
let dir = "";
const file = (name: string, bytes: Uint8Array | string) => {
  const p = join(dir, name);
  writeFileSync(p, bytes);
  return p;
};


beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "sona-audio-test-"));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));
afterEach(() => {
  if (savedFfmpegPath === undefined) delete process.env.SONA_FFMPEG_PATH;
  else process.env.SONA_FFMPEG_PATH = savedFfmpegPath;
});

describe("decodeAudio", () => {
  test("16 kHz mono s16 WAV: exactly x/32768, the samples whisper-cli would use", async () => {
    const ints = Int16Array.from({ length: 16000 }, (_, i) => ((i * 7919) % 65536) - 32768);
    const p = file("exact.wav", makeWav({ rate: 16000, channels: 1, bits: 16, samples: Array.from(ints, (v) => v / 32768) }));
    const r = await decodeAudio(p);
    expect(r).toMatchObject({ sourceRate: 16000, sourceChannels: 1, format: "wav", durationSec: 1 });
    expect(r.samples).toEqual(Float32Array.from(ints, (v) => v / 32768));
  });

  test("WAVs are recognised by their bytes, not their name, and need no ffmpeg", async () => {
    process.env.SONA_FFMPEG_PATH = join(dir, "missing-ffmpeg");
    const p = file("really-a-wav.mp3", makeWav({ rate: 48000, channels: 2, bits: 24, extensible: true, samples: sine(1000, 48000, 1, 0.5, 2) }));
    const r = await decodeAudio(p);
    expect(r).toMatchObject({ sourceRate: 48000, sourceChannels: 2, format: "wav" });
    expect(r.samples.length).toBe(16000);
    expect(toneLevel(r.samples, 1000, 16000)).toBeCloseTo(0.5, 3);
  });

  test("a file read in pieces equals parsing it whole", async () => {
    // 30 s of 44.1 kHz stereo is 5.3 MB: more than one read
    const x = sine(440, 44100, 30, 0.3, 2).map((v, i) => v + 0.2 * Math.sin(i * 0.011));
    const bytes = makeWav({ rate: 44100, channels: 2, bits: 16, samples: x });
    const r = await decodeAudio(file("long.wav", bytes));
    expect(r.samples.length).toBe(480000);
    expect(r.samples).toEqual(resampleTo16k(parseWav(bytes).samples, 44100));
  });

  test("a data chunk longer than the file (a recording cut short) gives what is there", async () => {
    const bytes = makeWav({ rate: 16000, channels: 1, bits: 16, samples: sine(500, 16000, 1), dataSize: 0xffffffff });
    const r = await decodeAudio(file("cut.wav", bytes.subarray(0, bytes.length - 1001)));
    expect(r.samples.length).toBe(16000 - 501);
  });

  test("unreadable and empty input is invalid_audio", async () => {
    await rejects(decodeAudio(join(dir, "nope.wav")), "invalid_audio", `cannot open audio file ${join(dir, "nope.wav")}: no such file`);
    await rejects(decodeAudio(file("empty.mp3", "")), "invalid_audio", "audio file contains no samples");
    mkdirSync(join(dir, "folder.wav"));
    await rejects(decodeAudio(join(dir, "folder.wav")), "invalid_audio", "not a regular file");
    const noData = makeWav({ rate: 16000, channels: 1, bits: 16, samples: [] });
    await rejects(decodeAudio(file("nodata.wav", noData)), "invalid_audio", "audio file contains no samples");
    const zeroCh = makeWav({ rate: 16000, channels: 0, bits: 16, samples: [0.5] });
    await rejects(decodeAudio(file("zero.wav", zeroCh)), "invalid_audio", "invalid WAV file: fmt chunk declares 0 channels");
  });

  test("abort before start", async () => {
    const p = file("abort.wav", makeWav({ rate: 16000, channels: 1, bits: 16, samples: [0.5] }));
    await rejects(decodeAudio(p, { signal: AbortSignal.abort() }), "aborted", "aborted");
  });
});

describe.skipIf(!hasFfmpeg)("decodeAudio through ffmpeg", () => {
  const ffmpeg = (...args: string[]) => {
    const r = Bun.spawnSync(["ffmpeg", "-v", "error", "-nostdin", "-y", ...args]);
    if (r.exitCode !== 0) throw new Error(r.stderr.toString());
  };

  test("an mp3 named .wav goes to ffmpeg", async () => {
    const p = join(dir, "really-an-mp3.wav");
    ffmpeg("-f", "lavfi", "-i", "aevalsrc=0.5*sin(2*PI*1000*t):s=22050:d=1", "-f", "mp3", p);
    const r = await decodeAudio(p);
    expect(r).toMatchObject({ format: "mp3", sourceRate: 22050, sourceChannels: 1 });
    expect(Math.abs(r.durationSec - 1)).toBeLessThan(0.05);
  });

  test("an ADPCM WAV falls back to ffmpeg", async () => {
    const p = join(dir, "adpcm.wav");
    ffmpeg("-f", "lavfi", "-i", "aevalsrc=0.5*sin(2*PI*1000*t):s=8000:d=1", "-c:a", "adpcm_ima_wav", p);
    const r = await decodeAudio(p);
    expect(r).toMatchObject({ format: "wav", sourceRate: 8000, sourceChannels: 1 });
    expect(Math.abs(r.samples.length - 16000)).toBeLessThan(1100);
    expect(toneLevel(r.samples, 1000, 16000)).toBeCloseTo(0.5, 1);
  });

  test("enhance sends a WAV through ffmpeg's silence removal", async () => {
    const x = sine(1000, 16000, 4).map((v, i) => (i >= 16000 && i < 48000 ? 0 : v));
    const p = file("gap.wav", makeWav({ rate: 16000, channels: 1, bits: 16, samples: x }));
    expect((await decodeAudio(p)).durationSec).toBe(4);
    const enhanced = await decodeAudio(p, { enhance: true });
    expect(enhanced.durationSec).toBeLessThan(3);
  });
});
