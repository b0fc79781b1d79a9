// The resampler's inner loop: a polyphase FIR evaluated at each output position. Plain JavaScript
// manages about 1.5 G multiply-adds per second here, which would put a good filter (150+ taps at
// 44.1 kHz) at ~6 s per hour of audio; the same loop in WebAssembly SIMD runs at ~7 G/s. There is no
// wasm toolchain in this project, so the module is assembled from bytes below (a dozen opcodes);
// the plain loop stays as the fallback and as the reference the tests compare against.

/** Working memory for one resampler: the phase table, an input window and an output block. */
export interface FirBank {
  readonly table: Float32Array;
  readonly input: Float32Array;
  readonly output: Float32Array;
  readonly simd: boolean;
  /**
   * output[n] = dot(input[i0' .. i0'+K), table row (p' >> shift)) for n < nOut, where i0'/p' start at
   * i0/p and advance by M/L input samples per output (p counts L-ths of a sample).
   */
  run(nOut: number, i0: number, p: number, K: number, L: number, M: number, shift: number): void;
}

export function createFirBank(tableLen: number, inputLen: number, outputLen: number, opts: { simd?: boolean } = {}): FirBank {
  const mod = opts.simd === false ? null : wasmModule();
  if (!mod) return jsBank(new Float32Array(tableLen), new Float32Array(inputLen), new Float32Array(outputLen));
  // 16 floats of slack after the input so the vector loads of the last taps stay inside memory
  const tBytes = tableLen * 4, xBytes = (inputLen + 16) * 4;
  const pages = Math.ceil((tBytes + xBytes + outputLen * 4) / 65536) + 1;
  const memory = new WebAssembly.Memory({ initial: pages, maximum: pages });
  const fir = new WebAssembly.Instance(mod, { env: { memory } }).exports.fir as (...a: number[]) => void;
  const buf = memory.buffer;
  return {
    table: new Float32Array(buf, 0, tableLen),
    input: new Float32Array(buf, tBytes, inputLen),
    output: new Float32Array(buf, tBytes + xBytes, outputLen),
    simd: true,
    run(nOut, i0, p, K, L, M, shift) {
      if (nOut > 0) fir(nOut, i0, p, K, L, Math.floor(M / L), M % L, 0, tBytes, tBytes + xBytes, shift);
    },
  };
}

function jsBank(table: Float32Array, input: Float32Array, output: Float32Array): FirBank {
  return {
    table, input, output, simd: false,
    run(nOut, i0, p, K, L, M, shift) {
      const q = Math.floor(M / L), r = M % L;
      for (let n = 0; n < nOut; n++) {
        let h = (p >> shift) * K, j = i0, s0 = 0, s1 = 0;
        for (const end = h + K; h < end; h += 2, j += 2) {
          s0 += input[j]! * table[h]!;
          s1 += input[j + 1]! * table[h + 1]!;
        }
        output[n] = s0 + s1;
        p += r;
        i0 += q;
        if (p >= L) { p -= L; i0++; }
      }
    },
  };
}

let compiled: WebAssembly.Module | null | undefined;

function wasmModule(): WebAssembly.Module | null {
  if (compiled !== undefined) return compiled;
  try {
    const bytes = assemble();
    compiled = WebAssembly.validate(bytes) ? new WebAssembly.Module(bytes) : null;
  } catch {
    compiled = null; // no WebAssembly or no SIMD: the JavaScript loop still gives the same result
  }
  return compiled;
}

const uleb = (n: number): number[] => {
  const out: number[] = [];
  do { let b = n & 0x7f; n >>>= 7; if (n) b |= 0x80; out.push(b); } while (n);
  return out;
};
const sleb = (n: number): number[] => {
  const out: number[] = [];
  for (;;) {
    const b = n & 0x7f;
    n >>= 7;
    if ((n === 0 && !(b & 0x40)) || (n === -1 && b & 0x40)) return [...out, b];
    out.push(b | 0x80);
  }
};
const vec = (items: number[][]): number[] => [...uleb(items.length), ...items.flat()];
const section = (id: number, body: number[]): number[] => [id, ...uleb(body.length), ...body];
const name = (s: string): number[] => [...uleb(s.length), ...[...s].map((ch) => ch.charCodeAt(0))];

