// The audio the benchmarks run on, made fresh in a temp dir and deleted afterwards:
//   clip10/clip30/clip300  16 kHz mono s16 speech (espeak-ng), the format whisper-cli reads as is,
//                          so neither side resamples and both feed whisper the same samples
//   hour16                 1 hour, 16 kHz mono s16 (row 7)
//   hour44                 1 hour, 44.1 kHz stereo s16 (row 4)
//   hourMp3                1 hour MP3, 44.1 kHz stereo 128 kb/s (row 5), from Debian's ffmpeg + libmp3lame
// Long files are a short piece tiled: writing them costs seconds, not a TTS run per hour.
// Without espeak-ng the speech is replaced by a synthetic voiced signal (noted in the report).
import { closeSync, existsSync, openSync, readFileSync, writeSync } from "node:fs";
import { join } from "node:path";
import { readWavLayout } from "../../src/audio/wav.ts";
import { runOk } from "./proc.ts";

const TEXT = [
  "Sona is a local speech to text runner. It loads a whisper model once and answers many requests.",
  "The quick brown fox jumps over the lazy dog, while seven silver swans swim slowly south.",
  "Numbers like twelve, forty two and nineteen eighty four are read out loud, one after another.",
  "A benchmark is only useful when anyone can run it again and get the same answer.",
].join(" ");

export interface Fixtures {
  dir: string;
  source: string;
  clip10: string;
  clip30: string;
  clip300: string | null;
  hour16: string;
  hour44: string;
  hourMp3: string | null;
  hourSeconds: number;
  notes: string[];
}

export interface Pcm {
  rate: number;
  channels: number;
  /** interleaved s16 frames */
  data: Int16Array;
}

export function readPcm(path: string): Pcm {
  const bytes = readFileSync(path);
  const layout = readWavLayout((o, n) => bytes.subarray(o, o + n), bytes.length);
  if (layout.kind !== "pcm" || layout.bytesPerSample !== 2 || layout.encoding !== "int") throw new Error(`${path}: expected s16 PCM`);
  const data = new Int16Array(bytes.buffer.slice(bytes.byteOffset + layout.dataOffset, bytes.byteOffset + layout.dataOffset + layout.dataBytes));
  return { rate: layout.sampleRate, channels: layout.channels, data };
}

function header(rate: number, channels: number, dataBytes: number): Uint8Array {
  const h = new DataView(new ArrayBuffer(44));
  const tag = (o: number, s: string) => { for (let i = 0; i < 4; i++) h.setUint8(o + i, s.charCodeAt(i)); };
  tag(0, "RIFF"); h.setUint32(4, 36 + dataBytes, true); tag(8, "WAVE");
  tag(12, "fmt "); h.setUint32(16, 16, true); h.setUint16(20, 1, true); h.setUint16(22, channels, true);
  h.setUint32(24, rate, true); h.setUint32(28, rate * channels * 2, true); h.setUint16(32, channels * 2, true); h.setUint16(34, 16, true);
  tag(36, "data"); h.setUint32(40, dataBytes, true);
  return new Uint8Array(h.buffer);
}

/** Writes `seconds` of `pcm`, repeated as often as needed. */
export function writeTiled(path: string, pcm: Pcm, seconds: number): void {
  const frames = Math.round(pcm.rate * seconds);
  const fd = openSync(path, "w");
  try {
    writeSync(fd, header(pcm.rate, pcm.channels, frames * pcm.channels * 2));
    const srcFrames = pcm.data.length / pcm.channels;
    // write in blocks of whole copies of the piece (at least ~4 MB) to keep syscalls few
    const copies = Math.max(1, Math.floor((4 << 20) / pcm.data.byteLength));
    const block = new Int16Array(pcm.data.length * copies);
    for (let c = 0; c < copies; c++) block.set(pcm.data, c * pcm.data.length);
    const blockFrames = srcFrames * copies;
    for (let done = 0; done < frames; ) {
      const n = Math.min(blockFrames, frames - done);
      writeSync(fd, new Uint8Array(block.buffer, 0, n * pcm.channels * 2));
      done += n;
    }
  } finally {
    closeSync(fd);
  }
}

