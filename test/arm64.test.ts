// dist/sona-linux-arm64 under qemu-aarch64 (issue 14): --version and info name the target and the
// CPU level, a WAV and an MP3 transcribe, serve answers, and the result agrees with the arm64
// whisper-cli built from the same source (lib/linux-arm64/whisper-cli) under the same qemu: same
// segments and token ids. Emulation is slow (about 1.5 s per start, then minutes per transcription
// on a busy 2-core machine), so the set is short and one run covers both inputs.
//
// qemu-user emulates one process: a child the emulated sona spawns is exec'd by the host kernel,
// which cannot run an aarch64 ffmpeg unless binfmt_misc hands it to qemu (qemu-user-binfmt, not
// something a test may switch on for the whole machine). So ffmpeg is given as SONA_FFMPEG_PATH: a
// shell script (run natively) that starts the bundled arm64 ffmpeg, as unpacked by sona itself,
// under qemu. On real arm64 hardware none of this applies.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseSync } from "subtitle";
import { ARM64_LEVELS } from "../src/engine/cpu.ts";
import { ROOT, SYSTEM_FFMPEG } from "./helpers/packaged.ts";

const BIN = join(ROOT, "dist/sona-linux-arm64");
const CLI = join(ROOT, "lib/linux-arm64/whisper-cli");
const QEMU = Bun.which("qemu-aarch64");
const SYSROOT = "/usr/aarch64-linux-gnu"; // libc6-arm64-cross: the dynamic loader and glibc
const MODEL = join(ROOT, "models/synth-micro.en.bin");
const OTHER_MODEL = join(ROOT, "models/synth-micro.bin");
const JFK = join(ROOT, "test/fixtures/jfk.wav");
const BEST = ARM64_LEVELS.at(-1)!.name;
const MINUTES = 60_000;

let dir: string;
let home: string;
let cache: string; // where sona unpacked its embedded files (from --version)
let env: Record<string, string>;

function qemu(args: string[], extra: Record<string, string> = {}) {
  return Bun.spawn([QEMU!, "-L", SYSROOT, ...args], { env: { ...env, ...extra }, stdin: "ignore", stdout: "pipe", stderr: "pipe" });
}

async function run(args: string[], extra: Record<string, string> = {}) {
  const p = qemu(args, extra);
  const [stdout, stderr, code] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text(), p.exited]);
  return { code, stdout, stderr };
}

interface Seg { start: number; end: number; text: string; tokens: number[]; avgLogprob: number }
// control tokens as whisper.cpp prints them; verbose_json lists text tokens only (src/format/words.ts)
const CONTROL = /^(\[_[A-Z0-9_]*\]|<\|[^|]*\|>)$/;

/**
 * The arm64 whisper-cli under qemu: greedy, no fallback, one thread, tokens in JSON. Its segment
 * times are clamped to the audio's `duration`, as Sona's are (src/format/timing.ts: whisper may
 * end the last segment past the end of the audio).
 */
async function whisperCli(model: string, wav: string, duration: number): Promise<Seg[]> {
  const out = join(dir, `cli-${Math.random().toString(36).slice(2)}`);
  const r = await run([CLI, "-m", model, "-f", wav, "-t", "1", "-l", "en", "-nf", "-bs", "1", "-bo", "1", "-ojf", "-of", out, "-np"]);
  expect(r.code).toBe(0);
  const json = JSON.parse(readFileSync(`${out}.json`, "utf8"));
  return json.transcription.map((s: { offsets: { from: number; to: number }; text: string; tokens: { id: number; text: string; p: number }[] }) => {
    const text = s.tokens.filter((t) => !CONTROL.test(t.text));
    return {
      start: Math.min(s.offsets.from / 1000, duration),
      end: Math.min(s.offsets.to / 1000, duration),
      text: s.text,
      tokens: text.map((t) => t.id),
      avgLogprob: text.length ? text.reduce((sum, t) => sum + Math.log(t.p), 0) / text.length : 0,
    };
  });
}

