// CPU levels: one self-contained libwhisper build per level, picked at start-up from the CPU's
// flags. A build compiled for instructions the CPU lacks dies with SIGILL, the original's most
// reported crash, so a level is only chosen when every flag it was compiled for is present.
import { readFileSync } from "node:fs";

export interface CpuLevel {
  name: string;
  /** /proc/cpuinfo flags the build needs */
  requires: string[];
  /** ggml cmake switches for this level (GGML_NATIVE is always OFF) */
  cmake: Record<string, "ON" | "OFF">;
}

const off = { GGML_SSE42: "OFF", GGML_AVX: "OFF", GGML_AVX2: "OFF", GGML_FMA: "OFF", GGML_F16C: "OFF", GGML_BMI2: "OFF", GGML_AVX512: "OFF" } as const;
const avx2 = { ...off, GGML_SSE42: "ON", GGML_AVX: "ON", GGML_AVX2: "ON", GGML_FMA: "ON", GGML_F16C: "ON", GGML_BMI2: "ON" } as const;

/** Ordered from the most portable to the fastest. */
export const CPU_LEVELS: CpuLevel[] = [
  { name: "x86-64", requires: [], cmake: { ...off } },
  { name: "avx2", requires: ["sse4_2", "avx", "avx2", "fma", "f16c", "bmi2"], cmake: { ...avx2 } },
  {
    name: "avx512",
    requires: ["sse4_2", "avx", "avx2", "fma", "f16c", "bmi2", "avx512f", "avx512cd", "avx512vl", "avx512dq", "avx512bw"],
    cmake: { ...avx2, GGML_AVX512: "ON" },
  },
];

export function cpuFlags(cpuinfo?: string): Set<string> {
  let text = cpuinfo;
  if (text === undefined) {
    try {
      text = readFileSync("/proc/cpuinfo", "utf8");
    } catch {
      return new Set();
    }
  }
  const line = text.split("\n").find((l) => /^flags\s*:/.test(l));
  return new Set(line ? line.slice(line.indexOf(":") + 1).trim().split(/\s+/) : []);
}

export interface LevelChoice {
  level: CpuLevel;
  reason: string;
}

/** The fastest level this CPU supports, or the one forced by `forced` (SONA_CPU_LEVEL). */
export function chooseCpuLevel(flags: Set<string>, forced?: string, available?: string[]): LevelChoice {
  const usable = CPU_LEVELS.filter((l) => !available || available.includes(l.name));
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
    : `best supported by this CPU (has ${level.requires.slice(-3).join(", ") || "x86-64"})`;
  return { level, reason };
}
