// The one-file binary (issue 4): dist/sona alone in an empty dir, no ffmpeg or bun on PATH, a fresh
// HOME. Builds dist/sona first when it is missing (`bun scripts/build.ts`; fast once the native
// parts are cached). Fixtures are made with Debian's ffmpeg, which must be at /usr/bin/ffmpeg.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createHash } from "node:crypto";
import { closeSync, existsSync, openSync, readdirSync, readFileSync, rmSync, statSync, truncateSync, utimesSync, writeSync } from "node:fs";
import { dirname, join } from "node:path";
import { decodeWithFfmpeg } from "../src/audio/ffmpeg.ts";
import { CPU_LEVELS, chooseCpuLevel, cpuFlags } from "../src/engine/cpu.ts";
import { libraryFile } from "../src/engine/library.ts";
import { EMBEDDED_VAD } from "../src/vad/model.ts";
import {
  ensureBuilt, FIXTURE_SECONDS, makeFixtures, readyLine, rmsDb, ROOT, run, type Sandbox, sandbox, SYSTEM_FFMPEG,
} from "./helpers/packaged.ts";

const MODEL = join(ROOT, "models/synth-micro.en.bin");
const JFK = join(ROOT, "test/fixtures/jfk.wav");
const supported = process.platform === "linux" && process.arch === "x64" && existsSync(SYSTEM_FFMPEG);
const flags = cpuFlags();
const best = chooseCpuLevel(flags).level.name;
const sha = (p: string) => createHash("sha256").update(readFileSync(p)).digest("hex");

let box: Sandbox;
let fixtures: Record<string, string>;
let home: string; // one HOME shared by the tests that need a warm cache
let cache: string; // its cache dir, learned from --version
const env = (h: string | null, extra: Record<string, string> = {}) => ({ PATH: box.path, ...(h ? { HOME: h } : {}), ...extra });
/** stderr without the plain progress lines a transcription prints when stderr is not a terminal */
const quiet = (stderr: string) => stderr.replace(/^transcribing \d+%( eta \S+)?\n/gm, "");
const transcribe = (h: string, file: string, extra: Record<string, string> = {}, format = "verbose_json") =>
  run(box.bin, ["transcribe", MODEL, file, "--no-fallback", "-f", format], env(h, extra));