function assemble(): Uint8Array<ArrayBuffer> {
  // params 0..10: nOut i0 p K L q r T X O shift (the step M/L is q whole samples plus r/L);
  // locals 11..16 (i32): n hp xp hend carry hend16; 17..20 (v128): acc0..acc3
  const nOut = 0, i0 = 1, p = 2, K = 3, L = 4, q = 5, r = 6, T = 7, X = 8, O = 9, shift = 10;
  const n = 11, hp = 12, xp = 13, hend = 14, carry = 15, hend16 = 16, acc0 = 17, acc1 = 18, acc2 = 19, acc3 = 20;
  const get = (i: number) => [0x20, i], set = (i: number) => [0x21, i], tee = (i: number) => [0x22, i];
  const i32 = (v: number) => [0x41, ...sleb(v)];
  const [add, sub, mul, and, shl, shrU, ltU, geU] = [[0x6a], [0x6b], [0x6c], [0x71], [0x74], [0x76], [0x49], [0x4f]];
  const simd = (op: number, ...imm: number[]) => [0xfd, ...uleb(op), ...imm];
  const load = (offset: number) => simd(0x00, 0, ...uleb(offset)); // v128.load align=1
  const [fadd, fmul] = [simd(0xe4), simd(0xe6)]; // f32x4.add, f32x4.mul
  const lane = (i: number) => simd(0x1f, i); // f32x4.extract_lane
  const zero = simd(0x0c, ...Array(16).fill(0)); // v128.const 0
  const [block, loop, end, brIf] = [[0x02, 0x40], [0x03, 0x40], [0x0b], (d: number) => [0x0d, d]];
  const mac = (acc: number, off: number) => [...get(acc), ...get(xp), ...load(off), ...get(hp), ...load(off), ...fmul, ...fadd, ...set(acc)];
  // four independent sums over 16 taps per turn (two sums over 8 left the adds waiting on each
  // other: ~7 % slower per hour of 44.1 kHz), then the 8 taps left when K is not a multiple of 16
  const code = [
    ...loop, // for each output
    ...get(T), ...get(p), ...get(shift), ...shrU, ...get(K), ...mul, ...i32(2), ...shl, ...add, ...tee(hp),
    ...get(K), ...i32(2), ...shl, ...add, ...set(hend),
    ...get(hp), ...get(K), ...i32(-16), ...and, ...i32(2), ...shl, ...add, ...set(hend16),
    ...get(X), ...get(i0), ...i32(2), ...shl, ...add, ...set(xp),
    ...zero, ...set(acc0), ...zero, ...set(acc1), ...zero, ...set(acc2), ...zero, ...set(acc3),
    ...block, // 16 taps per turn, four independent sums
    ...get(hp), ...get(hend16), ...geU, ...brIf(0),
    ...loop,
    ...mac(acc0, 0), ...mac(acc1, 16), ...mac(acc2, 32), ...mac(acc3, 48),
    ...get(xp), ...i32(64), ...add, ...set(xp),
    ...get(hp), ...i32(64), ...add, ...tee(hp), ...get(hend16), ...ltU, ...brIf(0),
    ...end,
    ...end,
    ...block, // the last 8 taps when K is not a multiple of 16
    ...get(hp), ...get(hend), ...geU, ...brIf(0),
    ...mac(acc0, 0), ...mac(acc1, 16),
    ...end,
    ...get(acc0), ...get(acc1), ...fadd, ...get(acc2), ...get(acc3), ...fadd, ...fadd, ...set(acc0),
    ...get(O), ...get(n), ...i32(2), ...shl, ...add,
    ...get(acc0), ...lane(0), ...get(acc0), ...lane(1), 0x92, ...get(acc0), ...lane(2), ...get(acc0), ...lane(3), 0x92, 0x92,
    0x38, 2, 0, // f32.store
    // p += r; carry = p >= L; p -= carry * L; i0 += q + carry
    ...get(p), ...get(r), ...add, ...tee(p), ...get(L), ...geU, ...set(carry),
    ...get(p), ...get(L), ...get(carry), ...mul, ...sub, ...set(p),
    ...get(i0), ...get(q), ...add, ...get(carry), ...add, ...set(i0),
    ...get(n), ...i32(1), ...add, ...tee(n), ...get(nOut), ...ltU, ...brIf(0),
    ...end, ...end,
  ];
  const I32 = 0x7f, V128 = 0x7b;
  const body = [...vec([[6, I32], [4, V128]]), ...code];
  return new Uint8Array([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, vec([[0x60, ...vec(Array(11).fill([I32])), 0]])), // type: (i32 x11) -> ()
    ...section(2, vec([[...name("env"), ...name("memory"), 0x02, 0x00, 1]])), // import env.memory
    ...section(3, vec([[0]])),
    ...section(7, vec([[...name("fir"), 0x00, 0]])),
    ...section(10, vec([[...uleb(body.length), ...body]])),
  ]);
}
