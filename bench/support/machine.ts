// The facts BENCHMARKS.md opens with: what ran, on what, from which source.
import { existsSync, readFileSync } from "node:fs";
import { cpus, totalmem } from "node:os";
import { join } from "node:path";
import { cpuFlags } from "../../src/engine/cpu.ts";
import { chooseLibrary } from "../../src/engine/library.ts";
import { WHISPER_VERSION } from "../../src/version.ts";
import { loadavg } from "./proc.ts";

export interface Machine {
  cpu: string;
  cores: number;
  memGiB: number;
  kernel: string;
  /** the SIMD-relevant flags, in a fixed order */
  simd: string[];
  hypervisor: boolean;
  commit: string;
  dirty: boolean;
  bun: string;
  whisper: string;
  whisperBuild: string;
  library: string;
  ffmpegBundled: string;
  ffmpegSystem: string;
  load: string;
}

const SIMD = ["sse4_2", "avx", "avx2", "fma", "f16c", "bmi2", "avx512f", "avx512bw", "avx512vl", "avx512_vnni", "avx_vnni", "amx_tile"];

function firstLine(cmd: string[]): string {
  try {
    const r = Bun.spawnSync(cmd, { stdout: "pipe", stderr: "pipe" });
    return r.exitCode === 0 ? (r.stdout.toString().split("\n")[0] ?? "").trim() : "";
  } catch {
    return "";
  }
}

export function describeMachine(root: string): Machine {
  const flags = cpuFlags();
  const cpuinfo = existsSync("/proc/cpuinfo") ? readFileSync("/proc/cpuinfo", "utf8") : "";
  const model = /^model name\s*:\s*(.+)$/m.exec(cpuinfo)?.[1] ?? cpus()[0]?.model ?? "unknown";
  // the report and its hand-written analysis are the bench's output, not what it measures
  const dirty = firstLine(["git", "-C", root, "status", "--porcelain", "--untracked-files=no", "--", ".", ":!BENCHMARKS.md", ":!bench/ANALYSIS.md"]) !== "";
  let whisperBuild = "";
  try {
    const info = JSON.parse(readFileSync(join(root, "lib/build-info.json"), "utf8"));
    whisperBuild = `${info.whisper} (${info.compiler}; patches: ${(info.patches ?? []).join(", ") || "none"}; tools at ${info.tools})`;
  } catch {
    whisperBuild = "lib/build-info.json missing";
  }
  let library = "";
  try {
    const l = chooseLibrary();
    library = `${l.level} (${l.reason})`;
  } catch (e) {
    library = String(e);
  }
  return {
    cpu: model,
    cores: navigator.hardwareConcurrency,
    memGiB: totalmem() / 2 ** 30,
    kernel: firstLine(["uname", "-sr"]),
    simd: SIMD.filter((f) => flags.has(f)),
    hypervisor: flags.has("hypervisor"),
    commit: firstLine(["git", "-C", root, "rev-parse", "--short=8", "HEAD"]) || "unknown",
    dirty,
    bun: Bun.version,
    whisper: WHISPER_VERSION,
    whisperBuild,
    library,
    ffmpegBundled: firstLine([join(root, "lib/ffmpeg"), "-version"]).replace(/ Copyright.*/, ""),
    ffmpegSystem: firstLine(["ffmpeg", "-version"]).replace(/ Copyright.*/, ""),
    load: loadavg(),
  };
}
