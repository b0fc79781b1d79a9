// Live transcription with the TypeScript client: spawn `sona serve`, load a model, stream a WAV at
// real-time pace over /v1/audio/live, print partials and segments as they come.
//
//   bun examples/live.ts [model] [audio.wav]      (a 16 kHz mono 16-bit WAV)
//
// Without arguments it uses the synthetic micro model (models/synth-micro.en.bin, made by
// `bun scripts/make-test-model.ts`), whose words are meaningless placeholders, and speech made with
// espeak-ng (two sentences, a second of silence after each). The binary: $SONA_BINARY, else this repo's
// dist/sona, else `sona` on PATH.
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { spawnSona } from "../src/client/index.ts";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const synthetic = join(root, "models", "synth-micro.en.bin");

/** A sentence spoken by espeak-ng, as a WAV file. */
function speak(text: string): string {
  const path = join(mkdtempSync(join(tmpdir(), "sona-live-example-")), "speech.wav");
  const r = Bun.spawnSync(["espeak-ng", "-w", path, text]);
  if (r.exitCode !== 0) throw new Error("espeak-ng is needed without an audio argument");
  return path;
}

/** The samples of a mono 16-bit WAV, at its own rate. */
function readWav(path: string): { samples: Float32Array; rate: number } {
  const b = readFileSync(path);
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  let at = 12;
  let rate = 0;
  while (at + 8 <= b.length) {
    const id = b.toString("ascii", at, at + 4);
    const size = v.getUint32(at + 4, true);
    if (id === "fmt ") {
      if (v.getUint16(at + 8 + 2, true) !== 1 || v.getUint16(at + 8 + 14, true) !== 16) throw new Error("expected a mono 16-bit PCM WAV");
      rate = v.getUint32(at + 8 + 4, true);
    }
    if (id === "data") {
      const n = Math.min(size, b.length - at - 8) >> 1;
      const samples = new Float32Array(n);
      for (let i = 0; i < n; i++) samples[i] = v.getInt16(at + 8 + i * 2, true) / 32768;
      return { samples, rate };
    }
    at += 8 + size + (size & 1);
  }
  throw new Error("no data chunk");
}

/** Linear resampling to 16 kHz: enough for an example (sona resamples properly on its other routes). */
function to16k(x: Float32Array, rate: number): Float32Array {
  if (rate === 16000) return x;
  const out = new Float32Array(Math.floor((x.length * 16000) / rate));
  for (let i = 0; i < out.length; i++) {
    const at = (i * rate) / 16000;
    const k = Math.floor(at);
    out[i] = (x[k] ?? 0) * (1 - (at - k)) + (x[k + 1] ?? 0) * (at - k);
  }
  return out;
}

const model = process.argv[2] ?? synthetic;
const files = process.argv[3] ? [process.argv[3]] : [speak("Live transcription prints each sentence."), speak("Partial text comes first.")];
// each part followed by a second of silence, so every sentence ends by its pause, not by stop()
const parts = files.map((f) => readWav(f)).map((w) => to16k(w.samples, w.rate));
const samples = new Float32Array(parts.reduce((n, p) => n + p.length + 16000, 0));
parts.reduce((at, p) => (samples.set(p, at), at + p.length + 16000), 0);
const dist = join(root, "dist", "sona");
const binary = process.env.SONA_BINARY ?? (existsSync(dist) ? dist : undefined);
if (model === synthetic) console.error("note: synthetic model with random weights; its words are meaningless\n");

{
  await using sona = await spawnSona({ binary });
  await sona.client.loadModel(model);
  const live = await sona.client.live({ language: "en" });
  const printing = (async () => {
    for await (const e of live) {
      if (e.type === "partial") console.log(`  … ${e.text}`);
      else if (e.type === "segment") console.log(`[${e.start}s → ${e.end}s] ${e.text}`);
      else if (e.type === "error") console.log(`error ${e.code}: ${e.message}`);
      else console.log(e.type);
    }
  })();
  // 100 ms chunks at real-time pace, as a microphone would send them
  const chunk = 1600;
  const t0 = performance.now();
  for (let i = 0; i < samples.length; i += chunk) {
    live.send(samples.subarray(i, i + chunk));
    const due = ((i + chunk) / 16000) * 1000 - (performance.now() - t0);
    if (due > 0) await Bun.sleep(due);
  }
  await live.stop();
  await printing;
}