/** A voiced, speech-like signal (pitch glides, formants, pauses) when espeak-ng is missing. */
function synthetic(rate: number, channels: number, seconds: number): Pcm {
  const n = Math.round(rate * seconds);
  const data = new Int16Array(n * channels);
  let phase = 0;
  let seed = 12345;
  const noise = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32) - 0.5;
  for (let i = 0; i < n; i++) {
    const t = i / rate;
    const syllable = t * 4 - Math.floor(t * 4);
    const gate = (t % 3) < 2.6 ? Math.sin(Math.PI * syllable) ** 2 : 0;
    const f0 = 120 + 30 * Math.sin(2 * Math.PI * 0.7 * t);
    phase += (2 * Math.PI * f0) / rate;
    let v = 0;
    for (let h = 1; h <= 20; h++) {
      const f = h * f0;
      const formant = Math.exp(-(((f - 700) / 200) ** 2)) + 0.6 * Math.exp(-(((f - 1200) / 250) ** 2)) + 0.3 * Math.exp(-(((f - 2600) / 400) ** 2));
      v += (formant * Math.sin(h * phase)) / h;
    }
    v = gate * (0.5 * v + 0.02 * noise());
    for (let c = 0; c < channels; c++) data[i * channels + c] = Math.max(-32768, Math.min(32767, Math.round(v * 20000 * (c ? 0.8 : 1))));
  }
  return { rate, channels, data };
}

function convert(tool: "sox" | "ffmpeg", src: string, dst: string, rate: number, channels: number): void {
  if (tool === "sox") runOk(["sox", src, "-r", String(rate), "-c", String(channels), "-b", "16", dst]);
  else runOk(["ffmpeg", "-nostdin", "-v", "error", "-y", "-i", src, "-ar", String(rate), "-ac", String(channels), "-c:a", "pcm_s16le", dst]);
}

export function makeFixtures(dir: string, opts: { hourSeconds: number; longClip: boolean }): Fixtures {
  const notes: string[] = [];
  const espeak = Bun.which("espeak-ng");
  const tool = Bun.which("sox") ? "sox" : Bun.which("ffmpeg") ? "ffmpeg" : null;
  let speech16: Pcm, speech44: Pcm;
  let source: string;
  if (espeak && tool) {
    const raw = join(dir, "espeak.wav");
    runOk([espeak, "-s", "165", "-w", raw, TEXT]);
    convert(tool, raw, join(dir, "speech16.wav"), 16000, 1);
    convert(tool, raw, join(dir, "speech44.wav"), 44100, 2);
    speech16 = readPcm(join(dir, "speech16.wav"));
    speech44 = readPcm(join(dir, "speech44.wav"));
    source = `espeak-ng speech (${(speech16.data.length / 16000).toFixed(1)} s of English, tiled), converted with ${tool}`;
  } else {
    speech16 = synthetic(16000, 1, 20);
    speech44 = synthetic(44100, 2, 20);
    source = "synthetic voiced signal (espeak-ng or sox/ffmpeg not found)";
    notes.push("espeak-ng (or sox/ffmpeg) is not installed: the clips are a synthetic speech-like signal, not speech.");
  }
  const clip = (name: string, seconds: number) => {
    const p = join(dir, name);
    writeTiled(p, speech16, seconds);
    return p;
  };
  const clip10 = clip("clip10.wav", 10);
  const clip30 = clip("clip30.wav", 30);
  const clip300 = opts.longClip ? clip("clip300.wav", 300) : null;
  const hour16 = clip("hour16.wav", opts.hourSeconds);
  const hour44 = join(dir, "hour44.wav");
  writeTiled(hour44, speech44, opts.hourSeconds);

  let hourMp3: string | null = null;
  const ffmpeg = Bun.which("ffmpeg");
  const lame = ffmpeg && runOk([ffmpeg, "-hide_banner", "-encoders"]).includes("libmp3lame");
  if (lame) {
    // encode one minute, then let ffmpeg loop it (stream copy) to the full length: a valid MP3
    // with a correct Xing header, in a second or two instead of a minute of encoding
    const minute = join(dir, "minute44.wav");
    writeTiled(minute, speech44, 60);
    const piece = join(dir, "minute.mp3");
    runOk([ffmpeg!, "-nostdin", "-v", "error", "-y", "-i", minute, "-c:a", "libmp3lame", "-b:a", "128k", piece]);
    hourMp3 = join(dir, "hour.mp3");
    const loops = Math.ceil(opts.hourSeconds / 60) - 1;
    runOk([ffmpeg!, "-nostdin", "-v", "error", "-y", "-stream_loop", String(loops), "-i", piece, "-c", "copy", "-t", String(opts.hourSeconds), hourMp3]);
  } else {
    notes.push("Debian's ffmpeg with libmp3lame is not installed: no MP3 was made and row 5 is skipped (apt-get install ffmpeg).");
  }
  for (const p of [clip10, clip30, hour16, hour44]) if (!existsSync(p)) throw new Error(`fixture missing: ${p}`);
  return { dir, source, clip10, clip30, clip300, hour16, hour44, hourMp3, hourSeconds: opts.hourSeconds, notes };
}
