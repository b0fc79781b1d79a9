#!/usr/bin/env bun
// Builds the pinned whisper.cpp into lib/:
//   libsona-whisper-<level>.so   one self-contained library per CPU level (whisper + ggml + shim,
//                                static libstdc++, no OpenMP; needs only libc and libm)
//   whisper-cli, whisper-server  from the same source and flags, at the best level this host
//                                supports (parity test and benchmarks)
//   whisper-cli-reference        whisper-cli from the pinned source without our patches, so the
//                                parity test shows that the patches change no result
//   build-info.json              what was built and from what
// `--target linux-arm64` cross-compiles the same source, patches and shim with aarch64-linux-gnu-gcc
// into lib/linux-arm64/ (the arm64 CPU levels, and a whisper-cli at the best level for the
// agreement test under qemu-aarch64); the host target is the default and goes into lib/.
// The source comes from the npm package named in .whisper.cpp-commit and is checked against the
// pinned integrity hash; SONA_WHISPER_SRC=<dir> uses a local tree instead. Builds are cached in
// $SONA_BUILD_CACHE (default ~/.cache/sona-build), keyed by every input, so reruns are instant.
import { createHash } from "node:crypto";
import { cpSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { chooseCpuLevel, cpuFlags, LEVELS } from "../src/engine/cpu.ts";
import { hostTarget, type Target, TARGETS, targetLibDir } from "../src/engine/library.ts";
import { cacheRoot, installCached, PATCH_DIR, readPin, ROOT, runner, unpackSource, WHISPER_PATCHES } from "./native/whisper-source.ts";

const { die, run, toolVersion } = runner("fetch-whisper");
const targetArg = process.argv.indexOf("--target");
const target = (targetArg > 0 ? process.argv[targetArg + 1] : hostTarget()) as Target;
if (!TARGETS.includes(target)) die(`--target must be one of ${TARGETS.join(", ")}`);
const arch = target === "linux-arm64" ? "arm64" : "x64";
const cross = target !== hostTarget();
const CPU_LEVELS = LEVELS[arch];
const libDir = targetLibDir(ROOT, target);
const jobs = String(Math.max(1, navigator.hardwareConcurrency));

const cmake = toolVersion("cmake", "Install it (Debian: apt-get install cmake).");
// a cross build names its compilers by triplet (Debian's g++-aarch64-linux-gnu; an x64 build on an
// arm64 host would use g++-x86-64-linux-gnu)
const prefix = cross ? `${arch === "arm64" ? "aarch64" : "x86_64"}-linux-gnu-` : "";
const crossHint = `Install the cross toolchain (Debian: apt-get install g++-${prefix.slice(0, -1).replace(/_/g, "-")} libc6-dev-${arch === "arm64" ? "arm64" : "amd64"}-cross).`;
const cxxTool = `${prefix}g++`;
const ccTool = `${prefix}gcc`;
const cxx = toolVersion(cxxTool, cross ? crossHint : "A C++ compiler is needed (Debian: apt-get install g++).");
const cc = toolVersion(ccTool, cross ? crossHint : "A C compiler is needed (Debian: apt-get install gcc).");

const pin = readPin({ die, run, toolVersion });

const buildFlags = [
  "-DCMAKE_BUILD_TYPE=Release", "-DBUILD_SHARED_LIBS=OFF", "-DCMAKE_POSITION_INDEPENDENT_CODE=ON",
  "-DGGML_NATIVE=OFF", "-DGGML_OPENMP=OFF", "-DWHISPER_BUILD_TESTS=OFF", "-DWHISPER_SDL2=OFF",
  "-DWHISPER_CURL=OFF", "-DWHISPER_BUILD_EXAMPLES=ON", `-DWHISPER_BUILD_SERVER=${cross ? "OFF" : "ON"}`,
  ...(cross
    ? [
        "-DCMAKE_SYSTEM_NAME=Linux", `-DCMAKE_SYSTEM_PROCESSOR=${arch === "arm64" ? "aarch64" : "x86_64"}`,
        `-DCMAKE_C_COMPILER=${ccTool}`, `-DCMAKE_CXX_COMPILER=${cxxTool}`,
        `-DCMAKE_FIND_ROOT_PATH=/usr/${prefix.slice(0, -1)}`, "-DCMAKE_FIND_ROOT_PATH_MODE_PROGRAM=NEVER",
        "-DCMAKE_FIND_ROOT_PATH_MODE_LIBRARY=ONLY", "-DCMAKE_FIND_ROOT_PATH_MODE_INCLUDE=ONLY",
      ]
    : []),
];
// the tools (whisper-cli, ...) are built at the level this host runs; for a cross target, at the
// best level, which qemu-user's default CPU ("max") supports
const hostLevel = cross ? CPU_LEVELS.at(-1)!.name : chooseCpuLevel(cpuFlags()).level.name;
const inputs = {
  target,
  source: pin.sourceKey,
  patches: WHISPER_PATCHES.map((p) => readFileSync(join(PATCH_DIR, p), "utf8")),
  shim: readFileSync(join(PATCH_DIR, "shim.c"), "utf8"),
  exports: readFileSync(join(PATCH_DIR, "exports.map"), "utf8"),
  // this script and the source unpacking it shares with fetch-vulkan.ts
  script: [import.meta.path, join(import.meta.dir, "native/whisper-source.ts")].map((f) => readFileSync(f, "utf8")),
  levels: CPU_LEVELS,
  buildFlags, hostLevel, cmake, cxx, cc,
};
const key = createHash("sha256").update(JSON.stringify(inputs)).digest("hex").slice(0, 16);
const cached = join(cacheRoot(), `whisper-${key}`);
const install = () => installCached(cached, libDir, ".whisper-key", key);

if (existsSync(join(cached, "build-info.json"))) {
  install();
  console.error(`fetch-whisper: whisper.cpp ${pin.version} for ${target} up to date (cache ${key})`);
  process.exit(0);
}

const started = performance.now();
const work = join(cacheRoot(), `work-${key}-${process.pid}`);
rmSync(work, { recursive: true, force: true });
mkdirSync(work, { recursive: true });
const log = join(work, "build.log");
// the build reads the very bytes the key was made from: a file edited while a build runs (minutes)
// must not end up in the cache under the old key
const inputsDir = join(work, "inputs");
mkdirSync(inputsDir);
WHISPER_PATCHES.forEach((p, i) => writeFileSync(join(inputsDir, p), inputs.patches[i]!));
writeFileSync(join(inputsDir, "shim.c"), inputs.shim);
writeFileSync(join(inputsDir, "exports.map"), inputs.exports);
console.error(`fetch-whisper: building whisper.cpp ${pin.version} for ${target} (levels ${CPU_LEVELS.map((l) => l.name).join(", ")}; log ${log})`);

// 1. source; the patches touch only src/whisper.cpp, whose pristine text whisper-cli-reference keeps
const src = unpackSource({ die, run, toolVersion }, pin, work, [], log);
const whisperCpp = join(src, "src/whisper.cpp");
const pristine = readFileSync(whisperCpp);
for (const p of WHISPER_PATCHES) run(["patch", "-p1", "--forward", "--batch", "-i", join(inputsDir, p)], { cwd: src, log });

// 2. one static build + linked .so per level
const out = join(work, "out");
mkdirSync(out);
const include = ["-I", join(src, "include"), "-I", join(src, "ggml/include")];
for (const level of CPU_LEVELS) {
  const t0 = performance.now();
  const build = join(work, `build-${level.name}`);
  const levelFlags = Object.entries(level.cmake).map(([k, v]) => `-D${k}=${v}`);
  run(["cmake", "-S", src, "-B", build, ...buildFlags, ...levelFlags], { log });
  const tools = level.name !== hostLevel ? [] : cross ? ["whisper-cli"] : ["whisper-cli", "whisper-server"];
  const targets = ["whisper", ...tools];
  run(["cmake", "--build", build, "-j", jobs, "--target", ...targets], { log });
  const shimObj = join(build, "shim.o");
  run([ccTool, "-O2", "-fPIC", "-fvisibility=hidden", "-std=c11", ...include, "-c", join(inputsDir, "shim.c"), "-o", shimObj], { log });
  const so = join(out, `libsona-whisper-${level.name}.so`);
  run([
    cxxTool, "-shared", "-o", so, `-Wl,-soname,libsona-whisper-${level.name}.so`, shimObj,
    "-Wl,--whole-archive", join(build, "src/libwhisper.a"), join(build, "ggml/src/libggml.a"),
    join(build, "ggml/src/libggml-cpu.a"), join(build, "ggml/src/libggml-base.a"), "-Wl,--no-whole-archive",
    "-static-libstdc++", "-static-libgcc", "-lpthread", "-lm",
    `-Wl,--version-script=${join(inputsDir, "exports.map")}`, "-Wl,--no-undefined", "-Wl,--gc-sections", "-Wl,-O1", "-s",
  ], { log });
  if (level.name === hostLevel) {
    for (const exe of tools) cpSync(join(build, "bin", exe), join(out, exe));
  }
  console.error(`fetch-whisper: ${level.name} built in ${((performance.now() - t0) / 1000).toFixed(0)} s`);
}

// 3. whisper-cli-reference: the host build again with the pristine whisper.cpp (only that file
// recompiles; every level's library is already linked above). The parity test runs on the host only.
if (!cross) {
  const build = join(work, `build-${hostLevel}`);
  writeFileSync(whisperCpp, pristine);
  run(["cmake", "--build", build, "-j", jobs, "--target", "whisper-cli"], { log });
  cpSync(join(build, "bin", "whisper-cli"), join(out, "whisper-cli-reference"));
}

writeFileSync(join(out, "build-info.json"), JSON.stringify({
  whisper: pin.version, source: pin.localSrc ? `local tree ${pin.localSrc}` : `${pin.pkg} (${pin.integrity})`,
  target, patches: WHISPER_PATCHES, key, levels: CPU_LEVELS.map((l) => l.name),
  tools: cross ? `${hostLevel} (whisper-cli)` : `${hostLevel} (whisper-cli, whisper-server, whisper-cli-reference without patches)`,
  built: new Date().toISOString(), compiler: cxx, cmake,
}, null, 2));
mkdirSync(cacheRoot(), { recursive: true });
rmSync(cached, { recursive: true, force: true });
renameSync(out, cached); // atomic: a cache entry is complete or absent
rmSync(work, { recursive: true, force: true });
install();
console.error(`fetch-whisper: done in ${((performance.now() - started) / 1000).toFixed(0)} s (cache ${cached})`);

