// Which libsona-whisper build to load, and why. Dev runs use the repo's lib/; the compiled binary
// registers its embedded copies (extracted to the cache) through setLibraryDir().
import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import { CPU_LEVELS, chooseCpuLevel, cpuFlags } from "./cpu.ts";

let libraryDir = resolve(import.meta.dir, "../../lib");

export function setLibraryDir(dir: string): void {
  libraryDir = dir;
}

export function getLibraryDir(): string {
  return libraryDir;
}

export const libraryFile = (level: string) => `libsona-whisper-${level}.so`;

export interface LibraryChoice {
  path: string;
  level: string;
  reason: string;
}

export function chooseLibrary(env: Record<string, string | undefined> = process.env): LibraryChoice {
  if (env.SONA_LIBWHISPER) {
    return { path: env.SONA_LIBWHISPER, level: "custom", reason: "SONA_LIBWHISPER" };
  }
  const available = CPU_LEVELS.map((l) => l.name).filter((n) => existsSync(join(libraryDir, libraryFile(n))));
  if (available.length === 0) {
    throw new Error(`libwhisper is not built: no ${libraryFile("*")} in ${libraryDir} (run: npm run setup)`);
  }
  const { level, reason } = chooseCpuLevel(cpuFlags(), env.SONA_CPU_LEVEL || undefined, available);
  return { path: join(libraryDir, libraryFile(level.name)), level: level.name, reason };
}
