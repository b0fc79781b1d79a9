import { describe, expect, test } from "bun:test";
import { SonaError } from "../errors.ts";
import { makeWav, riff } from "./_testing.ts";
import { parseWav, readWavLayout } from "./wav.ts";

const f32 = (xs: number[]) => Array.from(Float32Array.from(xs));

function fails(bytes: Uint8Array, message: string | RegExp): void {
  let error: unknown;
  try {
    parseWav(bytes);
  } catch (e) {
    error = e;
  }
  expect(error).toBeInstanceOf(SonaError);
  expect((error as SonaError).code).toBe("invalid_audio");
  expect((error as SonaError).message).toMatch(message);
}

describe("parseWav formats", () => {
  test("16-bit mono is x/32768, exactly", () => {
    const ints = [0, 1, -1, 16384, -32768, 32767, 12345];
    const w = parseWav(makeWav({ rate: 16000, channels: 1, bits: 16, samples: ints.map((v) => v / 32768) }));
    expect(Array.from(w.samples)).toEqual(f32(ints.map((v) => v / 32768)));
    expect([w.sampleRate, w.channels, w.bitsPerSample, w.formatTag]).toEqual([16000, 1, 16, 1]);
  });

  test("8-bit unsigned is (x-128)/128", () => {
    const w = parseWav(makeWav({ rate: 8000, channels: 1, bits: 8, samples: [0, 0.5, -1, 127 / 128] }));
    expect(Array.from(w.samples)).toEqual([0, 0.5, -1, 127 / 128]);
  });

  test("24-bit and 32-bit integers", () => {
    const v24 = [0, 1, -1, 4194304, -8388608, 8388607];
    const w24 = parseWav(makeWav({ rate: 22050, channels: 1, bits: 24, samples: v24.map((v) => v / 8388608) }));
    expect(Array.from(w24.samples)).toEqual(f32(v24.map((v) => v / 8388608)));
    const v32 = [0, 65536, -2147483648, 2147483647, 1073741824];
    const w32 = parseWav(makeWav({ rate: 48000, channels: 1, bits: 32, samples: v32.map((v) => v / 2147483648) }));
    expect(Array.from(w32.samples)).toEqual(f32(v32.map((v) => v / 2147483648)));
  });

  test("float 32 and 64", () => {
    const xs = [0, 0.1, -0.7, 1, -1, 1.5];
    expect(Array.from(parseWav(makeWav({ rate: 44100, channels: 1, bits: 32, float: true, samples: xs })).samples)).toEqual(f32(xs));
    const w = parseWav(makeWav({ rate: 44100, channels: 1, bits: 64, float: true, samples: xs }));
    expect(Array.from(w.samples)).toEqual(f32(xs));
    expect(w.formatTag).toBe(3);
  });

  test("WAVE_FORMAT_EXTENSIBLE: the subformat GUID decides PCM or float", () => {
    const pcm = parseWav(makeWav({ rate: 48000, channels: 1, bits: 24, extensible: true, samples: [0.5, -0.25] }));
    expect(Array.from(pcm.samples)).toEqual([0.5, -0.25]);
    expect(pcm.formatTag).toBe(0xfffe);
    const flt = parseWav(makeWav({ rate: 48000, channels: 1, bits: 32, float: true, extensible: true, samples: [0.3, -0.9] }));
    expect(Array.from(flt.samples)).toEqual(f32([0.3, -0.9]));
    // 20 valid bits left-justified in a 24-bit container read as 24-bit
    const w20 = parseWav(makeWav({ rate: 48000, channels: 1, bits: 24, validBits: 20, extensible: true, samples: [0.5] }));
    expect(Array.from(w20.samples)).toEqual([0.5]);
    // a plain fmt chunk saying 12 bits in 2-byte blocks
    const w12 = parseWav(makeWav({ rate: 8000, channels: 1, bits: 16, validBits: 12, samples: [0.25] }));
    expect(Array.from(w12.samples)).toEqual([0.25]);
  });

  test("channels are averaged", () => {
    const st = parseWav(makeWav({ rate: 16000, channels: 2, bits: 16, samples: [0.5, -0.25, 1 / 32768, 0] }));
    expect(Array.from(st.samples)).toEqual([0.125, 1 / 65536]);
    const six = [0.5, 0.25, 0, 0, -0.125, 0.5, 0.25, 0.25, 0.25, 0.25, 0.25, 0.25];
    for (const [bits, float] of [[16, false], [24, false], [32, false], [32, true], [64, true], [8, false]] as const) {
      const w = parseWav(makeWav({ rate: 16000, channels: 6, bits, float, samples: six }));
      expect(w.channels).toBe(6);
      expect(w.samples[0]).toBeCloseTo(1.125 / 6, 6);
      expect(w.samples[1]).toBeCloseTo(0.25, 6);
    }
  });

  test("unknown and odd-sized chunks are skipped, pad byte included", () => {
    const before = [{ id: "JUNK", body: new Uint8Array([1, 2, 3]) }, { id: "LIST", body: new TextEncoder().encode("INFOISFT") }];
    const w = parseWav(makeWav({ rate: 16000, channels: 1, bits: 16, samples: [0.5, 0.25], before }));
    expect(Array.from(w.samples)).toEqual([0.5, 0.25]);
  });

  test("fmt after data is found", () => {
    const good = makeWav({ rate: 16000, channels: 1, bits: 16, samples: [0.5, 0.25] });
    const fmt = good.subarray(20, 36), data = good.subarray(44, 48);
    const w = parseWav(riff([{ id: "data", body: data }, { id: "fmt ", body: fmt }]));
    expect(Array.from(w.samples)).toEqual([0.5, 0.25]);
  });

  test("data sizes that overrun the file: take the whole frames there", () => {
    const full = makeWav({ rate: 16000, channels: 2, bits: 16, samples: [0.5, 0.5, 0.25, 0.25, -0.5, -0.5], dataSize: 0xffffffff });
    expect(Array.from(parseWav(full).samples)).toEqual([0.5, 0.25, -0.5]);
    // cut in the middle of the last frame
    expect(Array.from(parseWav(full.subarray(0, full.length - 2)).samples)).toEqual([0.5, 0.25]);
    const lying = makeWav({ rate: 16000, channels: 1, bits: 16, samples: [0.5], dataSize: 1000 });
    expect(Array.from(parseWav(lying).samples)).toEqual([0.5]);
  });

  test("RF64 takes the data size from ds64", () => {
    const good = makeWav({ rate: 16000, channels: 1, bits: 16, samples: [0.5, 0.25, 0.125] });
    const ds64 = new Uint8Array(28);
    new DataView(ds64.buffer).setUint32(8, 4, true); // only 2 of the 3 samples
    const bytes = riff([{ id: "ds64", body: ds64 }, { id: "fmt ", body: good.subarray(20, 36) }, { id: "data", body: good.subarray(44), size: 0xffffffff }], "RF64");
    expect(Array.from(parseWav(bytes).samples)).toEqual([0.5, 0.25]);
  });

  test("other codecs are reported for ffmpeg", () => {
    const adpcm = makeWav({ rate: 8000, channels: 1, bits: 16, samples: [0, 0], formatTag: 2 });
    expect(readWavLayout((o, n) => adpcm.subarray(o, o + n), adpcm.length)).toEqual({ kind: "codec", formatTag: 2 });
    fails(adpcm, "WAV codec 0x0002 is not PCM or float; it needs ffmpeg");
  });
});

