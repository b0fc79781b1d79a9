// Real speech with silences at known places: espeak-ng utterances (Debian's espeak-ng, installed by
// .ci/run) joined by stretches of near-silence, so VAD results can be held to where the speech is.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { decodeAudio } from "../../src/audio/index.ts";
import type { SpeechSpan } from "../../src/vad/params.ts";

const RATE = 16000;

export interface SpokenAudio {
  samples: Float32Array;
  /** where each utterance's sound starts and ends, in seconds */
  utterances: SpeechSpan[];
  /** the stretches between (and before and after) them */
  silences: SpeechSpan[];
}

/** espeak-ng's rendering of `text`, at 16 kHz, trimmed to its first and last audible sample. */
export async function speak(text: string, voice = "en"): Promise<Float32Array> {
  const dir = mkdtempSync(join(tmpdir(), "sona-speak-"));
  try {
    const wav = join(dir, "u.wav");
    const p = Bun.spawnSync(["espeak-ng", "-v", voice, "-w", wav, text]);
    if (p.exitCode !== 0) throw new Error(`espeak-ng failed: ${p.stderr.toString()}`);
    const { samples } = await decodeAudio(wav);
    const loud = (i: number) => Math.abs(samples[i]!) > 0.01;
    let a = 0;
    let b = samples.length - 1;
    while (a < b && !loud(a)) a++;
    while (b > a && !loud(b)) b--;
    return samples.slice(a, b + 1);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A little deterministic noise (about -70 dBFS), so the silence is a room's, not digital zeros. */
function hush(n: number, seed: number): Float32Array {
  const out = new Float32Array(n);
  let s = seed;
  for (let i = 0; i < n; i++) {
    s = (s * 1103515245 + 12345) >>> 0;
    out[i] = 0.0003 * (s / 2 ** 32 - 0.5);
  }
  return out;
}

/** silences[0], utterances[0], silences[1], ..., silences[n]: gaps in seconds around the utterances. */
export async function spokenWithGaps(texts: string[], gaps: number[]): Promise<SpokenAudio> {
  if (gaps.length !== texts.length + 1) throw new Error("one more gap than utterances");
  const parts: Float32Array[] = [];
  const utterances: SpeechSpan[] = [];
  const silences: SpeechSpan[] = [];
  let at = 0;
  const add = (x: Float32Array) => {
    parts.push(x);
    at += x.length;
  };
  for (let i = 0; i <= texts.length; i++) {
    const start = at / RATE;
    add(hush(Math.round(gaps[i]! * RATE), i + 1));
    silences.push({ start, end: at / RATE });
    if (i === texts.length) break;
    const u = await speak(texts[i]!);
    const from = at / RATE;
    add(u);
    utterances.push({ start: from, end: at / RATE });
  }
  const samples = new Float32Array(at);
  let o = 0;
  for (const p of parts) {
    samples.set(p, o);
    o += p.length;
  }
  return { samples, utterances, silences };
}

/** Three sentences with 3-5 s between them and silence before and after (about 24 s). */
export const THREE_UTTERANCES = {
  texts: [
    "The quick brown fox jumps over the lazy dog.",
    "Speech detection finds where people talk.",
    "Silence between sentences should stay silent.",
  ],
  gaps: [2, 4, 3, 5],
};
