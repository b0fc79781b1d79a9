// Property-based fuzzing of the parsers that see untrusted input: WAV files, model files,
// transcription options, and the Host and Origin headers every request passes first.
// Inputs are valid fixtures mutated the ways real bad files are bad: truncation, bit flips, lying
// or huge sizes, zero and absurd rates and channel counts, wrong magic. Every input must end in a
// valid result or a clean SonaError, with bounded output and no temp file left behind; uploaded
// WAV headers with absurd fields get 4xx, and never more samples than the bytes or the duration cap allow.
// FUZZ_SCALE=10 (or more) runs the long mode on demand; CI runs the default (> 10,000 cases).
import { afterAll, describe, expect, test } from "bun:test";
import fc from "fast-check";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { makeWav } from "../src/audio/_testing.ts";
import { decodeAudio, parseWav } from "../src/audio/index.ts";
import { isSonaError } from "../src/errors.ts";
import { WhisperEngine } from "../src/engine/index.ts";
import { validateModelFile } from "../src/models/validate.ts";
import { validateVadFile } from "../src/models/validate-vad.ts";
import { VENDORED_VAD_PATH } from "../src/vad/model.ts";
import { DEFAULT_VAD_PARAMS } from "../src/vad/params.ts";
import { OPTION_SPECS, parseOptions } from "../src/options.ts";
import { createApp } from "../src/server/app.ts";
import { hostName, hostPolicy } from "../src/server/hosts.ts";
import { modelBytes } from "../scripts/make-test-model.ts";
import { FakeEngine } from "./fake-engine.ts";

