import { describe, expect, test } from "bun:test";
import { SonaError } from "../errors.ts";
import { SampleBuffer } from "./sample-buffer.ts";

const limit = (bytes: number) => ({ bytes, maxSec: 1 });

describe("SampleBuffer", () => {
  test("bytes in odd-sized pieces (samples split between pushes) past the reserve come back as the same floats", () => {
    const want = Float32Array.from({ length: 50_000 }, (_, i) => Math.sin(i / 9));
    const bytes = new Uint8Array(want.buffer);
    const out = new SampleBuffer(1000, limit(1 << 30));
    for (let at = 0, step = 1; at < bytes.length; at += step, step = (step * 7 + 3) % 4093 || 1) out.push(bytes.subarray(at, Math.min(at + step, bytes.length)));
    expect(out.samples).toBe(want.length);
    expect(out.result()).toEqual(want);
  });

  test("blocks of samples: a reserve that fits is the result's own buffer, no copy, no trim", () => {
    const out = new SampleBuffer(4 * 1_000_000, limit(1 << 30));
    out.pushSamples(new Float32Array(300_000).fill(0.5));
    out.pushSamples(new Float32Array(200_000).fill(-0.25).subarray(100_000)); // a view, offset into its buffer
    const r = out.result();
    expect(r.length).toBe(400_000);
    expect(r.buffer.byteLength).toBe(4 * 1_000_000); // the unwritten tail is never resident
    expect([r[0], r[299_999], r[300_000], r[399_999]]).toEqual([0.5, 0.5, -0.25, -0.25]);
  });

  test("the limit: exactly at it is fine, one byte past it is audio_too_long, and the buffer never grows past it", () => {
    const out = new SampleBuffer(8, limit(200_000));
    out.push(new Uint8Array(200_000));
    expect(out.samples).toBe(50_000);
    expect(out.result().buffer.byteLength).toBe(200_000);
    let err: unknown;
    try {
      out.push(new Uint8Array(1));
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(SonaError);
    expect((err as SonaError).code).toBe("audio_too_long");
  });
});
