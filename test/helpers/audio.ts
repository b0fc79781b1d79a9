// Test audio made in code, so tests need no fixtures on disk.

/** Deterministic speech-like signal: tones with a syllable-rate envelope plus a little noise. */
export function syntheticSpeech(seconds: number, seed = 7): Float32Array {
  const out = new Float32Array(Math.round(seconds * 16000));
  let s = seed;
  for (let i = 0; i < out.length; i++) {
    s = (s * 1103515245 + 12345) >>> 0;
    const t = i / 16000;
    const env = 0.5 + 0.5 * Math.sin(2 * Math.PI * 4 * t);
    out[i] = 0.3 * env * (Math.sin(2 * Math.PI * 220 * t) + 0.5 * Math.sin(2 * Math.PI * 660 * t)) + 0.01 * (s / 2 ** 32 - 0.5);
  }
  return out;
}

/** A 16-bit PCM WAV of the samples: mono, or stereo when `right` is given (same length). */
export function wavBytes(samples: Float32Array, rate = 16000, right?: Float32Array): Uint8Array<ArrayBuffer> {
  const channels = right ? 2 : 1;
  const bytes = samples.length * 2 * channels;
  const out = new Uint8Array(44 + bytes);
  const v = new DataView(out.buffer);
  const text = (o: number, s: string) => [...s].forEach((c, i) => v.setUint8(o + i, c.charCodeAt(0)));
  text(0, "RIFF"); v.setUint32(4, 36 + bytes, true); text(8, "WAVE");
  text(12, "fmt "); v.setUint32(16, 16, true); v.setUint16(20, 1, true); v.setUint16(22, channels, true);
  v.setUint32(24, rate, true); v.setUint32(28, rate * 2 * channels, true); v.setUint16(32, 2 * channels, true); v.setUint16(34, 16, true);
  text(36, "data"); v.setUint32(40, bytes, true);
  const s16 = (x: number) => Math.max(-32768, Math.min(32767, Math.round(x * 32767)));
  for (let i = 0; i < samples.length; i++) {
    v.setInt16(44 + i * 2 * channels, s16(samples[i]!), true);
    if (right) v.setInt16(46 + i * 4, s16(right[i]!), true);
  }
  return out;
}
