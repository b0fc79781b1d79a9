// Decoding a 1-hour WAV: Sona's TypeScript path against ffmpeg doing the same job.
//   bun bench/decode-wav.ts
// Writes a 1-hour 44.1 kHz stereo s16 WAV (635 MB) and a 1-hour 16 kHz mono one (115 MB) to a temp
// dir, times decodeAudio in a fresh process per run (so peak RSS is its own) and
// `ffmpeg -i x.wav -ac 1 -ar 16000 -f f32le -y /dev/null`, median of 3 each, then deletes the files.
import { closeSync, mkdtempSync, openSync, rmSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { decodeAudio } from "../src/audio/index.ts";

const RUNS = 3;

if (process.argv[2] === "--child") {
  const t0 = performance.now();
  const r = await decodeAudio(process.argv[3]!);
  const ms = performance.now() - t0;
  console.log(JSON.stringify({ ms, samples: r.samples.length, maxRssMB: process.resourceUsage().maxRSS / 1024 }));
  process.exit(0);
}

function writeWav(path: string, rate: number, channels: number, seconds: number): void {
  const block = rate * 10; // 10 s of frames, written 360 times
  const data = new Int16Array(block * channels);
  for (let i = 0; i < block; i++) {
    const t = i / rate;
    const v = 0.3 * Math.sin(2 * Math.PI * 440 * t) + 0.1 * Math.sin(2 * Math.PI * 3100 * t) + 0.05 * (Math.random() - 0.5);
    for (let c = 0; c < channels; c++) data[i * channels + c] = Math.round(v * 32767 * (c ? 0.8 : 1));
  }
  const dataBytes = rate * seconds * channels * 2;
  const h = new DataView(new ArrayBuffer(44));
  const tag = (o: number, s: string) => [...s].forEach((ch, i) => h.setUint8(o + i, ch.charCodeAt(0)));
  tag(0, "RIFF"); h.setUint32(4, 36 + dataBytes, true); tag(8, "WAVE");
  tag(12, "fmt "); h.setUint32(16, 16, true); h.setUint16(20, 1, true); h.setUint16(22, channels, true);
  h.setUint32(24, rate, true); h.setUint32(28, rate * channels * 2, true); h.setUint16(32, channels * 2, true); h.setUint16(34, 16, true);
  tag(36, "data"); h.setUint32(40, dataBytes, true);
  const fd = openSync(path, "w");
  writeSync(fd, new Uint8Array(h.buffer));
  for (let s = 0; s < seconds; s += 10) writeSync(fd, new Uint8Array(data.buffer));
  closeSync(fd);
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;

function sona(path: string): { ms: number; samples: number; maxRssMB: number } {
  const r = Bun.spawnSync([process.execPath, import.meta.path, "--child", path]);
  if (r.exitCode !== 0) throw new Error(r.stderr.toString());
  return JSON.parse(r.stdout.toString());
}

function ffmpeg(path: string): number {
  const t0 = performance.now();
  const r = Bun.spawnSync(["ffmpeg", "-nostdin", "-v", "error", "-i", path, "-ac", "1", "-ar", "16000", "-f", "f32le", "-y", "/dev/null"]);
  if (r.exitCode !== 0) throw new Error(r.stderr.toString());
  return performance.now() - t0;
}

const dir = mkdtempSync(join(tmpdir(), "sona-bench-"));
try {
  for (const [name, rate, channels] of [["44.1 kHz stereo s16", 44100, 2], ["16 kHz mono s16", 16000, 1]] as const) {
    const path = join(dir, "x.wav");
    writeWav(path, rate, channels, 3600);
    const ours = Array.from({ length: RUNS }, () => sona(path));
    const ms = median(ours.map((r) => r.ms));
    const rss = median(ours.map((r) => r.maxRssMB));
    const theirs = median(Array.from({ length: RUNS }, () => ffmpeg(path)));
    const f32MB = (ours[0]!.samples * 4) / 2 ** 20;
    console.log(`1 h ${name} (${((rate * channels * 2 * 3600) / 2 ** 20).toFixed(0)} MiB):`);
    console.log(`  sona decodeAudio  ${(ms / 1000).toFixed(2)} s  (runs ${ours.map((r) => (r.ms / 1000).toFixed(2)).join(", ")}), peak RSS ${rss.toFixed(0)} MiB for ${f32MB.toFixed(0)} MiB of f32 samples`);
    console.log(`  ffmpeg -> f32le   ${(theirs / 1000).toFixed(2)} s`);
    console.log(`  ratio sona/ffmpeg ${(ms / theirs).toFixed(2)}`);
    rmSync(path);
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