function differences(a: Seg[], b: Seg[]): string[] {
  const out: string[] = [];
  if (a.length !== b.length) out.push(`segment count ${a.length} vs ${b.length}`);
  a.forEach((s, i) => {
    const t = b[i];
    if (!t) return;
    if (Math.abs(s.start - t.start) > 1e-6 || Math.abs(s.end - t.end) > 1e-6) out.push(`segment ${i} time ${s.start}-${s.end} vs ${t.start}-${t.end}`);
    if (s.tokens.join() !== t.tokens.join()) out.push(`segment ${i} token ids ${s.tokens.join()} vs ${t.tokens.join()}`);
    if (s.text.trim() !== t.text.trim()) out.push(`segment ${i} text ${JSON.stringify(s.text)} vs ${JSON.stringify(t.text)}`);
    // whisper-cli prints p with 6 significant digits: the same probabilities, to that precision
    if (Math.abs(s.avgLogprob - t.avgLogprob) > 1e-4) out.push(`segment ${i} avg_logprob ${s.avgLogprob} vs ${t.avgLogprob}`);
  });
  return out;
}

const ready = existsSync(BIN) && existsSync(CLI) && QEMU !== null && existsSync(SYSTEM_FFMPEG);

// npm test builds both (scripts/build.ts --target linux-arm64); without them this says what is missing
test("the arm64 binary, its whisper-cli, qemu-aarch64 and the fixture ffmpeg are there", () => {
  expect({ binary: existsSync(BIN), whisperCli: existsSync(CLI), qemu: QEMU !== null, ffmpeg: existsSync(SYSTEM_FFMPEG) }).toEqual({
    binary: true, whisperCli: true, qemu: true, ffmpeg: true,
  });
});

