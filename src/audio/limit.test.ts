// The duration cap on every decoding path: a WAV file (checked from the header, before the output
// is allocated), a WAV on a pipe and ffmpeg's output (counted as it arrives, the source no longer
// read once the cap is passed).
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SonaError } from "../errors.ts";
import { makeWav } from "./_testing.ts";
import { collect } from "./ffmpeg.ts";
import { decodeAudio } from "./index.ts";
import { audioTooLong, formatLimit } from "./limit.ts";
import { decodeAudioStream } from "./stream.ts";

const JFK = join(import.meta.dir, "../../test/fixtures/jfk.wav"); // 11 s
let dir = "";
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "sona-limit-test-"));
  const r = Bun.spawnSync(["ffmpeg", "-v", "error", "-nostdin", "-y", "-i", JFK, join(dir, "jfk.mp3")]);
  if (r.exitCode !== 0) throw new Error(`ffmpeg: ${r.stderr.toString()}`);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function refusal(run: () => Promise<unknown>): Promise<SonaError> {
  try {
    await run();
  } catch (e) {
    if (e instanceof SonaError) return e;
    throw e;
  }
  throw new Error("expected audio_too_long, got a result");
}

/** Chunks of `bytes` bytes, counting how many were pulled. */
function source(first: Uint8Array, chunk: number, count: number) {
  const pulled = { n: 0 };
  async function* gen() {
    yield first;
    for (let i = 0; i < count; i++) {
      pulled.n++;
      yield new Uint8Array(chunk);
    }
  }
  return { gen, pulled };
}

describe("--max-audio-duration in the audio module", () => {
  test("the error names the limit, with the audio's length when it is known", () => {
    const e = audioTooLong(5, 11);
    expect(e.toJSON().error).toMatchObject({ code: "audio_too_long", param: "file", type: "invalid_request_error" });
    expect(e.status).toBe(413);
    expect(e.message).toBe("the audio is 11 s long, over the limit of 5 s (--max-audio-duration, SONA_MAX_AUDIO_DURATION)");
    expect(audioTooLong(undefined).message).toContain("the limit of 12 h");
    expect([formatLimit(43200), formatLimit(5400), formatLimit(11.04), formatLimit(7200.5)]).toEqual(["12 h", "90 min", "11.0 s", "7200.5 s"]);
  });

  test("WAV file: refused from its header; at the limit it decodes", async () => {
    const e = await refusal(() => decodeAudio(JFK, { maxDurationSec: 5 }));
    expect(e.code).toBe("audio_too_long");
    expect(e.message).toContain("11 s long, over the limit of 5 s");
    expect((await decodeAudio(JFK, { maxDurationSec: 11 })).durationSec).toBe(11);
  });

  test("WAV file at 1 kHz, 8-bit: the 16 kHz length counts, not the bytes", async () => {
    // 3 s of 1 kHz 8-bit is 3000 bytes, and 48,000 samples (192 KB) once decoded
    const path = join(dir, "low.wav");
    writeFileSync(path, makeWav({ rate: 1000, channels: 1, bits: 8, samples: new Float32Array(3000) }));
    expect((await refusal(() => decodeAudio(path, { maxDurationSec: 2 }))).message).toContain("3 s long, over the limit of 2 s");
    expect((await decodeAudio(path, { maxDurationSec: 3 })).samples.length).toBe(48000);
  });

  test("a truncated WAV whose header claims more than the limit is judged by what it holds", async () => {
    const path = join(dir, "truncated.wav");
    writeFileSync(path, makeWav({ rate: 16000, channels: 1, bits: 16, samples: new Float32Array(16000), dataSize: 16000 * 2 * 3600 }));
    expect((await decodeAudio(path, { maxDurationSec: 2 })).durationSec).toBe(1);
  });

  test("WAV on a pipe: refused once the decoded samples pass the limit; the rest is never read", async () => {
    // a header that declares 1 h, then 1 s chunks
    const head = makeWav({ rate: 16000, channels: 1, bits: 16, samples: new Float32Array(0), dataSize: 16000 * 2 * 3600 });
    const { gen, pulled } = source(head, 32000, 3600);
    const e = await refusal(() => decodeAudioStream(gen(), { maxSec: 5 }));
    expect(e.code).toBe("audio_too_long");
    expect(pulled.n).toBe(6);
  });

  test("ffmpeg output: counted as it arrives, the input no longer read past the limit", async () => {
    const limit = { bytes: 16000 * 4 * 5, maxSec: 5 };
    const { gen, pulled } = source(new Uint8Array(0), 64000, 1_000_000); // 1 s chunks, without end
    const e = await refusal(() => collect(gen(), 1 << 16, limit));
    expect(e.message).toBe("the audio is longer than the limit of 5 s (--max-audio-duration, SONA_MAX_AUDIO_DURATION)");
    expect(pulled.n).toBe(6);
    const exact = source(new Uint8Array(0), 64000, 5);
    expect((await collect(exact.gen(), 1 << 16, limit)).length).toBe(5 * 16000);
  });

  test("ffmpeg, a file and a pipe: an MP3 over the limit is audio_too_long; under it decodes", async () => {
    const mp3 = join(dir, "jfk.mp3");
    expect((await refusal(() => decodeAudio(mp3, { maxDurationSec: 5 }))).code).toBe("audio_too_long");
    expect((await decodeAudio(mp3, { maxDurationSec: 20 })).format).toBe("mp3");
    const piped = () => decodeAudioStream(Bun.file(mp3).stream(), { maxSec: 5 });
    expect((await refusal(piped)).code).toBe("audio_too_long");
  });
});
