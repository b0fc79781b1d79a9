// Band-limited resampling to 16 kHz: a Kaiser-windowed sinc evaluated as a polyphase FIR. For a
// rational ratio L/M (16000/44100 = 160/441) output n sits at input position n*M/L, so one table row
// per phase covers every output exactly; odd rates whose L is large share rows (see `shift`).
//
// Filter (downsampling): flat to 7 kHz, at least 75 dB down from 8.4 kHz. Content between 8 and
// 8.4 kHz is only partly removed, but it folds to 7.6-8 kHz, above the flat band, and whisper's
// mel filters end at 8 kHz anyway. That choice keeps 44.1 kHz at 152 taps: 1.2-1.6 s per hour here.
// Upsampling uses the same shape scaled to the input's Nyquist frequency.
import { createFirBank, type FirBank } from "./fir.ts";

export const TARGET_RATE = 16000;
const ATTENUATION_DB = 75;
const BLOCK = 65536; // input samples per kernel call
const MAX_TABLE = 1 << 20; // floats; beyond this, neighbouring phases share a row

export interface FilterDesign {
  fromRate: number;
  /** output/input = L/M in lowest terms */
  L: number;
  M: number;
  /** taps per output, a multiple of 8 */
  K: number;
  /** table row = phase >> shift */
  shift: number;
  passHz: number;
  stopHz: number;
}

export function designFilter(fromRate: number): FilterDesign {
  if (!Number.isInteger(fromRate) || fromRate < 1000 || fromRate > 1_000_000) {
    throw new RangeError(`sample rate ${fromRate} is outside 1000..1000000 Hz`);
  }
  const g = gcd(fromRate, TARGET_RATE);
  const L = TARGET_RATE / g, M = fromRate / g;
  const nyquist = Math.min(fromRate, TARGET_RATE) / 2;
  const passHz = fromRate > TARGET_RATE ? 7000 : 0.875 * nyquist;
  const stopHz = fromRate > TARGET_RATE ? 8400 : 1.05 * nyquist;
  // Kaiser's estimate of the length for a given attenuation and transition width
  const taps = (ATTENUATION_DB - 7.95) / (14.36 * ((stopHz - passHz) / fromRate)) + 1;
  const K = Math.ceil(taps / 8) * 8;
  let shift = 0;
  while (Math.ceil(L / 2 ** shift) * K > MAX_TABLE) shift++;
  return { fromRate, L, M, K, shift, passHz, stopHz };
}

/** Number of 16 kHz samples made from `n` input samples (outputs at times before the input ends). */
export function outputLength(n: number, fromRate: number): number {
  if (fromRate === TARGET_RATE) return n;
  const { L, M } = designFilter(fromRate);
  return Math.ceil((n * L) / M);
}

/** One-shot resampling; 16 kHz input is returned as is, not copied. */
export function resampleTo16k(samples: Float32Array, fromRate: number, opts: { simd?: boolean } = {}): Float32Array {
  if (fromRate === TARGET_RATE) return samples;
  const out = new Float32Array(outputLength(samples.length, fromRate));
  let at = 0;
  const sink = (block: Float32Array) => { out.set(block, at); at += block.length; };
  const r = new Resampler(fromRate, opts);
  r.push(samples, sink);
  r.finish(sink);
  return out;
}

/**
 * Streaming resampler: feed input in pieces of any size, get the same output as one call would give.
 * The block handed to `sink` is reused on the next call; copy it out.
 */
export class Resampler {
  readonly design: FilterDesign;
  readonly simd: boolean;
  readonly #bank: FirBank | null;
  readonly #half: number;
  #bufStart: number; // absolute input index of input[0]
  #bufLen: number;
  #inputs = 0;
  #next = 0; // absolute index of the next output
  #i0 = 0; // its input position: floor(next*M/L) ...
  #p = 0; // ... plus p/L
  #finished = false;

