import { describe, expect, test } from "bun:test";
import { toMono } from "./pcm.ts";

describe("toMono", () => {
  test("stereo s16 read as 32-bit words gives exactly (left + right) / 65536, aligned or not", () => {
    const frames = 4099;
    const bytes = new Uint8Array(frames * 4 + 4);
    for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 2654435761) >>> 24;
    // extremes first: (-32768, 32767), (-32768, -32768), (32767, 32767)
    bytes.set([0x00, 0x80, 0xff, 0x7f, 0x00, 0x80, 0x00, 0x80, 0xff, 0x7f, 0xff, 0x7f], 0);
    const view = new DataView(bytes.buffer);
    const expected = Float32Array.from({ length: frames }, (_, i) => (view.getInt16(i * 4, true) + view.getInt16(i * 4 + 2, true)) / 65536);
    const f = { encoding: "int" as const, bytesPerSample: 2, channels: 2 };
    const aligned = new Float32Array(frames);
    expect(toMono(bytes.subarray(0, frames * 4), f, aligned, 0)).toBe(frames);
    expect(aligned).toEqual(expected);
    expect(aligned.subarray(0, 3)).toEqual(new Float32Array([-1 / 65536, -1, 65534 / 65536]));
    // the same bytes at an offset that is 2 but not 4 bytes aligned take the Int16Array path
    const shifted = new Uint8Array(frames * 4 + 2);
    shifted.set(bytes.subarray(0, frames * 4), 2);
    const unaligned = new Float32Array(frames + 1);
    expect(toMono(shifted.subarray(2), f, unaligned, 1)).toBe(frames);
    expect(unaligned.subarray(1)).toEqual(expected);
  });
});
