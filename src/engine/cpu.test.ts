import { describe, expect, test } from "bun:test";
import { ARM64_LEVELS, auxvFeatures, CPU_LEVELS, chooseCpuLevel, cpuFlags, LEVELS } from "./cpu.ts";

/** An auxiliary vector as the kernel lays it out on a 64-bit machine: (type, value) pairs, AT_NULL last. */
function auxv(entries: [number, bigint][]): Uint8Array {
  const all = [...entries, [0, 0n] as [number, bigint]];
  const view = new DataView(new ArrayBuffer(all.length * 16));
  all.forEach(([type, value], i) => {
    view.setBigUint64(i * 16, BigInt(type), true);
    view.setBigUint64(i * 16 + 8, value, true);
  });
  return new Uint8Array(view.buffer);
}
const AT_PAGESZ = 6;
const AT_HWCAP = 16;
const AT_HWCAP2 = 26;
const bits = (...n: number[]) => n.reduce((v, b) => v | (1n << BigInt(b)), 0n);

describe("arm64 features", () => {
  test("HWCAP and HWCAP2 bits are read by their kernel names", () => {
    // fp asimd ... fphp(9) asimdhp(10) ... asimddp(20); HWCAP2: i8mm(13) bf16(14)
    const f = auxvFeatures(auxv([[AT_PAGESZ, 4096n], [AT_HWCAP, bits(0, 1, 7, 9, 10, 20)], [AT_HWCAP2, bits(13, 14)]]))!;
    expect([...f].sort()).toEqual(["asimd", "asimddp", "asimdhp", "bf16", "crc32", "fp", "fphp", "i8mm"]);
  });

  test("no HWCAP entry, or no auxv at all: null (the caller falls back to /proc/cpuinfo)", () => {
    expect(auxvFeatures(auxv([[AT_PAGESZ, 4096n]]))).toBeNull();
    expect(auxvFeatures(new Uint8Array(0))).toBeNull();
  });

  test("/proc/cpuinfo's Features line is the fallback on arm64, flags on x86-64", () => {
    const cpuinfo = "processor\t: 0\nBogoMIPS\t: 50.00\nFeatures\t: fp asimd evtstrm crc32 cpuid\nCPU part\t: 0xd08\n";
    expect([...cpuFlags(cpuinfo, "arm64")]).toEqual(["fp", "asimd", "evtstrm", "crc32", "cpuid"]);
    expect(cpuFlags(cpuinfo, "x64").size).toBe(0);
    expect(cpuFlags("flags\t\t: fpu sse4_2 avx\n", "x64")).toEqual(new Set(["fpu", "sse4_2", "avx"]));
  });
});

describe("arm64 levels", () => {
  const pi4 = new Set(["fp", "asimd", "evtstrm", "crc32", "cpuid"]); // Cortex-A72: ARMv8.0
  const pi5 = new Set([...pi4, "atomics", "fphp", "asimdhp", "asimdrdm", "lrcpc", "dcpop", "asimddp"]); // Cortex-A76

  test("the best level the CPU has", () => {
    expect(chooseCpuLevel(pi4, undefined, undefined, "arm64")).toEqual({
      level: ARM64_LEVELS[0]!,
      reason: "best supported by this CPU (no asimddp, fphp, asimdhp for armv8.2-dotprod)",
    });
    expect(chooseCpuLevel(pi5, undefined, undefined, "arm64").level.name).toBe("armv8.2-dotprod");
    // dot product without fp16 arithmetic is not enough: the build uses both
    expect(chooseCpuLevel(new Set([...pi4, "asimddp"]), undefined, undefined, "arm64").level.name).toBe("armv8.0");
  });

  test("SONA_CPU_LEVEL: the baseline can be forced; a level the CPU lacks, or an x86 one, is refused", () => {
    expect(chooseCpuLevel(pi5, "armv8.0", undefined, "arm64").reason).toBe("forced by SONA_CPU_LEVEL");
    expect(() => chooseCpuLevel(pi4, "armv8.2-dotprod", undefined, "arm64")).toThrow("needs asimddp, fphp, asimdhp, which this CPU lacks");
    expect(() => chooseCpuLevel(pi5, "avx2", undefined, "arm64")).toThrow("is not one of: armv8.0, armv8.2-dotprod");
  });

  test("each arm64 level builds for its own -march, and x86-64 keeps its table", () => {
    expect(ARM64_LEVELS.map((l) => l.cmake.GGML_CPU_ARM_ARCH)).toEqual(["armv8-a", "armv8.2-a+dotprod+fp16"]);
    expect(LEVELS.x64).toBe(CPU_LEVELS);
    expect(CPU_LEVELS.map((l) => l.name)).toEqual(["x86-64", "avx2", "avx512"]);
    expect(chooseCpuLevel(new Set(["sse4_2", "avx", "avx2", "fma", "f16c", "bmi2"]), undefined, undefined, "x64").level.name).toBe("avx2");
  });
});