const SCALE = Number(process.env.FUZZ_SCALE ?? 1);
const runs = (n: number) => Math.round(n * SCALE);
const dir = mkdtempSync(join(existsSync("/dev/shm") ? "/dev/shm" : tmpdir(), "sona-fuzz-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A byte-level mutation of a valid file. */
const mutation = (size: number) =>
  fc.oneof(
    fc.record({ kind: fc.constant("truncate" as const), at: fc.nat({ max: size }) }),
    fc.record({ kind: fc.constant("flip" as const), at: fc.nat({ max: size - 1 }), bit: fc.nat({ max: 7 }) }),
    fc.record({ kind: fc.constant("u32" as const), at: fc.nat({ max: size - 4 }), value: fc.oneof(fc.constantFrom(0, 1, 0xffffffff, 0x7fffffff, 0x80000000), fc.nat()) }),
    fc.record({ kind: fc.constant("u16" as const), at: fc.nat({ max: size - 2 }), value: fc.constantFrom(0, 1, 2, 3, 0xfffe, 0xffff, 255, 256) }),
    fc.record({ kind: fc.constant("splice" as const), at: fc.nat({ max: size }), bytes: fc.uint8Array({ maxLength: 64 }) }),
  );
type Mutation = typeof mutation extends (n: number) => fc.Arbitrary<infer M> ? M : never;

function mutate(base: Uint8Array, ms: Mutation[]): Uint8Array {
  let b = base.slice();
  for (const m of ms) {
    const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
    if (m.kind === "truncate") b = b.slice(0, Math.min(m.at, b.length));
    else if (m.kind === "flip" && m.at < b.length) b[m.at]! ^= 1 << m.bit;
    else if (m.kind === "u32" && m.at + 4 <= b.length) v.setUint32(m.at, m.value >>> 0, true);
    else if (m.kind === "u16" && m.at + 2 <= b.length) v.setUint16(m.at, m.value, true);
    else if (m.kind === "splice") {
      const at = Math.min(m.at, b.length);
      const out = new Uint8Array(b.length + m.bytes.length);
      out.set(b.subarray(0, at));
      out.set(m.bytes, at);
      out.set(b.subarray(at), at + m.bytes.length);
      b = out;
    }
  }
  return b;
}

/** Runs fn and checks it ends in a result or a SonaError with one of `codes`. (That it ends at all
 * is the test's timeout; how fast is not asserted: a loaded machine may be slow.) */
async function clean<T>(fn: () => T | Promise<T>, codes: string[]): Promise<T | undefined> {
  try {
    return await fn();
  } catch (err) {
    if (!isSonaError(err) || !codes.includes(err.code)) throw err;
    expect(err.message).not.toContain("\n");
    return undefined;
  }
}

const WAV_FIXTURES = [
  makeWav({ rate: 16000, channels: 1, bits: 16, samples: new Float32Array(400).map((_, i) => Math.sin(i / 7)) }),
  makeWav({ rate: 44100, channels: 2, bits: 24, samples: new Float32Array(600).map((_, i) => Math.sin(i / 5) / 2) }),
  makeWav({ rate: 48000, channels: 6, bits: 32, float: true, extensible: true, samples: new Float32Array(1200).fill(0.25) }),
  makeWav({ rate: 8000, channels: 1, bits: 8, samples: new Float32Array(300).fill(-0.5), before: [{ id: "LIST", body: new Uint8Array(5) }] }),
];

describe("fuzz", () => {
  test("WAV parser: mutated files give samples or invalid_audio", async () => {
    await fc.assert(
      fc.asyncProperty(fc.nat({ max: WAV_FIXTURES.length - 1 }), fc.array(mutation(1500), { minLength: 1, maxLength: 4 }), async (i, ms) => {
        const bytes = mutate(WAV_FIXTURES[i]!, ms);
        const wav = await clean(() => parseWav(bytes), ["invalid_audio"]);
        if (wav) {
          expect(wav.samples.length).toBeLessThanOrEqual(bytes.length); // no allocation beyond the input
          expect(wav.sampleRate).toBeGreaterThan(0);
        }
      }),
      { numRuns: runs(5000), seed: 1 },
    );
  }, 300_000);

  test("decodeAudio on mutated WAV files: 16 kHz samples or a clean error, and no temp files", async () => {
    const path = join(dir, "input.wav");
    // a private temp dir, so other processes' temp files cannot blur the count
    const tmp = join(dir, "tmp");
    mkdirSync(tmp);
    const savedTmp = process.env.TMPDIR;
    process.env.TMPDIR = tmp;
    await fc.assert(
      fc.asyncProperty(fc.nat({ max: WAV_FIXTURES.length - 1 }), fc.array(mutation(1500), { minLength: 1, maxLength: 3 }), async (i, ms) => {
        const bytes = mutate(WAV_FIXTURES[i]!, ms);
        writeFileSync(path, bytes);
        const audio = await clean(() => decodeAudio(path), ["invalid_audio", "too_large"]);
        if (audio) expect(audio.samples.every(Number.isFinite)).toBe(true);
      }),
      { numRuns: runs(300), seed: 2 },
    );
    if (savedTmp === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = savedTmp;
    expect(readdirSync(tmp)).toEqual([]);
  }, 300_000);

  test("model validator: mutated models are accepted or rejected as invalid_model", async () => {
    const base = modelBytes({ preset: "micro" });
    const path = join(dir, "model.bin");
    const headerAndVocab = 700_000; // mutations where the parser does its work
    await fc.assert(
      fc.asyncProperty(fc.array(fc.oneof(mutation(headerAndVocab), mutation(base.length)), { minLength: 1, maxLength: 3 }), async (ms) => {
        writeFileSync(path, mutate(base, ms));
        await clean(() => validateModelFile(path), ["invalid_model"]);
      }),
      { numRuns: runs(1000), seed: 3 },
    );
  }, 300_000);

  test("VAD model validator: mutated Silero files are rejected, or whisper.cpp runs them without harm", async () => {
    const base = await Bun.file(VENDORED_VAD_PATH).bytes();
    const path = join(dir, "silero.bin");
    const engine = new WhisperEngine();
    const speech = (await decodeAudio(join(import.meta.dir, "fixtures/jfk.wav"))).samples.subarray(0, 32000);
    let ran = 0;
    try {
      await fc.assert(
        fc.asyncProperty(fc.array(fc.oneof(mutation(400), mutation(base.length)), { minLength: 1, maxLength: 3 }), async (ms) => {
          writeFileSync(path, mutate(base, ms));
          const ok = await clean(() => validateVadFile(path), ["invalid_model"]);
          if (!ok) return;
          // accepted: damaged weights at most, which whisper.cpp must compute with, not crash on
          const found = await engine.detectSpeech(speech.slice(), { modelPath: path, params: DEFAULT_VAD_PARAMS });
          expect(Array.isArray(found.spans)).toBe(true);
          ran++;
        }),
        { numRuns: runs(300), seed: 5 },
      );
      expect(ran).toBeGreaterThan(0);
    } finally {
      await engine.close();
    }
  }, 300_000);

  test("option parser: any field values give options or invalid_request naming a known field", () => {
    const fields = OPTION_SPECS.map((s) => s.field);
    const value = fc.oneof(
      fc.string({ maxLength: 20 }),
      fc.constantFrom("true", "false", "1", "0", "yes", "nan", "Infinity", "-1", "1e309", "0x10", " 2 ", "", "auto", "en", "verbose_json", "word"),
      fc.double().map(String),
      fc.integer().map(String),
      fc.array(fc.string({ maxLength: 8 }), { maxLength: 4 }),
      fc.string({ minLength: 5000, maxLength: 200_000 }),
    );
    fc.assert(
      fc.property(fc.dictionary(fc.constantFrom(...fields, "unknown_field"), value, { maxKeys: 8 }), (raw) => {
        try {
          const o = parseOptions(raw);
          if (o.threads !== undefined) expect(Number.isInteger(o.threads) && o.threads >= 1).toBe(true);
          expect(o.temperature).toBeGreaterThanOrEqual(0);
          expect(o.temperature).toBeLessThanOrEqual(1);
        } catch (err) {
          if (!isSonaError(err) || err.code !== "invalid_request") throw err;
          expect(fields).toContain(err.param!);
          expect(err.message.length).toBeLessThan(400); // never echoes an enormous value
        }
      }),
      { numRuns: runs(4000), seed: 4 },
    );
  }, 300_000);

  test("uploaded WAV headers with absurd rates, lengths and bit depths: 200 or 4xx, samples bounded by the bytes and the cap", async () => {
    const engine = new FakeEngine();
    await engine.load("fake.en.bin");
    const tmp = join(dir, "uploads");
    mkdirSync(tmp);
    const maxSec = 3;
    const app = createApp({ engine, log: () => {}, tmpDir: tmp, maxAudioDurationSec: maxSec });
    const u32 = fc.oneof(fc.constantFrom(0, 1, 999, 1000, 16000, 44100, 1_000_000, 1_000_001, 0x7fffffff, 0xffffffff), fc.nat());
    const u16 = fc.oneof(fc.constantFrom(0, 1, 2, 3, 4, 8, 12, 16, 20, 24, 32, 64, 256, 257, 0xffff), fc.nat({ max: 0xffff }));
    // each field sane or absurd, so that some headers decode (and some pass the cap) and the rest are refused
    const header = fc.record({
      formatTag: fc.constantFrom(1, 1, 3, 6, 7, 0xfffe),
      channels: fc.oneof(fc.constantFrom(1, 2), u16),
      rate: fc.oneof(fc.constantFrom(1000, 8000, 16000, 48000), u32),
      byteRate: u32,
      blockAlign: fc.oneof(fc.constant(0), u16),
      bits: fc.oneof(fc.constantFrom(8, 16, 24, 32), u16),
      dataSize: u32,
      body: fc.nat({ max: 12_000 }),
    });
    await fc.assert(
      fc.asyncProperty(header, async (h) => {
        const bytes = new Uint8Array(44 + h.body);
        const v = new DataView(bytes.buffer);
        bytes.set(new TextEncoder().encode("RIFF\0\0\0\0WAVEfmt "));
        v.setUint32(4, 36 + h.body, true);
        v.setUint32(16, 16, true);
        v.setUint16(20, h.formatTag, true);
        v.setUint16(22, h.channels, true);
        v.setUint32(24, h.rate, true);
        v.setUint32(28, h.byteRate, true);
        v.setUint16(32, h.blockAlign, true);
        v.setUint16(34, h.bits, true);
        bytes.set(new TextEncoder().encode("data"), 36);
        v.setUint32(40, h.dataSize, true);
        for (let i = 44; i < bytes.length; i++) bytes[i] = (i * 37) & 0xff;
        const form = new FormData();
        form.append("file", new Blob([bytes]), "fuzz.wav");
        const calls = engine.calls.length;
        const res = await app.handle(new Request("http://127.0.0.1/v1/audio/transcriptions", { method: "POST", body: form }));
        if (res.status !== 200) {
          expect([400, 413]).toContain(res.status);
          expect(["invalid_audio", "audio_too_long"]).toContain((await res.json()).error.code);
          return;
        }
        // 1 kHz 8-bit mono is the most a byte can become: 16 samples; never past the cap
        const samples = engine.calls[calls]!.samples;
        expect(samples).toBeLessThanOrEqual(16 * h.body + 1024);
        expect(samples).toBeLessThanOrEqual(maxSec * 16000);
      }),
      { numRuns: runs(400), seed: 6 },
    );
    expect(readdirSync(tmp)).toEqual([]);
  }, 300_000);

  test("Host and Origin headers: 200 only for allowed names, otherwise 403 in the error format; never a 5xx", async () => {
    const app = createApp({ engine: new FakeEngine(), log: () => {}, allowedHosts: ["sona.example.org"] });
    const policy = hostPolicy({ allowed: ["sona.example.org"] });
    const label = fc.oneof(fc.constantFrom("localhost", "127.0.0.1", "[::1]", "sona.example.org", "evil.example", "0x7f.1", "2130706433", "xn--e1a", "LOCALHOST.", ""), fc.string({ maxLength: 30 }));
    const host = fc.tuple(label, fc.oneof(fc.constant(""), fc.nat({ max: 70000 }).map((p) => `:${p}`), fc.string({ maxLength: 6 }))).map(([h, p]) => h + p);
    const origin = fc.oneof(fc.constant(null), host.map((h) => `http://${h}`), fc.constantFrom("null", "file://", "https://localhost.evil.example"), fc.string({ maxLength: 40 }));
    // header values the Fetch API accepts at all (no CR/LF/NUL)
    const legal = (v: string) => !/[\0\r\n]/.test(v) && v.trim() === v;
    await fc.assert(
      fc.asyncProperty(host, origin, async (h, o) => {
        fc.pre(legal(h) && (o === null || legal(o)));
        const headers: Record<string, string> = { host: h };
        if (o !== null) headers.origin = o;
        const res = await app.handle(new Request("http://127.0.0.1/v1/models", { headers }));
        const allowed = policy.allowsHost(h) && (o === null || policy.allowsOrigin(o));
        expect(res.status).toBe(allowed ? 200 : 403);
        if (!allowed) expect((await res.json()).error.code).toBe("forbidden");
        // an allowed name is always a loopback name or address, or the configured one
        if (allowed) expect(hostName(h)).toMatch(/^(localhost|.*\.localhost|127\.\d+\.\d+\.\d+|\[::1\]|sona\.example\.org)$/);
      }),
      { numRuns: runs(3000), seed: 5 },
    );
  }, 300_000);
});
