import { describe, expect, test } from "bun:test";
import { rms, toneLevel } from "./_testing.ts";
import { designFilter, outputLength, Resampler, resampleTo16k } from "./resample.ts";

const tone = (freq: number, rate: number, seconds: number, amp = 0.5) =>
  Float32Array.from({ length: Math.round(rate * seconds) }, (_, i) => amp * Math.sin((2 * Math.PI * freq * i) / rate));

/** SNR of y against the ideal sine at 16 kHz, edges (filter warm-up) left out */
function snrDb(y: Float32Array, freq: number, amp: number): number {
  let sig = 0, err = 0;
  for (let i = 1000; i < y.length - 1000; i++) {
    const ref = amp * Math.sin((2 * Math.PI * freq * i) / 16000);
    sig += ref * ref;
    err += (y[i]! - ref) ** 2;
  }
  return 10 * Math.log10(sig / err);
}

const db = (ratio: number) => 20 * Math.log10(ratio);

describe("resampleTo16k", () => {
  test("16 kHz passes through untouched, without a copy", () => {
    const x = tone(440, 16000, 0.1);
    expect(resampleTo16k(x, 16000)).toBe(x);
  });

  for (const rate of [44100, 48000, 22050, 8000, 11025, 32000, 96000, 44099]) {
    test(`in-band tones from ${rate} Hz keep frequency, level and shape`, () => {
      const freqs = rate < 16000 ? [1000, 0.8 * (rate / 2)] : [1000, 6000];
      for (const f of freqs) {
        const x = tone(f, rate, 1);
        const y = resampleTo16k(x, rate);
        expect(y.length).toBe(Math.ceil((x.length * 16000) / rate));
        const level = toneLevel(y, f, 16000);
        const snr = snrDb(y, f, 0.5);
        console.error(`resample ${rate} -> 16000, ${f} Hz tone: level ${db(level / 0.5).toFixed(4)} dB, SNR ${snr.toFixed(1)} dB`);
        expect(Math.abs(db(level / 0.5))).toBeLessThan(0.5);
        expect(snr).toBeGreaterThan(60);
        // the tone is where it should be: a neighbour 50 Hz away holds almost nothing
        expect(toneLevel(y, f + 50, 16000)).toBeLessThan(0.01 * level);
      }
    });
  }

  test("zero crossings give the frequency", () => {
    const y = resampleTo16k(tone(1000, 44100, 2), 44100);
    let crossings = 0;
    for (let i = 1; i < y.length; i++) if ((y[i - 1]! < 0) !== (y[i]! < 0)) crossings++;
    expect(Math.abs(crossings / 2 / 2 - 1000)).toBeLessThan(2);
  });

  for (const rate of [44100, 48000, 96000]) {
    test(`tones above 8 kHz at ${rate} Hz do not alias`, () => {
      for (const f of [8500, 9000, 11000, 15000, Math.min(20000, rate / 2 - 500)]) {
        const y = resampleTo16k(tone(f, rate, 0.5), rate);
        const att = db(rms(y) / (0.5 / Math.SQRT2));
        console.error(`resample ${rate} -> 16000, ${f} Hz tone: ${att.toFixed(1)} dB`);
        expect(att).toBeLessThan(-70);
      }
      // inside the flat band the level is kept
      expect(Math.abs(db(rms(resampleTo16k(tone(7000, rate, 0.5), rate)) / (0.5 / Math.SQRT2)))).toBeLessThan(0.1);
    });
  }

  test("upsampling 8 kHz leaves no image above 4 kHz", () => {
    const y = resampleTo16k(tone(1000, 8000, 1), 8000);
    const image = toneLevel(y, 7000, 16000);
    console.error(`resample 8000 -> 16000: 7 kHz image of a 1 kHz tone ${db(image / 0.5).toFixed(1)} dB`);
    expect(db(image / 0.5)).toBeLessThan(-70);
  });

  test("streamed in random pieces gives exactly the one-shot result", () => {
    for (const rate of [44100, 8000, 44099]) {
      const x = tone(700, rate, 3);
      for (let i = 0; i < x.length; i++) x[i] = x[i]! + 0.1 * Math.sin(i * 0.37);
      const whole = resampleTo16k(x, rate);
      const parts: Float32Array[] = [];
      const r = new Resampler(rate);
      let seed = 7;
      for (let off = 0; off < x.length; ) {
        seed = (seed * 48271) % 2147483647;
        const n = seed % 3 === 0 ? seed % 5 : seed % 90000;
        r.push(x.subarray(off, off + n), (b) => parts.push(b.slice()));
        off += n;
      }
      r.finish((b) => parts.push(b.slice()));
      const joined = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
      let at = 0;
      for (const p of parts) {
        joined.set(p, at);
        at += p.length;
      }
      expect(joined.length).toBe(whole.length);
      expect(joined).toEqual(whole as Float32Array<ArrayBuffer>);
    }
  });

  test("the WebAssembly kernel matches the plain loop", () => {
    for (const rate of [44100, 48000, 11025, 44099]) {
      const x = Float32Array.from({ length: rate }, (_, i) => Math.sin(i * 0.01) * 0.5 + Math.sin(i * 1.3) * 0.3);
      const fast = resampleTo16k(x, rate);
      const plain = resampleTo16k(x, rate, { simd: false });
      expect(new Resampler(rate).simd).toBe(true);
      let maxDiff = 0;
      for (let i = 0; i < fast.length; i++) maxDiff = Math.max(maxDiff, Math.abs(fast[i]! - plain[i]!));
      expect(maxDiff).toBeLessThan(1e-5);
    }
  });

  test("designs and lengths", () => {
    expect(designFilter(44100)).toMatchObject({ L: 160, M: 441, K: 152, shift: 0 });
    expect(designFilter(48000)).toMatchObject({ L: 1, M: 3 });
    expect(designFilter(44099).shift).toBeGreaterThan(0);
    expect(outputLength(44100 * 3600, 44100)).toBe(16000 * 3600);
    expect(outputLength(1, 44100)).toBe(1);
    expect(() => designFilter(999)).toThrow(RangeError);
  });
});
