// Parity with whisper-cli built from the same source and flags: the same model, WAV and decoding
// parameters must give the same segment timestamps, the same token ids and the same token
// probabilities. Random weights make the text barely depend on the audio, so the comparison looks
// at probabilities too, and a 1 dB gain change must make it fail.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { decodeAudio } from "../src/audio/index.ts";
import { WhisperEngine } from "../src/engine/index.ts";
import { syntheticSpeech, wavBytes } from "./helpers/audio.ts";

const root = join(import.meta.dir, "..");
const model = join(root, "models/synth-tiny.en.bin");
const THREADS = 2;

interface Run {
  segments: { t0: number; t1: number; tokens: { id: number; p: number }[] }[];
}

let dir: string;
const engine = new WhisperEngine();

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "sona-parity-"));
  await engine.load(model);
});
afterAll(async () => {
  await engine.close();
  rmSync(dir, { recursive: true, force: true });
});

function whisperCli(wav: string): Run {
  const out = join(dir, "cli");
  // -nf -bs 1 -bo 1: greedy, no temperature fallback (deterministic); -ojf: tokens with p and times
  const p = Bun.spawnSync([join(root, "lib/whisper-cli"), "-m", model, "-f", wav, "-t", String(THREADS), "-l", "en", "-nf", "-bs", "1", "-bo", "1", "-ojf", "-of", out, "-np"]);
  expect(p.exitCode).toBe(0);
  const json = JSON.parse(readFileSync(`${out}.json`, "utf8"));
  return {
    segments: json.transcription.map((s: { offsets: { from: number; to: number }; tokens: { id: number; p: number }[] }) => ({
      t0: s.offsets.from / 10,
      t1: s.offsets.to / 10,
      tokens: s.tokens.map((t) => ({ id: t.id, p: t.p })),
    })),
  };
}

async function sona(wav: string): Promise<Run> {
  const audio = await decodeAudio(wav);
  const r = await engine.transcribe(audio.samples, {
    language: "en", detectLanguage: false, translate: false, temperature: 0, noFallback: true,
    strategy: "greedy", bestOf: 1, beamSize: 1, threads: THREADS, wordTimestamps: true, // -ojf turns token timestamps on
  });
  return { segments: r.segments.map((s) => ({ t0: s.t0, t1: s.t1, tokens: s.tokens.map((t) => ({ id: t.id, p: t.p })) })) };
}

/** Every difference beyond whisper-cli's printed precision (6 significant digits). */
function differences(a: Run, b: Run): string[] {
  const out: string[] = [];
  if (a.segments.length !== b.segments.length) out.push(`segment count ${a.segments.length} vs ${b.segments.length}`);
  a.segments.forEach((s, i) => {
    const t = b.segments[i];
    if (!t) return;
    if (s.t0 !== t.t0 || s.t1 !== t.t1) out.push(`segment ${i} time ${s.t0}-${s.t1} vs ${t.t0}-${t.t1}`);
    if (s.tokens.map((k) => k.id).join() !== t.tokens.map((k) => k.id).join()) out.push(`segment ${i} token ids differ`);
    s.tokens.forEach((k, j) => {
      const q = t.tokens[j];
      if (q && Math.abs(k.p - q.p) > 1e-5 * Math.max(k.p, q.p) + 1e-9) out.push(`segment ${i} token ${j} p ${k.p} vs ${q.p}`);
    });
  });
  return out;
}

test("same WAV, model and parameters: same timestamps, token ids and probabilities as whisper-cli", async () => {
  const wav = join(dir, "speech.wav");
  writeFileSync(wav, wavBytes(syntheticSpeech(12)));
  const cli = whisperCli(wav);
  const ours = await sona(wav);
  expect(cli.segments.length).toBeGreaterThan(0);
  expect(cli.segments.flatMap((s) => s.tokens).length).toBeGreaterThan(1);
  expect(differences(ours, cli)).toEqual([]);
}, 120_000);

test("the comparison is sensitive: a 1 dB gain change makes it fail", async () => {
  const original = join(dir, "speech.wav");
  const louder = join(dir, "louder.wav");
  writeFileSync(original, wavBytes(syntheticSpeech(12)));
  writeFileSync(louder, wavBytes(syntheticSpeech(12).map((x) => x * 10 ** (1 / 20))));
  const cli = whisperCli(original);
  const ours = await sona(louder);
  const diff = differences(ours, cli);
  console.error(`1 dB louder audio: ${diff.length} differences, e.g. ${diff[0]}`);
  expect(diff.length).toBeGreaterThan(0);
}, 120_000);
