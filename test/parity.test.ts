// Parity with whisper-cli built from the same source and flags: the same model, WAV and decoding
// parameters must give the same segment timestamps, the same token ids and the same token
// probabilities. Random weights make the text barely depend on the audio, so the comparison looks
// at probabilities too, and a 1 dB gain change must make it fail. whisper-cli-reference is built
// from the pinned source without our patches (scripts/whisper/*.patch): it must agree as well.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { decodeAudio } from "../src/audio/index.ts";
import { WhisperEngine } from "../src/engine/index.ts";
import { syntheticSpeech, wavBytes } from "./helpers/audio.ts";

const root = join(import.meta.dir, "..");
const model = join(root, "models/synth-tiny.en.bin");
// one thread on both sides: the comparison needs no more, and ggml's threads spin-wait on each
// other, which on a busy 2-core machine made the 31.5 s case run past 300 s
const THREADS = 1;

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

function whisperCli(wav: string, cli = "whisper-cli"): Run {
  const out = join(dir, "cli");
  // -nf -bs 1 -bo 1: greedy, no temperature fallback (deterministic); -ojf: tokens with p and times
  const p = Bun.spawnSync([join(root, "lib", cli), "-m", model, "-f", wav, "-t", String(THREADS), "-l", "en", "-nf", "-bs", "1", "-bo", "1", "-ojf", "-of", out, "-np"]);
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

// -ojf turns token timestamps on, which changes no probability; without word timestamps the
// engine computes the mel first and frees the samples (src/engine/worker.ts), so both ways are held
// to whisper-cli
async function sona(wav: string, wordTimestamps = true): Promise<Run> {
  const audio = await decodeAudio(wav);
  const r = await engine.transcribe(audio.samples, {
    language: "en", detectLanguage: false, translate: false, temperature: 0, noFallback: true,
    strategy: "greedy", bestOf: 1, beamSize: 1, threads: THREADS, wordTimestamps,
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
  expect(cli.segments.length).toBeGreaterThan(0);
  expect(cli.segments.flatMap((s) => s.tokens).length).toBeGreaterThan(1);
  expect(differences(await sona(wav), cli)).toEqual([]);
  expect(differences(await sona(wav, false), cli)).toEqual([]);
}, 300_000);

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
}, 300_000);

// mel-in-place.patch reads the padding (200 reflected samples, then zeros past the end) from the
// caller's samples instead of a copy: lengths that are not whole frames and audio past one 30-s
// window cover the end padding, and the change below shows the reflected start is looked at
// one test per length, each with room for a loaded machine (three inferences of up to 31.5 s of
// audio; all three lengths in one test ran past 120 s under load)
for (const seconds of [12, 3.217, 31.5]) {
  test(`our whisper.cpp patches change no result: whisper-cli from the unpatched source agrees (${seconds} s)`, async () => {
    const wav = join(dir, `speech-${seconds}.wav`);
    writeFileSync(wav, wavBytes(syntheticSpeech(seconds)));
    const reference = whisperCli(wav, "whisper-cli-reference");
    expect(reference.segments.length).toBeGreaterThan(0);
    expect(differences(await sona(wav), reference)).toEqual([]);
    expect(differences(await sona(wav, false), reference)).toEqual([]);
  }, 300_000);
}

test("the comparison sees a change to the first 200 samples alone (what the start padding reflects)", async () => {
  const original = join(dir, "speech.wav");
  const changed = join(dir, "start-changed.wav");
  const samples = syntheticSpeech(12);
  writeFileSync(original, wavBytes(samples));
  const start = samples.slice();
  for (let i = 1; i <= 200; i++) start[i] = -start[i]!;
  writeFileSync(changed, wavBytes(start));
  const diff = differences(await sona(changed), whisperCli(original, "whisper-cli-reference"));
  console.error(`first 200 samples negated: ${diff.length} differences, e.g. ${diff[0]}`);
  expect(diff.length).toBeGreaterThan(0);
}, 300_000);
