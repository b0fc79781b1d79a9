// Which libsona-whisper build to load, and why. Dev runs use the repo's lib/; the compiled binary
// registers its embedded copies (unpacked on first use) through setLibrarySource().
import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import { setting } from "../config.ts";
import { chooseCpuLevel, cpuFlags, hostArch, LEVELS } from "./cpu.ts";

let libraryDir = resolve(import.meta.dir, "../../lib");

export function setLibraryDir(dir: string): void {
  libraryDir = dir;
}

export function getLibraryDir(): string {
  return libraryDir;
}

/** The compiled binary's embedded builds: the levels it carries, and how to put one on disk. */
export interface LibrarySource {
  levels: string[];
  path(level: string): string;
}
let source: LibrarySource | null = null;

export function setLibrarySource(s: LibrarySource | null): void {
  source = s;
}

export const libraryFile = (level: string) => `libsona-whisper-${level}.so`;

/** What a release is built for, as its artifact is named: linux-x64, linux-arm64. */
export type Target = "linux-x64" | "linux-arm64";
export const TARGETS: Target[] = ["linux-x64", "linux-arm64"];
export const hostTarget = (): Target => `linux-${hostArch()}`;
/** Where a source checkout keeps a target's native builds: lib/ for the host, lib/<target>/ for a cross build. */
export const targetLibDir = (root: string, target: Target): string => (target === hostTarget() ? join(root, "lib") : join(root, "lib", target));

export interface LibraryChoice {
  path: string;
  level: string;
  reason: string;
}

export function chooseLibrary(env: Record<string, string | undefined> = process.env): LibraryChoice {
  const custom = setting("SONA_LIBWHISPER", env);
  if (custom) {
    return { path: custom, level: "custom", reason: "SONA_LIBWHISPER" };
  }
  const available = source ? source.levels : LEVELS[hostArch()].map((l) => l.name).filter((n) => existsSync(join(libraryDir, libraryFile(n))));
  if (available.length === 0) {
    throw new Error(`libwhisper is not built: no ${libraryFile("*")} in ${libraryDir} (run: npm run setup)`);
  }
  const { level, reason } = chooseCpuLevel(cpuFlags(), setting("SONA_CPU_LEVEL", env), available);
  // only the chosen build is unpacked (and only once a level that this CPU can run was chosen)
  const path = source ? source.path(level.name) : join(libraryDir, libraryFile(level.name));
  return { path, level: level.name, reason };
}