describe.if(ready)("linux-arm64 under qemu-aarch64", () => {
  let wavSegs: Seg[];
  let duration: number;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "sona-arm64-"));
    home = join(dir, "home");
    mkdirSync(home);
    env = { HOME: home, PATH: "/usr/bin:/bin" };
    const mp3 = Bun.spawnSync([SYSTEM_FFMPEG, "-loglevel", "error", "-i", JFK, "-ac", "2", "-ar", "44100", "-c:a", "libmp3lame", "-b:a", "96k", join(dir, "speech.mp3")]);
    expect(mp3.exitCode).toBe(0);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test("--version: the target, the CPU level from HWCAP, the embedded files unpacked", async () => {
    const r = await run([BIN, "--version", "--verbose"]);
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split("\n");
    expect(lines).toContain("target: linux-arm64");
    // qemu's default CPU ("max") has the dot product and fp16: the best level
    const lib = lines.find((l) => l.startsWith("libwhisper: "))!;
    expect(lib).toStartWith(`libwhisper: ${BEST}, best supported by this CPU (has asimddp, fphp, asimdhp): `);
    cache = /: (\/.+)\/libsona-whisper-[^/]+\.so$/.exec(lib)![1]!;
    expect(cache.startsWith(join(home, ".cache", "sona") + "/")).toBe(true);
    expect(readFileSync(join(cache, `libsona-whisper-${BEST}.so`))).toEqual(readFileSync(join(ROOT, "lib/linux-arm64", `libsona-whisper-${BEST}.so`)));
    expect(readFileSync(join(cache, "ffmpeg"))).toEqual(readFileSync(join(ROOT, "lib/linux-arm64/ffmpeg")));
    // the wrapper that runs the unpacked arm64 ffmpeg under qemu (see the top of this file)
    const wrapper = join(dir, "ffmpeg");
    writeFileSync(wrapper, `#!/bin/sh\nexec ${QEMU} "${join(cache, "ffmpeg")}" "$@"\n`);
    chmodSync(wrapper, 0o755);
    env.SONA_FFMPEG_PATH = wrapper;
    const forced = await run([BIN, "--version"], { SONA_CPU_LEVEL: "armv8.0" });
    expect(forced.stdout).toContain("libwhisper: armv8.0, forced by SONA_CPU_LEVEL");
    expect(forced.stdout).toMatch(/^ffmpeg: 5\.1\.9-\S+-sona \(SONA_FFMPEG_PATH: /m);
  }, 5 * MINUTES);

  test("info: arm64, its CPU level, and whisper.cpp's NEON build", async () => {
    const r = await run([BIN, "info"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("target: linux-arm64");
    expect(r.stdout).toContain(`libwhisper: ${BEST}, `);
    expect(r.stdout).toMatch(/whisper\.cpp system info: .*NEON = 1.*DOTPROD = 1/);
  }, 5 * MINUTES);

  test("transcribe a WAV and an MP3 in one run: verbose_json and srt files", async () => {
    const out = join(dir, "out") + "/";
    mkdirSync(out);
    const t0 = performance.now();
    const r = await run([BIN, "transcribe", MODEL, JFK, join(dir, "speech.mp3"), "-f", "verbose_json,srt", "-o", out,
      "-l", "en", "--no-fallback", "--sampling-strategy", "greedy", "--beam-size", "1", "--best-of", "1", "-t", "1"]);
    console.error(`arm64 under qemu: two 11 s transcriptions (micro model) in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    expect(r.stderr).not.toContain("error");
    expect(r.code).toBe(0);
    expect(readdirSync(out).sort()).toEqual(["jfk.json", "jfk.srt", "speech.json", "speech.srt"]);
    const wav = JSON.parse(readFileSync(join(out, "jfk.json"), "utf8"));
    expect(wav.duration).toBeCloseTo(11, 0);
    expect(wav.segments.length).toBeGreaterThan(0);
    duration = wav.duration;
    wavSegs = wav.segments.map((s: Seg & { avg_logprob: number }) => ({ start: s.start, end: s.end, text: s.text, tokens: s.tokens, avgLogprob: s.avg_logprob }));
    // the MP3 went through the bundled arm64 ffmpeg; each srt says what its json says
    const mp3 = JSON.parse(readFileSync(join(out, "speech.json"), "utf8"));
    expect(mp3.duration).toBeCloseTo(11, 0);
    for (const [name, json] of [["jfk", wav], ["speech", mp3]] as const) {
      const cues = parseSync(readFileSync(join(out, `${name}.srt`), "utf8")).filter((n) => n.type === "cue");
      expect(cues.map((c) => (c.data as { text: string }).text.trim())).toEqual(json.segments.map((s: Seg) => s.text.trim()));
    }
  }, 30 * MINUTES);

  test("agreement with the arm64 whisper-cli under the same qemu: same segments, token ids and probabilities", async () => {
    expect(wavSegs?.length).toBeGreaterThan(0);
    const cli = await whisperCli(MODEL, JFK, duration);
    expect(cli.flatMap((s) => s.tokens).length).toBeGreaterThan(0);
    expect(differences(wavSegs, cli)).toEqual([]);
    // and the comparison can fail: another model's result differs
    const other = await whisperCli(OTHER_MODEL, JFK, duration);
    const diff = differences(wavSegs, other);
    console.error(`arm64 agreement against another model: ${diff.length} differences, e.g. ${diff[0]}`);
    expect(diff.length).toBeGreaterThan(0);
  }, 30 * MINUTES);

  test("serve --port 0 prints the ready line and answers one transcription", async () => {
    const p = qemu([BIN, "serve", MODEL, "--port", "0"]);
    try {
      const reader = p.stdout.getReader();
      let text = "";
      while (!text.includes("\n")) {
        const { done, value } = await reader.read();
        if (done) throw new Error(`serve exited: ${await new Response(p.stderr).text()}`);
        text += new TextDecoder().decode(value);
      }
      const line = JSON.parse(text.slice(0, text.indexOf("\n")));
      expect(line).toMatchObject({ status: "ready" });
      const form = new FormData();
      form.append("file", new Blob([readFileSync(JFK)]), "jfk.wav");
      form.append("response_format", "json");
      const fields = { language: "en", no_fallback: "true", sampling_strategy: "greedy", beam_size: "1", best_of: "1", n_threads: "1" };
      for (const [k, v] of Object.entries(fields)) form.append(k, v);
      const res = await fetch(`http://127.0.0.1:${line.port}/v1/audio/transcriptions`, { method: "POST", body: form });
      expect(res.status).toBe(200);
      const body = (await res.json()) as { text: string };
      expect(body.text).toBe(wavSegs.map((s) => s.text).join("").trim());
    } finally {
      p.kill();
      await p.exited;
    }
  }, 30 * MINUTES);
});