describe("parseWav rejects broken files with invalid_audio", () => {
  const base = { rate: 16000, channels: 1, bits: 16, samples: [0.5, 0.25] };
  test("clear messages", () => {
    fails(new TextEncoder().encode("ID3\u0004 this is an mp3"), "invalid WAV file: missing RIFF/WAVE header");
    fails(new Uint8Array(0), "missing RIFF/WAVE header");
    fails(riff([{ id: "data", body: new Uint8Array(4) }]), "invalid WAV file: no fmt chunk");
    fails(makeWav(base).subarray(0, 36), "invalid WAV file: no data chunk");
    fails(makeWav({ ...base, channels: 0 }), "invalid WAV file: fmt chunk declares 0 channels");
    fails(makeWav({ ...base, channels: 300, samples: new Float64Array(300) }), "unsupported WAV file: 300 channels (at most 256)");
    fails(makeWav({ ...base, rate: 0 }), "invalid WAV file: fmt chunk declares a sample rate of 0");
    fails(makeWav({ ...base, rate: 500 }), "unsupported WAV sample rate: 500 Hz (1000 to 1000000 Hz are supported)");
    fails(makeWav({ ...base, rate: 2_000_000 }), "unsupported WAV sample rate: 2000000 Hz");
    fails(makeWav({ ...base, bits: 64 }), "unsupported WAV sample format: 64-bit integer PCM");
    fails(makeWav({ ...base, bits: 16, float: true, samples: [] }), "unsupported WAV sample format: 16-bit float");
    fails(makeWav({ ...base, samples: [] }), "audio file contains no samples");
    fails(makeWav({ ...base, channels: 2, samples: [0.5] }), "audio file contains no samples");
    fails(makeWav({ ...base, validBits: 17 }), "17-bit samples do not fit a block of 2 bytes");
    fails(riff([{ id: "fmt ", body: new Uint8Array(14) }]), "invalid WAV file: fmt chunk is too short");
    const junk = Array.from({ length: 10_001 }, () => ({ id: "JUNK", body: new Uint8Array(0) }));
    fails(makeWav({ ...base, before: junk }), "invalid WAV file: more than 10000 chunks before the audio");
    expect(parseWav(makeWav({ ...base, before: junk.slice(0, 9000) })).samples.length).toBe(2);
    const ext = makeWav({ ...base, extensible: true });
    fails(riff([{ id: "fmt ", body: ext.subarray(20, 20 + 24) }, { id: "data", body: new Uint8Array(4) }]), "WAVE_FORMAT_EXTENSIBLE fmt chunk is too short");
  });

  test("truncated at every byte of the header", () => {
    for (const spec of [{ ...base, samples: [0.5] }, { ...base, bits: 24, extensible: true, channels: 2, samples: [0.5, 0.5] }]) {
      const bytes = makeWav(spec);
      const dataOffset = bytes.length - (spec.samples.length * spec.bits) / 8;
      const frameBytes = (spec.bits / 8) * spec.channels;
      for (let cut = 0; cut < dataOffset + frameBytes; cut++) {
        const part = bytes.subarray(0, cut);
        let caught: unknown = null;
        try {
          parseWav(part);
        } catch (e) {
          caught = e;
        }
        expect(caught, `cut at ${cut}`).toBeInstanceOf(SonaError);
        expect((caught as SonaError).code).toBe("invalid_audio");
        expect((caught as SonaError).message).not.toContain("\n");
      }
    }
  });

  test("random and mutated bytes never throw anything but invalid_audio", () => {
    let seed = 0x5eed;
    const rand = () => ((seed = (seed * 1103515245 + 12345) >>> 0) >>> 8) / 2 ** 24;
    const good = makeWav({ rate: 44100, channels: 2, bits: 24, extensible: true, samples: new Float64Array(64).fill(0.1) });
    let parsed = 0, rejected = 0;
    for (let i = 0; i < 3000; i++) {
      let bytes: Uint8Array;
      if (i % 3 === 0) {
        bytes = Uint8Array.from({ length: Math.floor(rand() * 200) }, () => Math.floor(rand() * 256));
        if (i % 2) bytes.set(new TextEncoder().encode("RIFF\0\0\0\0WAVE").subarray(0, bytes.length));
      } else {
        bytes = good.slice(0, i % 7 === 0 ? Math.floor(rand() * good.length) : good.length);
        for (let k = 0, flips = 1 + Math.floor(rand() * 4); k < flips; k++) bytes[Math.floor(rand() * Math.min(72, bytes.length))] = Math.floor(rand() * 256);
      }
      try {
        const w = parseWav(bytes);
        expect(w.samples.length).toBeGreaterThan(0);
        expect(w.samples.length).toBeLessThanOrEqual(bytes.length);
        parsed++;
      } catch (e) {
        if (!(e instanceof SonaError) || e.code !== "invalid_audio" || e.message.includes("\n")) throw e;
        rejected++;
      }
    }
    expect(parsed).toBeGreaterThan(100);
    expect(rejected).toBeGreaterThan(100);
  });
});