  constructor(readonly fromRate: number, opts: { simd?: boolean } = {}) {
    this.design = designFilter(fromRate);
    const { L, M, K, shift } = this.design;
    this.#half = K / 2;
    // the first output is centred on input 0: the taps before it read zeros
    this.#bufStart = -(this.#half - 1);
    this.#bufLen = this.#half - 1;
    if (fromRate === TARGET_RATE) {
      this.#bank = null;
      this.simd = false;
      return;
    }
    const rows = Math.ceil(L / 2 ** shift);
    this.#bank = createFirBank(rows * K, BLOCK + K, Math.ceil((BLOCK * L) / M) + 2, opts);
    this.simd = this.#bank.simd;
    fillTable(this.#bank.table, this.design);
  }

  push(x: Float32Array, sink: (block: Float32Array) => void): void {
    if (this.#finished) throw new Error("Resampler.push after finish");
    this.#inputs += x.length;
    if (!this.#bank) {
      if (x.length) sink(x);
      return;
    }
    this.#append(x, sink, Infinity);
  }

  /** Flushes the outputs that need input past the end (read as zeros). */
  finish(sink: (block: Float32Array) => void): void {
    if (this.#finished) return;
    this.#finished = true;
    if (!this.#bank) return;
    const total = Math.ceil((this.#inputs * this.design.L) / this.design.M);
    this.#append(new Float32Array(this.#half), sink, total);
  }

  #append(x: Float32Array, sink: (block: Float32Array) => void, limit: number): void {
    const bank = this.#bank!;
    for (let off = 0; off < x.length; ) {
      const take = Math.min(x.length - off, bank.input.length - this.#bufLen);
      bank.input.set(x.subarray(off, off + take), this.#bufLen);
      this.#bufLen += take;
      off += take;
      this.#drain(bank, sink, limit);
    }
  }

  #drain(bank: FirBank, sink: (block: Float32Array) => void, limit: number): void {
    const { L, M, K, shift } = this.design;
    const half = this.#half;
    for (;;) {
      // output n may be computed once input i0(n) + half is here: n*M < (lastI0 + 1) * L
      const lastI0 = this.#bufStart + this.#bufLen - 1 - half;
      const ready = lastI0 < 0 ? 0 : Math.floor(((lastI0 + 1) * L - 1) / M) + 1;
      const n = Math.min(ready, limit) - this.#next;
      const count = Math.min(n, bank.output.length);
      if (count <= 0) break;
      bank.run(count, this.#i0 - half + 1 - this.#bufStart, this.#p, K, L, M, shift);
      sink(bank.output.subarray(0, count));
      const q = this.#p + count * M;
      this.#i0 += Math.floor(q / L);
      this.#p = q % L;
      this.#next += count;
    }
    const drop = this.#i0 - half + 1 - this.#bufStart;
    if (drop > 0) {
      const keep = Math.max(0, this.#bufLen - drop);
      bank.input.copyWithin(0, this.#bufLen - keep, this.#bufLen);
      this.#bufLen = keep;
      this.#bufStart += drop;
    }
  }
}

function fillTable(table: Float32Array, d: FilterDesign): void {
  const { L, K, shift, passHz, stopHz } = d;
  const half = K / 2;
  const fc = (passHz + stopHz) / 2 / d.fromRate; // cycles per input sample
  const beta = 0.1102 * (ATTENUATION_DB - 8.7);
  const i0Beta = besselI0(beta);
  const step = 2 ** shift;
  for (let r = 0, rows = table.length / K; r < rows; r++) {
    // a shared row stands for the middle of the phases it covers
    const phase = (r * step + (Math.min((r + 1) * step, L) - 1)) / 2 / L;
    let sum = 0;
    for (let m = 0; m < K; m++) {
      const tau = phase + half - 1 - m; // distance from the output instant to tap m, in input samples
      const u = tau / half;
      const w = u * u < 1 ? besselI0(beta * Math.sqrt(1 - u * u)) / i0Beta : 0;
      const x = 2 * fc * tau;
      const v = w * (x === 0 ? 1 : Math.sin(Math.PI * x) / (Math.PI * x));
      table[r * K + m] = v;
      sum += v;
    }
    // unit gain at DC for every phase, so the phase cannot modulate the level
    const row = table.subarray(r * K, r * K + K);
    for (let m = 0; m < K; m++) row[m] = row[m]! / sum;
  }
}

function besselI0(x: number): number {
  let sum = 1, term = 1;
  for (let k = 1; k < 200; k++) {
    term *= (x / (2 * k)) ** 2;
    sum += term;
    if (term < sum * 1e-15) break;
  }
  return sum;
}

function gcd(a: number, b: number): number {
  while (b) [a, b] = [b, a % b];
  return a;
}
