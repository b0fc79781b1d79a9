// `sona transcribe` end to end: the real CLI in a child process, the real engine, the micro model.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { syntheticSpeech, wavBytes } from "./helpers/audio.ts";

const root = join(import.meta.dir, "..");
const model = join(root, "models/synth-micro.en.bin");
let dir: string;
let wav: string;

function sona(...args: string[]) {
  const p = Bun.spawnSync([process.execPath, join(root, "src/main.ts"), ...args], {
    env: { ...process.env, NO_COLOR: "1", TMPDIR: dir },
    stdout: "pipe",
    stderr: "pipe",
  });
  return { code: p.exitCode, stdout: p.stdout.toString(), stderr: p.stderr.toString() };
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "sona-cli-"));
  wav = join(dir, "speech.wav");
  writeFileSync(wav, wavBytes(syntheticSpeech(4)));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("sona transcribe", () => {
  const base = () => [model, wav, "--no-fallback"];

  test("json (default) is {text, usage} on stdout, nothing else", () => {
    const r = sona("transcribe", ...base());
    expect(r.code).toBe(0);
    expect(Object.keys(JSON.parse(r.stdout))).toEqual(["text", "usage"]);
    expect(r.stdout.trim().split("\n")).toHaveLength(1);
  });

  test("text", () => {
    const r = sona("transcribe", ...base(), "-f", "text");
    expect(r.code).toBe(0);
    const json = JSON.parse(sona("transcribe", ...base()).stdout);
    expect(r.stdout).toBe(`${json.text}\n`);
  });

  test("verbose_json with word timestamps", () => {
    const r = sona("transcribe", ...base(), "-f", "verbose_json", "--word-timestamps");
    expect(r.code).toBe(0);
    const v = JSON.parse(r.stdout);
    expect(v).toMatchObject({ task: "transcribe", language: "english" });
    expect(v.duration).toBeCloseTo(4, 2);
    expect(v.segments.length).toBeGreaterThan(0);
    for (const k of ["id", "seek", "start", "end", "text", "tokens", "temperature", "avg_logprob", "compression_ratio", "no_speech_prob"]) {
      expect(v.segments[0]).toHaveProperty(k);
    }
    expect(Array.isArray(v.words)).toBe(true);
    for (const w of v.words) expect(w.end).toBeGreaterThanOrEqual(w.start);
  });

  test("srt and vtt have the original's cue layout", () => {
    const srt = sona("transcribe", ...base(), "-f", "srt");
    expect(srt.code).toBe(0);
    expect(srt.stdout).toMatch(/^1\n\d\d:\d\d:\d\d,\d{3} --> \d\d:\d\d:\d\d,\d{3}\n.+\n/);
    const vtt = sona("transcribe", ...base(), "-f", "vtt");
    expect(vtt.code).toBe(0);
    expect(vtt.stdout).toMatch(/^WEBVTT\n\n\d\d:\d\d:\d\d\.\d{3} --> \d\d:\d\d:\d\d\.\d{3}\n/);
  });

  test("-o writes the file and leaves stdout empty", () => {
    const out = join(dir, "out.srt");
    const r = sona("transcribe", ...base(), "-f", "srt", "-o", out);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe("");
    expect(Bun.file(out).size).toBeGreaterThan(0);
  });

  test("non-WAV input goes through ffmpeg", () => {
    const mp3 = join(dir, "speech.mp3");
    expect(Bun.spawnSync(["ffmpeg", "-loglevel", "error", "-y", "-i", wav, mp3]).exitCode).toBe(0);
    const r = sona("transcribe", model, mp3, "--no-fallback", "-f", "verbose_json");
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).duration).toBeCloseTo(4, 1);
  });
});

describe("errors are one line on stderr with the right exit code", () => {
  const cases: [string, string[], number, RegExp][] = [
    ["missing model", ["transcribe", "/nonexistent/model.bin", "AUDIO"], 1, /model file not found/],
    ["not a model", ["transcribe", "AUDIO", "AUDIO"], 1, /not a whisper\.cpp model/],
    ["missing audio", ["transcribe", "MODEL", "/nonexistent.wav"], 1, /cannot open audio file/],
    ["empty audio", ["transcribe", "MODEL", "EMPTY"], 1, /no samples/],
    ["garbage audio", ["transcribe", "MODEL", "GARBAGE"], 1, /could not decode|invalid/],
    ["bad format", ["transcribe", "MODEL", "AUDIO", "-f", "xml"], 2, /response_format|format/],
    ["bad number", ["transcribe", "MODEL", "AUDIO", "--threads", "two"], 2, /--threads/],
    ["bad language", ["transcribe", "MODEL", "AUDIO", "--language", "klingon"], 2, /unknown language/],
    ["unknown flag", ["transcribe", "MODEL", "AUDIO", "--temprature", "0.2"], 2, /unknown option '--temprature'/],
    ["missing argument", ["transcribe", "MODEL"], 2, /AUDIO/],
    ["unknown command", ["transcibe"], 2, /unknown command/],
  ];
  for (const [name, args, code, message] of cases) {
    test(name, () => {
      writeFileSync(join(dir, "empty.wav"), "");
      writeFileSync(join(dir, "garbage.mp3"), crypto.getRandomValues(new Uint8Array(4096)));
      const subst = args.map((a) => ({ MODEL: model, AUDIO: wav, EMPTY: join(dir, "empty.wav"), GARBAGE: join(dir, "garbage.mp3") })[a] ?? a);
      const before = readdirSync(dir).sort();
      const r = sona(...subst);
      expect(r.code).toBe(code);
      expect(r.stdout).toBe("");
      expect(r.stderr).toMatch(message);
      expect(r.stderr.split("\n")[0]).toMatch(/^sona: /);
      if (code === 1) expect(r.stderr.trim().split("\n")).toHaveLength(1);
      expect(readdirSync(dir).sort()).toEqual(before); // no temp files left behind
    });
  }
});
