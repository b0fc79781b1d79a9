#!/usr/bin/env bun
// Builds lib/libsona-whisper-vulkan.so: whisper + ggml + ggml-cpu (avx2) + ggml-vulkan + the
// shims, linked against the system's libvulkan.so.1 (the Vulkan loader), which is why it is a
// library of its own: the CPU-level libraries must keep loading on machines without a loader.
// Sona dlopens it only when a GPU is wanted (src/gpu/). Also builds whisper-cli-vulkan from the
// same tree for the GPU benchmark.
//
// Needs Debian's glslc, libvulkan-dev and spirv-headers (Vulkan headers 1.3.239, hence
// scripts/whisper/vulkan-instance.patch). Two cache entries in $SONA_BUILD_CACHE:
//   vulkan-objs-<key>  the static archives (the long part: 156 shader groups, ggml-vulkan.cpp)
//   vulkan-<key>       the linked library, keyed by the archives' key, the shims and this script
// so an edit to a shim costs a link, not a rebuild.
import { createHash } from "node:crypto";
import { cpSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { CPU_LEVELS } from "../src/engine/cpu.ts";
import { VULKAN_CPU_LEVEL, VULKAN_LIBRARY } from "../src/gpu/library.ts";
import { cacheRoot, installCached, PATCH_DIR, readPin, ROOT, runner, unpackSource, WHISPER_PATCHES } from "./native/whisper-source.ts";

const r = runner("fetch-vulkan");
const libDir = join(ROOT, "lib");
const jobs = String(Math.max(1, navigator.hardwareConcurrency));
const APT = "apt-get install glslc libvulkan-dev spirv-headers";
// after the whisper.cpp patches: the Vulkan backend's own (ggml-vulkan.cpp only)
const VULKAN_PATCHES = ["vulkan-instance.patch"];

// the Vulkan build is impossible without these: say so with the one command, before anything runs
const missing = [
  ["glslc", Bun.which("glslc") !== null],
  ["vulkan/vulkan.h", existsSync("/usr/include/vulkan/vulkan.h")],
  ["spirv/unified1/spirv.hpp", existsSync("/usr/include/spirv/unified1/spirv.hpp")],
].filter(([, ok]) => !ok).map(([name]) => name);
if (missing.length) r.die(`the Vulkan build needs ${missing.join(", ")}; install them with: ${APT}`);

const cmake = r.toolVersion("cmake", "Install it (Debian: apt-get install cmake).");
const cxx = r.toolVersion("g++", "A C++ compiler is needed (Debian: apt-get install g++).");
const glslc = Bun.spawnSync(["glslc", "--version"]).stdout.toString().split("\n").slice(0, 3).join(" ");
const vulkanHeaders = (readFileSync("/usr/include/vulkan/vulkan_core.h", "utf8").match(/#define VK_HEADER_VERSION (\d+)/) ?? [])[1] ?? "?";
const pin = readPin(r);
const level = CPU_LEVELS.find((l) => l.name === VULKAN_CPU_LEVEL)!;

const buildFlags = [
  "-DCMAKE_BUILD_TYPE=Release", "-DBUILD_SHARED_LIBS=OFF", "-DCMAKE_POSITION_INDEPENDENT_CODE=ON",
  "-DGGML_NATIVE=OFF", "-DGGML_OPENMP=OFF", "-DWHISPER_BUILD_TESTS=OFF", "-DWHISPER_SDL2=OFF",
  "-DWHISPER_CURL=OFF", "-DWHISPER_BUILD_EXAMPLES=ON", "-DWHISPER_BUILD_SERVER=OFF", "-DGGML_VULKAN=ON",
  ...Object.entries(level.cmake).map(([k, v]) => `-D${k}=${v}`),
];
const patchTexts = [...WHISPER_PATCHES, ...VULKAN_PATCHES].map((p) => readFileSync(join(PATCH_DIR, p), "utf8"));
const objsKey = hash({ source: pin.sourceKey, patches: patchTexts, buildFlags, cmake, cxx, glslc, vulkanHeaders, build: OBJS_RECIPE() });
const shims = ["shim.c", "vulkan-shim.c", "exports.map"].map((f) => readFileSync(join(PATCH_DIR, f), "utf8"));
const key = hash({ objsKey, shims, script: readFileSync(import.meta.path, "utf8") });
const objsDir = join(cacheRoot(), `vulkan-objs-${objsKey}`);
const cached = join(cacheRoot(), `vulkan-${key}`);

function hash(v: unknown): string {
  return createHash("sha256").update(JSON.stringify(v)).digest("hex").slice(0, 16);
}

// the archives and tools stage 1 keeps; its recipe is part of its key
function OBJS_RECIPE() {
  return {
    archives: ["src/libwhisper.a", "ggml/src/libggml.a", "ggml/src/libggml-base.a", "ggml/src/libggml-cpu.a", "ggml/src/ggml-vulkan/libggml-vulkan.a"],
    tools: ["bin/whisper-cli"],
  };
}

const install = () => installCached(cached, libDir, ".vulkan-key", key);

if (existsSync(join(cached, "vulkan-build-info.json"))) {
  install();
  console.error(`fetch-vulkan: ${VULKAN_LIBRARY} up to date (cache ${key})`);
  process.exit(0);
}

const started = performance.now();
const work = join(cacheRoot(), `work-vulkan-${key}-${process.pid}`);
rmSync(work, { recursive: true, force: true });
mkdirSync(work, { recursive: true });
const log = join(work, "build.log");
// the build reads the very bytes the keys were made from (see fetch-whisper.ts)
const inputs = join(work, "inputs");
mkdirSync(inputs);
[...WHISPER_PATCHES, ...VULKAN_PATCHES].forEach((p, i) => writeFileSync(join(inputs, p), patchTexts[i]!));
["shim.c", "vulkan-shim.c", "exports.map"].forEach((f, i) => writeFileSync(join(inputs, f), shims[i]!));

// 1. the static archives (cached on their own: minutes on 2 cores)
const src = unpackSource(r, pin, work, [...WHISPER_PATCHES, ...VULKAN_PATCHES].map((p) => join(inputs, p)), log);
if (!existsSync(join(objsDir, "done"))) {
  console.error(`fetch-vulkan: building whisper.cpp ${pin.version} with ggml-vulkan (${level.name}; several minutes; log ${log})`);
  const t0 = performance.now();
  const build = join(work, "build");
  r.run(["cmake", "-S", src, "-B", build, ...buildFlags], { log });
  r.run(["nice", "-n", "10", "cmake", "--build", build, "-j", jobs, "--target", "whisper", "whisper-cli"], { log });
  const staged = join(work, "objs");
  mkdirSync(staged);
  for (const f of [...OBJS_RECIPE().archives, ...OBJS_RECIPE().tools]) cpSync(join(build, f), join(staged, f.split("/").pop()!));
  writeFileSync(join(staged, "done"), `${((performance.now() - t0) / 1000).toFixed(0)} s\n`);
  rmSync(objsDir, { recursive: true, force: true });
  renameSync(staged, objsDir); // atomic, like every cache entry
  console.error(`fetch-vulkan: archives built in ${((performance.now() - t0) / 1000).toFixed(0)} s`);
}

// 2. link the library
const out = join(work, "out");
mkdirSync(out);
const include = ["-I", join(src, "include"), "-I", join(src, "ggml/include")];
const objs = ["shim.c", "vulkan-shim.c"].map((f) => {
  const o = join(work, f.replace(/\.c$/, ".o"));
  r.run(["gcc", "-O2", "-fPIC", "-fvisibility=hidden", "-std=c11", ...include, "-c", join(inputs, f), "-o", o], { log });
  return o;
});
const a = (name: string) => join(objsDir, name);
r.run([
  "g++", "-shared", "-o", join(out, VULKAN_LIBRARY), `-Wl,-soname,${VULKAN_LIBRARY}`, ...objs,
  "-Wl,--whole-archive", a("libwhisper.a"), a("libggml.a"), a("libggml-cpu.a"), a("libggml-vulkan.a"), a("libggml-base.a"),
  "-Wl,--no-whole-archive", "-static-libstdc++", "-static-libgcc", "-lvulkan", "-lpthread", "-lm",
  `-Wl,--version-script=${join(inputs, "exports.map")}`, "-Wl,--no-undefined", "-Wl,--gc-sections", "-Wl,-O1", "-s",
], { log });
cpSync(a("whisper-cli"), join(out, "whisper-cli-vulkan"));
writeFileSync(join(out, "vulkan-build-info.json"), JSON.stringify({
  whisper: pin.version, source: pin.localSrc ? `local tree ${pin.localSrc}` : `${pin.pkg} (${pin.integrity})`,
  patches: [...WHISPER_PATCHES, ...VULKAN_PATCHES], key, objsKey, level: level.name, glslc, vulkanHeaders,
  built: new Date().toISOString(), compiler: cxx, cmake,
}, null, 2));
rmSync(cached, { recursive: true, force: true });
renameSync(out, cached);
rmSync(work, { recursive: true, force: true });
install();
console.error(`fetch-vulkan: done in ${((performance.now() - started) / 1000).toFixed(0)} s (cache ${cached})`);
