// `sona vad` and the VAD flags of `sona transcribe`, end to end: the real CLI in a child process,
// the embedded Silero model, jfk.wav (real speech). The whisper model is synthetic.
import { describe, expect, test } from "bun:test";
import { join } from "node:path";

const root = join(import.meta.dir, "..");
const model = join(root, "models/synth-micro.en.bin");
const JFK = join(root, "test/fixtures/jfk.wav");

function sona(...args: string[]) {
  const p = Bun.spawnSync([process.execPath, join(root, "src/main.ts"), ...args], { env: { ...process.env, NO_COLOR: "1" }, stdout: "pipe", stderr: "pipe" });
  return { code: p.exitCode, stdout: p.stdout.toString(), stderr: p.stderr.toString() };
}

describe("sona vad", () => {
  test("prints the speech spans of jfk.wav as one JSON line", () => {
    const r = sona("vad", JFK);
    expect([r.code, r.stderr]).toEqual([0, ""]);
    const body = JSON.parse(r.stdout) as { model: string; duration: number; spans: { start: number; end: number }[] };
    expect(body.model).toBe("silero-v6.2.0");
    expect(body.duration).toBeCloseTo(11, 0);
    expect(body.spans.length).toBeGreaterThanOrEqual(4);
    expect(body.spans[0]!.start).toBeCloseTo(0.32, 1);
  });

  test("a bad tunable is a usage error naming the flag; a whisper model as --vad-model says which it is", () => {
    const bad = sona("vad", JFK, "--vad-threshold", "1.5");
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("--vad-threshold");
    const wrong = sona("vad", JFK, "--vad-model", model);
    expect(wrong.code).toBe(1);
    expect(wrong.stderr.trim().split("\n")).toHaveLength(1);
    expect(wrong.stderr).toContain("whisper model, not a VAD model");
  });
});

describe("sona transcribe with VAD", () => {
  test("--stable-timestamps: every segment inside a span that sona vad reports", () => {
    const spans = (JSON.parse(sona("vad", JFK).stdout) as { spans: { start: number; end: number }[] }).spans;
    const r = sona("transcribe", model, JFK, "--no-fallback", "--stable-timestamps", "-f", "verbose_json");
    expect(r.code).toBe(0);
    const segments = (JSON.parse(r.stdout) as { segments: { start: number; end: number }[] }).segments;
    expect(segments.length).toBeGreaterThan(0);
    for (const s of segments) expect(spans.some((p) => s.start >= p.start - 0.01 && s.end <= p.end + 0.01)).toBe(true);
  });

  test("a VAD tunable without --vad or --stable-timestamps is refused, not ignored", () => {
    const r = sona("transcribe", model, JFK, "--vad-threshold", "0.4");
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("--vad-threshold");
  });
});
