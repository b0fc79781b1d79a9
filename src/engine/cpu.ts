// CPU levels: one self-contained libwhisper build per level, picked at start-up from the CPU's
// flags. A build compiled for instructions the CPU lacks dies with SIGILL, the original's most
// reported crash, so a level is only chosen when every flag it was compiled for is present.
// Each architecture has its own table (x86-64: /proc/cpuinfo `flags`; arm64: the kernel's HWCAP
// bits, named as /proc/cpuinfo `Features` names them).
import { readFileSync } from "node:fs";

export type Arch = "x64" | "arm64";

export interface CpuLevel {
  name: string;
  /** /proc/cpuinfo flags (x86-64) or HWCAP feature names (arm64) the build needs */
  requires: string[];
  /** ggml cmake switches for this level (GGML_NATIVE is always OFF) */
  cmake: Record<string, string>;
}

const off = { GGML_SSE42: "OFF", GGML_AVX: "OFF", GGML_AVX2: "OFF", GGML_FMA: "OFF", GGML_F16C: "OFF", GGML_BMI2: "OFF", GGML_AVX512: "OFF" } as const;
const avx2 = { ...off, GGML_SSE42: "ON", GGML_AVX: "ON", GGML_AVX2: "ON", GGML_FMA: "ON", GGML_F16C: "ON", GGML_BMI2: "ON" } as const;

/** x86-64, ordered from the most portable to the fastest. */
export const CPU_LEVELS: CpuLevel[] = [
  { name: "x86-64", requires: [], cmake: { ...off } },
  { name: "avx2", requires: ["sse4_2", "avx", "avx2", "fma", "f16c", "bmi2"], cmake: { ...avx2 } },
  {
    name: "avx512",
    requires: ["sse4_2", "avx", "avx2", "fma", "f16c", "bmi2", "avx512f", "avx512cd", "avx512vl", "avx512dq", "avx512bw"],
    cmake: { ...avx2, GGML_AVX512: "ON" },
  },
];

/**
 * arm64: the baseline every 64-bit Arm CPU runs (Raspberry Pi 4, Cortex-A72), and ARMv8.2 with the
 * int8 dot product and half-precision arithmetic that ggml's quantized and f16 kernels use
 * (Raspberry Pi 5, Graviton 2+, Ampere Altra, Jetson Orin, Apple silicon under Linux).
 */
export const ARM64_LEVELS: CpuLevel[] = [
  { name: "armv8.0", requires: [], cmake: { GGML_CPU_ARM_ARCH: "armv8-a" } },
  { name: "armv8.2-dotprod", requires: ["asimddp", "fphp", "asimdhp"], cmake: { GGML_CPU_ARM_ARCH: "armv8.2-a+dotprod+fp16" } },
];

export const LEVELS: Record<Arch, CpuLevel[]> = { x64: CPU_LEVELS, arm64: ARM64_LEVELS };

export function hostArch(): Arch {
  return process.arch === "arm64" ? "arm64" : "x64";
}

// Linux arm64 HWCAP and HWCAP2 bits (arch/arm64/include/uapi/asm/hwcap.h), by bit number, in the
// names /proc/cpuinfo prints for them
const HWCAP = "fp asimd evtstrm aes pmull sha1 sha2 crc32 atomics fphp asimdhp cpuid asimdrdm jscvt fcma lrcpc dcpop sha3 sm3 sm4 asimddp sha512 sve asimdfhm dit uscat ilrcpc flagm ssbs sb paca pacg".split(" ");
const HWCAP2 = "dcpodp sve2 sveaes svepmull svebitperm svesha3 svesm4 flagm2 frint svei8mm svef32mm svef64mm svebf16 i8mm bf16 dgh rng bti".split(" ");
const AT_HWCAP = 16n;
const AT_HWCAP2 = 26n;

/**
 * The arm64 features the kernel reports in this process's auxiliary vector (what getauxval reads).
 * Preferred over /proc/cpuinfo: it is the same set on real hardware, and under qemu-user it is
 * the emulated CPU's, while /proc/cpuinfo is the host's. Null when there is no auxv to read.
 */
export function auxvFeatures(auxv?: Uint8Array): Set<string> | null {
  let bytes = auxv;
  if (!bytes) {
    try {
      bytes = readFileSync("/proc/self/auxv");
    } catch {
      return null;
    }
  }
  if (bytes.length < 16) return null;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out = new Set<string>();
  let seen = false;
  for (let at = 0; at + 16 <= bytes.length; at += 16) {
    const type = view.getBigUint64(at, true);
    const value = view.getBigUint64(at + 8, true);
    const names = type === AT_HWCAP ? HWCAP : type === AT_HWCAP2 ? HWCAP2 : null;
    if (!names) continue;
    seen = true;
    names.forEach((name, bit) => {
      if (value & (1n << BigInt(bit))) out.add(name);
    });
  }
  return seen ? out : null;
}

/** The CPU's feature flags: x86-64 from /proc/cpuinfo `flags`, arm64 from HWCAP (else `Features`). */
export function cpuFlags(cpuinfo?: string, arch: Arch = hostArch()): Set<string> {
  if (arch === "arm64" && cpuinfo === undefined) {
    const fromAuxv = auxvFeatures();
    if (fromAuxv) return fromAuxv;
  }
  let text = cpuinfo;
  if (text === undefined) {
    try {
      text = readFileSync("/proc/cpuinfo", "utf8");
    } catch {
      return new Set();
    }
  }
  const field = arch === "arm64" ? /^Features\s*:/ : /^flags\s*:/;
  const line = text.split("\n").find((l) => field.test(l));
  return new Set(line ? line.slice(line.indexOf(":") + 1).trim().split(/\s+/) : []);
}

export interface LevelChoice {
  level: CpuLevel;
  reason: string;
}

/** The fastest level this CPU supports, or the one forced by `forced` (SONA_CPU_LEVEL). */
export function chooseCpuLevel(flags: Set<string>, forced?: string, available?: string[], arch: Arch = hostArch()): LevelChoice {
  const usable = LEVELS[arch].filter((l) => !available || available.includes(l.name));
  if (forced) {
    const level = usable.find((l) => l.name === forced);
    if (!level) {
      throw new Error(`SONA_CPU_LEVEL=${forced} is not one of: ${usable.map((l) => l.name).join(", ")}`);
    }
    const missing = level.requires.filter((f) => !flags.has(f));
    // loading it anyway would die with SIGILL at the first such instruction
    if (missing.length) throw new Error(`SONA_CPU_LEVEL=${forced} needs ${missing.join(", ")}, which this CPU lacks`);
    return { level, reason: "forced by SONA_CPU_LEVEL" };
  }
  const supported = usable.filter((l) => l.requires.every((f) => flags.has(f)));
  const level = supported.at(-1);
  if (!level) throw new Error("no libwhisper build matches this CPU");
  const next = usable[usable.indexOf(level) + 1];
  const reason = next
    ? `best supported by this CPU (no ${next.requires.filter((f) => !flags.has(f)).join(", ")} for ${next.name})`
    : `best supported by this CPU (has ${level.requires.slice(-3).join(", ") || level.name})`;
  return { level, reason };
}
