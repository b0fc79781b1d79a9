// `sona live`, end to end: the real CLI in a child process, real speech (espeak-ng with known
// silences) as raw PCM from a file and from stdin, the embedded Silero model and a synthetic whisper
// model (so: lines, events and times, never the words).
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { spokenWithGaps, THREE_UTTERANCES, type SpokenAudio } from "./helpers/speech.ts";

const root = join(import.meta.dir, "..");
const model = join(root, "models/synth-micro.en.bin");
const dir = mkdtempSync(join(tmpdir(), "sona-live-cli-"));
let spoken: SpokenAudio;
let s16: string;
let f32: Uint8Array;

beforeAll(async () => {
  spoken = await spokenWithGaps(THREE_UTTERANCES.texts, THREE_UTTERANCES.gaps);
  const pcm = new Int16Array(spoken.samples.length);
  for (let i = 0; i < pcm.length; i++) pcm[i] = Math.max(-32768, Math.min(32767, Math.round(spoken.samples[i]! * 32767)));
  s16 = join(dir, "talk.s16");
  writeFileSync(s16, new Uint8Array(pcm.buffer));
  f32 = new Uint8Array(spoken.samples.slice().buffer);
}, 60_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function sona(args: string[], stdin?: Uint8Array) {
  const p = Bun.spawnSync([process.execPath, join(root, "src/main.ts"), "live", ...args], {
    env: { ...process.env, NO_COLOR: "1" },
    stdin: stdin ?? "ignore",
    stdout: "pipe",
    stderr: "pipe",
  });
  return { code: p.exitCode, stdout: p.stdout.toString(), stderr: p.stderr.toString() };
}

describe("sona live", () => {
  test("a raw s16le file: one line per utterance, nothing on stderr", () => {
    const r = sona([model, s16]);
    expect([r.code, r.stderr]).toEqual([0, ""]);
    expect(r.stdout.trimEnd().split("\n")).toHaveLength(3);
  }, 120_000);

  test("f32le on stdin with --json: the events, three utterances at the speech's times", () => {
    const r = sona([model, "-", "--input-format", "f32le", "--json", "--partial-mode", "off"], f32);
    expect([r.code, r.stderr]).toEqual([0, ""]);
    const events = r.stdout.trimEnd().split("\n").map((l) => JSON.parse(l));
    const done = events.filter((e) => e.type === "utterance");
    expect(done).toHaveLength(3);
    for (const [i, u] of done.entries()) {
      expect(Math.abs(u.start - spoken.utterances[i]!.start)).toBeLessThanOrEqual(0.3);
      expect(Math.abs(u.end - spoken.utterances[i]!.end)).toBeLessThanOrEqual(0.3);
    }
    expect(events.filter((e) => e.type === "partial")).toHaveLength(0);
    expect(events[0].type).toBe("speech_started");
  }, 120_000);

  test("Ctrl-C ends cleanly: the open utterance is committed and printed, exit 0", async () => {
    const p = Bun.spawn([process.execPath, join(root, "src/main.ts"), "live", model, "--json", "--partial-mode", "off"], {
      env: { ...process.env, NO_COLOR: "1" },
      stdin: "pipe",
      stdout: "pipe",
      stderr: "pipe",
    });
    // the first utterance without the silence after it: the turn is still open
    const cut = Math.round((spoken.utterances[0]!.end - 0.2) * 16000);
    const pcm = new Int16Array(cut);
    for (let i = 0; i < cut; i++) pcm[i] = Math.round(spoken.samples[i]! * 32767);
    p.stdin.write(new Uint8Array(pcm.buffer));
    p.stdin.flush();
    // SIGINT once the session has seen the speech (its handler is installed by then)
    const lines: string[] = [];
    const reader = p.stdout.pipeThrough(new TextDecoderStream()).getReader();
    let buffered = "";
    while (!lines.some((l) => l.includes("speech_started"))) {
      const { done, value } = await reader.read();
      if (done) break;
      buffered += value;
      const parts = buffered.split("\n");
      buffered = parts.pop()!;
      lines.push(...parts);
    }
    p.kill("SIGINT");
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      buffered += value;
    }
    lines.push(...buffered.split("\n").filter(Boolean));
    expect(await p.exited).toBe(0);
    const events = lines.map((l) => JSON.parse(l));
    expect(events.map((e) => e.type)).toEqual(["speech_started", "speech_stopped", "committed", "utterance"]);
  }, 60_000);

  test("usage errors exit 2 naming the flag; a missing file exits 1", () => {
    for (const [flag, value] of [["--input-format", "mp3"], ["--rate", "fast"], ["--partial-mode", "often"], ["--partial-interval-ms", "50"], ["--language", "klingon"]] as const) {
      const r = sona([model, s16, flag, value]);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain(flag);
    }
    const missing = sona([model, join(dir, "nope.raw")]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain("no such file");
  }, 60_000);
});
