// The Vulkan build of libsona-whisper: one more library beside the CPU levels, built at one CPU
// level (its CPU backend still runs what the GPU does not) and linked against the system's
// libvulkan.so.1, so it opens only where a Vulkan loader is installed. The CPU libraries never
// depend on it: it is looked for (and, in the compiled binary, unpacked) only when a GPU is wanted.
import { existsSync } from "node:fs";
import { join } from "node:path";
import { cpuFlags, CPU_LEVELS } from "../engine/cpu.ts";
import { getLibraryDir } from "../engine/library.ts";

export const VULKAN_LIBRARY = "libsona-whisper-vulkan.so";
/** the CPU level the Vulkan library's own CPU backend is compiled for */
export const VULKAN_CPU_LEVEL = "avx2";

/** The compiled binary's embedded copy (unpacked on the first call), or null in a source checkout. */
let embedded: (() => string) | null = null;

export function setVulkanSource(unpack: (() => string) | null): void {
  embedded = unpack;
}

/** The Vulkan library's path, or why there is none to use. */
export function vulkanLibrary(flags: Set<string> = cpuFlags()): { path: string } | { reason: string } {
  const level = CPU_LEVELS.find((l) => l.name === VULKAN_CPU_LEVEL)!;
  const missing = level.requires.filter((f) => !flags.has(f));
  // built for avx2: on an older CPU it would die with SIGILL in its CPU backend
  if (missing.length) return { reason: `the Vulkan build needs ${missing.join(", ")}, which this CPU lacks` };
  if (embedded) return { path: embedded() };
  const path = join(getLibraryDir(), VULKAN_LIBRARY);
  return existsSync(path) ? { path } : { reason: `${VULKAN_LIBRARY} is not built (run: npm run setup)` };
}
