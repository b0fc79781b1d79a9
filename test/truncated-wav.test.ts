// A truncated WAV (issue 16, item 5): what is there is transcribed, and the user is told once.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { FakeEngine } from "./fake-engine.ts";
import { syntheticSpeech, wavBytes } from "./helpers/audio.ts";
import { audioForm, MICRO_EN, startTestServer, type TestServer } from "./helpers/server.ts";

// the header says 8 s; the file ends after 2 s
const truncated = wavBytes(syntheticSpeech(8)).slice(0, 44 + 2 * 16000 * 2);
const warning = /the WAV file is truncated: its header declares 8\.00 s of audio, the file holds 2\.00 s; transcribing what is there/;
let dir: string;
let file: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "sona-truncated-"));
  file = join(dir, "cut.wav");
  writeFileSync(file, truncated);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("a truncated WAV", () => {
  test("the CLI transcribes what is there and warns once on stderr", () => {
    const p = Bun.spawnSync([process.execPath, join(import.meta.dir, "../src/main.ts"), "transcribe", MICRO_EN, file, "--no-fallback", "-f", "verbose_json"], { env: { ...process.env, NO_COLOR: "1" }, stdout: "pipe", stderr: "pipe" });
    expect(p.exitCode).toBe(0);
    expect(JSON.parse(p.stdout.toString()).duration).toBeCloseTo(2, 2);
    const stderr = p.stderr.toString();
    expect(stderr).toMatch(warning);
    expect(stderr.split("truncated").length - 1).toBe(1);
  });

  test("the same WAV read from standard input warns the same way", () => {
    const p = Bun.spawnSync([process.execPath, join(import.meta.dir, "../src/main.ts"), "transcribe", MICRO_EN, "-", "--no-fallback"], { stdin: Bun.file(file), env: { ...process.env, NO_COLOR: "1" }, stdout: "pipe", stderr: "pipe" });
    expect(p.exitCode).toBe(0);
    expect(p.stderr.toString()).toMatch(warning);
  });

  describe("the server", () => {
    let server: TestServer;
    beforeAll(async () => {
      const engine = new FakeEngine();
      await engine.load(MICRO_EN);
      server = startTestServer(engine);
    });
    afterAll(() => server.close());

    test("says so in X-Sona-Warning and in verbose_json's warnings", async () => {
      const res = await fetch(`${server.base}/v1/audio/transcriptions`, { method: "POST", body: audioForm({ response_format: "verbose_json" }, truncated) });
      expect(res.status).toBe(200);
      expect(res.headers.get("x-sona-warning")).toMatch(warning);
      const body = await res.json();
      expect(body.warnings).toHaveLength(1);
      expect(body.warnings[0]).toMatch(warning);
      expect(body.duration).toBeCloseTo(2, 2);
    });

    test("a whole file has neither", async () => {
      const res = await fetch(`${server.base}/v1/audio/transcriptions`, { method: "POST", body: audioForm({ response_format: "verbose_json" }) });
      expect(res.status).toBe(200);
      expect(res.headers.get("x-sona-warning")).toBeNull();
      expect(await res.json()).not.toHaveProperty("warnings");
    });
  });
});
