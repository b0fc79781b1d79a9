import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { makeWav, riff, sine } from "./_testing.ts";
import { decodeAudio } from "./index.ts";
import { decodeAudioStream } from "./stream.ts";

const dir = mkdtempSync(join(tmpdir(), "sona-stream-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** the bytes in pieces of 1..97 bytes, as a pipe may deliver them */
async function* pieces(bytes: Uint8Array, seed = 1): AsyncGenerator<Uint8Array> {
  let s = seed;
  for (let at = 0; at < bytes.length; ) {
    s = (s * 1103515245 + 12345) % 2 ** 31;
    const n = 1 + (s % 97);
    yield bytes.slice(at, at + n);
    at += n;
  }
}

describe("decodeAudioStream", () => {
  for (const [rate, channels, bits] of [[16000, 1, 16], [44100, 2, 16], [48000, 2, 24], [22050, 1, 32]] as const) {
    test(`a ${rate} Hz ${channels}-channel ${bits}-bit WAV in small pieces equals the file decoded`, async () => {
      const wav = makeWav({ rate, channels, bits, samples: Array.from(sine(440, rate, 0.5, 0.5, channels)) });
      const path = join(dir, `${rate}-${channels}-${bits}.wav`);
      writeFileSync(path, wav);
      const file = await decodeAudio(path);
      const piped = await decodeAudioStream(pieces(wav));
      expect(piped.format).toBe("wav");
      expect([piped.sourceRate, piped.sourceChannels]).toEqual([rate, channels]);
      expect(piped.samples).toEqual(file.samples);
      expect(piped.warnings).toEqual([]);
    });
  }

  test("chunks before and after the data chunk are skipped", async () => {
    const data = makeWav({ rate: 16000, channels: 1, bits: 16, samples: [0.25, -0.25, 0.5] });
    const fmt = data.subarray(12, 12 + 8 + 16);
    const body = data.subarray(12 + 8 + 16 + 8);
    const bytes = riff([{ id: "LIST", body: new Uint8Array(3000) }, { id: "fmt ", body: fmt.subarray(8) }, { id: "data", body }, { id: "junk", body: new Uint8Array(10) }]);
    const piped = await decodeAudioStream(pieces(bytes));
    expect(Array.from(piped.samples)).toEqual([0.25, -0.25, 0.5]);
  });

  test("empty input is an error", async () => {
    await expect(decodeAudioStream(pieces(new Uint8Array(0)))).rejects.toThrow(/no samples/);
  });
});