describe.skipIf(!supported)("packaged binary", () => {
  beforeAll(async () => {
    ensureBuilt();
    box = sandbox();
    fixtures = await makeFixtures(box.dir);
    home = box.home();
  }, 900_000);
  afterAll(() => box && rmSync(box.dir, { recursive: true, force: true }));

  test("the PATH it runs under has neither ffmpeg nor bun", () => {
    expect(Bun.which("ffmpeg", { PATH: box.path })).toBeNull();
    expect(Bun.which("bun", { PATH: box.path })).toBeNull();
    expect(readdirSync(dirname(box.bin))).toEqual(["sona"]);
  });

  test("--help and serve's ready line unpack nothing", async () => {
    const h = box.home();
    const help = await run(box.bin, ["--help"], env(h));
    expect(help.code).toBe(0);
    expect(help.stdout).toContain("transcribe");
    const ready = await readyLine(box.bin, env(h));
    expect(JSON.parse(ready.line)).toMatchObject({ status: "ready", version: expect.any(String), commit: expect.any(String) });
    expect(ready.health).toEqual({ status: "ok", slots: { busy: 0, total: 1, queued: 0 } });
    expect(existsSync(join(h, ".cache"))).toBe(false);
  });

  test("--version: versions, commit, the CPU level and why, the bundled ffmpeg", async () => {
    const r = await run(box.bin, ["--version"], env(home));
    expect(r.code).toBe(0);
    const [sona, whisper, lib, ffmpeg, vad] = r.stdout.trim().split("\n");
    expect(sona).toMatch(/^sona \d+\.\d+\.\d+ \(commit (\w{8}|dev)\)$/);
    expect(whisper).toMatch(/^whisper\.cpp v\d+\.\d+\.\d+$/);
    expect(lib).toStartWith(`libwhisper: ${best}, best supported by this CPU`);
    expect(ffmpeg).toMatch(/^ffmpeg: 5\.1\.9-\S+-sona \(bundled: .+\/ffmpeg\)$/);
    cache = /bundled: (.+)\/ffmpeg\)$/.exec(ffmpeg!)![1]!;
    expect(cache.startsWith(join(home, ".cache", "sona") + "/")).toBe(true);
    // what was unpacked is exactly what was built
    for (const f of ["ffmpeg", libraryFile(best), "ffmpeg-COPYING.LGPLv2.1"]) expect(sha(join(cache, f))).toBe(sha(join(ROOT, "lib", f)));
    expect(statSync(join(cache, "ffmpeg")).mode & 0o111).toBe(0o111);
    expect(vad).toBe(`vad: silero-v6.2.0 (Silero VAD, MIT; embedded: ${join(cache, "ggml-silero-v6.2.0.bin")})`);
    expect(sha(join(cache, "ggml-silero-v6.2.0.bin"))).toBe(EMBEDDED_VAD.sha256);
    expect(readFileSync(join(cache, "silero-vad-LICENSE"), "utf8")).toContain("MIT License");
  });

  test("sona vad and transcribe --stable-timestamps run on the embedded VAD model, offline, from a fresh HOME", async () => {
    const h = box.home();
    const spans = await run(box.bin, ["vad", JFK], env(h));
    expect(spans.stderr).toBe("");
    const body = JSON.parse(spans.stdout) as { model: string; spans: { start: number; end: number }[] };
    expect(body.model).toBe("silero-v6.2.0");
    expect(body.spans.length).toBeGreaterThanOrEqual(4);
    const r = await run(box.bin, ["transcribe", MODEL, JFK, "--no-fallback", "--stable-timestamps", "-f", "verbose_json"], env(h));
    expect(r.code).toBe(0);
    for (const seg of JSON.parse(r.stdout).segments as { start: number; end: number }[]) {
      expect(body.spans.some((s) => seg.start >= s.start - 0.01 && seg.end <= s.end + 0.01)).toBe(true);
    }
  });

  for (const name of ["speech.wav", "speech.mp3", "speech.m4a", "speech.ogg", "speech.webm", "speech.flac", "video.mp4"]) {
    test(`transcribe ${name}`, async () => {
      const r = await transcribe(home, fixtures[name]!);
      expect(quiet(r.stderr)).toBe("");
      expect(r.code).toBe(0);
      const out = JSON.parse(r.stdout);
      expect(out.duration).toBeCloseTo(FIXTURE_SECONDS, 1);
      expect(out.segments.length).toBeGreaterThan(0);
    });
  }

  test("the bundled ffmpeg decodes like Debian's: same sample count and level", async () => {
    const bundled = join(cache, "ffmpeg");
    for (const [name, file] of Object.entries(fixtures)) {
      const ours = await decodeWithFfmpeg(file, { ffmpegPath: bundled });
      const theirs = await decodeWithFfmpeg(file, { ffmpegPath: SYSTEM_FFMPEG });
      expect({ name, diff: Math.abs(ours.samples.length - theirs.samples.length) <= 4 }).toEqual({ name, diff: true });
      expect(ours.samples.length / 16000).toBeCloseTo(FIXTURE_SECONDS, 1);
      expect(Math.abs(rmsDb(ours.samples) - rmsDb(theirs.samples))).toBeLessThan(0.5);
    }
  });

  test("two copies started at once on an empty cache both work", async () => {
    for (let round = 0; round < 3; round++) {
      const h = box.home();
      const [a, b] = await Promise.all([0, 1].map(() => transcribe(h, fixtures["speech.mp3"]!, {}, "text")));
      expect([a!.code, b!.code, quiet(a!.stderr), quiet(b!.stderr)]).toEqual([0, 0, "", ""]);
      expect(a!.stdout).toBe(b!.stdout);
      const dir = join(h, ".cache", "sona", readdirSync(join(h, ".cache", "sona"))[0]!);
      expect(readdirSync(dir).filter((f) => f.endsWith(".tmp"))).toEqual([]);
      expect(sha(join(dir, "ffmpeg"))).toBe(sha(join(ROOT, "lib", "ffmpeg")));
      expect(sha(join(dir, libraryFile(best)))).toBe(sha(join(ROOT, "lib", libraryFile(best))));
    }
  });

  test("a damaged cache is detected and replaced", async () => {
    const lib = join(cache, libraryFile(best));
    // one flipped byte, with mtime put back: only the content and ctime change
    const before = statSync(lib);
    const fd = openSync(lib, "r+");
    const at = Math.floor(before.size / 2);
    writeSync(fd, new Uint8Array([readFileSync(lib)[at]! ^ 0xff]), 0, 1, at);
    closeSync(fd);
    utimesSync(lib, before.atime, before.mtime);
    truncateSync(join(cache, "ffmpeg"), 1000);
    expect(sha(lib)).not.toBe(sha(join(ROOT, "lib", libraryFile(best))));
    const r = await transcribe(home, fixtures["speech.mp3"]!, {}, "text");
    expect([r.code, quiet(r.stderr)]).toEqual([0, ""]);
    expect(sha(lib)).toBe(sha(join(ROOT, "lib", libraryFile(best))));
    expect(sha(join(cache, "ffmpeg"))).toBe(sha(join(ROOT, "lib", "ffmpeg")));
  });

  test("no usable HOME: the cache goes to a private dir under TMPDIR", async () => {
    for (const h of ["/dev/null", null]) {
      const tmp = box.home();
      const r = await run(box.bin, ["--version"], env(h, { TMPDIR: tmp }));
      expect(r.code).toBe(0);
      expect(r.stdout).toContain(`(bundled: ${tmp}/sona-${process.getuid!()}/`);
      expect(statSync(join(tmp, `sona-${process.getuid!()}`)).mode & 0o777).toBe(0o700);
    }
  });

  for (const { name: level, requires } of CPU_LEVELS) {
    const ok = requires.every((f) => flags.has(f));
    test(`SONA_CPU_LEVEL=${level} ${ok ? "works" : "fails with one line, not SIGILL"}`, async () => {
      const forced = { SONA_CPU_LEVEL: level };
      const r = await transcribe(home, fixtures["speech.wav"]!, forced, "text");
      const version = await run(box.bin, ["--version"], env(home, forced));
      expect(version.code).toBe(0);
      if (ok) {
        expect([r.code, quiet(r.stderr)]).toEqual([0, ""]);
        expect(version.stdout).toContain(`libwhisper: ${level}, forced by SONA_CPU_LEVEL: ${cache}/${libraryFile(level)}`);
      } else {
        expect(r.signal).toBeNull();
        expect(r.code).toBe(1);
        expect(r.stderr).toMatch(new RegExp(`^sona: error: SONA_CPU_LEVEL=${level} needs .+, which this CPU lacks\\n$`));
        expect(version.stdout).toContain("libwhisper: unavailable (SONA_CPU_LEVEL=");
        expect(existsSync(join(cache, libraryFile(level)))).toBe(false);
      }
    });
  }
});
