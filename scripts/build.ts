#!/usr/bin/env bun
// `npm run build`: the one-file `dist/sona` for linux-x64, with every CPU-level libwhisper build,
// the lean ffmpeg and the Silero VAD model (vendor/silero-vad, checked against its pinned sha256)
// embedded. Builds the native parts first (cached, so usually instant).
//
//   bun scripts/build.ts [--outfile dist/sona] [--no-bytecode] [--skip-native] [--target linux-arm64]
//   env SONA_BUN_TARGET: the Bun runtime to build the host target on (default bun-linux-x64-baseline)
// --target builds for another platform from its cross-built lib/<target>/ (scripts/release.ts builds
// every target); the default is this host.
//
// src/bundle/assets.ts is a stub in dev; here a plugin hands the bundler generated source in its
// place that imports each file `with { type: "file" }` (which embeds it) and records its size and
// sha256, so the binary can check what it unpacks. Nothing generated is written into src/.
// Files are embedded zstd-compressed (11.3 MB -> 4.2 MB): that keeps the binary under its size
// goal with bytecode on, for about 10 ms of decompression on the first run only.
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { dirname, join, resolve } from "node:path";
import type { BunPlugin } from "bun";
import { LEVELS } from "../src/engine/cpu.ts";
import { hostTarget, libraryFile, type Target, TARGETS, targetLibDir } from "../src/engine/library.ts";
import { VULKAN_LIBRARY } from "../src/gpu/library.ts";
import { EMBEDDED_VAD, VENDORED_VAD_PATH } from "../src/vad/model.ts";
import { VERSION } from "../src/version.ts";

const ROOT = resolve(import.meta.dir, "..");
const ASSETS_MODULE = join(ROOT, "src/bundle/assets.ts");
const VAD_DIR = dirname(VENDORED_VAD_PATH);
const ZSTD_LEVEL = 19;
// The baseline runtime runs on any x86-64 CPU: shipping an x86-64 libwhisper level would be
// pointless inside a runtime that itself needs AVX2 (Bun fetches it from npm once, ~107 MB).
function bunTarget(target: Target): Bun.Build.CompileTarget {
  if (target === "linux-arm64") return "bun-linux-arm64";
  return (process.env.SONA_BUN_TARGET ?? "bun-linux-x64-baseline") as Bun.Build.CompileTarget;
}
const PACK_DIR = join(
  process.env.SONA_BUILD_CACHE ? resolve(process.env.SONA_BUILD_CACHE) : join(process.env.XDG_CACHE_HOME || join(homedir(), ".cache"), "sona-build"),
  "embed",
);

interface Options { outfile: string; bytecode: boolean; native: boolean; target: Target }

function parseArgs(argv: string[]): Options {
  const o: Options = { outfile: "", bytecode: true, native: true, target: hostTarget() };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === "--outfile" && argv[i + 1]) o.outfile = resolve(argv[++i]!);
    else if (a === "--target" && TARGETS.includes(argv[i + 1] as Target)) o.target = argv[++i] as Target;
    else if (a === "--no-bytecode") o.bytecode = false;
    else if (a === "--skip-native") o.native = false;
    else throw new Error(`build: unknown argument ${a} (--target takes one of ${TARGETS.join(", ")})`);
  }
  o.outfile ||= join(ROOT, o.target === hostTarget() ? "dist/sona" : `dist/sona-${o.target}`);
  return o;
}

function runScript(script: string, target: Target): void {
  const r = Bun.spawnSync([process.execPath, join(ROOT, "scripts", script), "--target", target], { cwd: ROOT, stdout: "inherit", stderr: "inherit" });
  if (r.exitCode !== 0) throw new Error(`build: scripts/${script} failed (exit ${r.exitCode})`);
}

function commit(): string {
  const r = Bun.spawnSync(["git", "rev-parse", "--short=8", "HEAD"], { cwd: ROOT, stderr: "ignore" });
  return r.exitCode === 0 ? r.stdout.toString().trim() : "dev";
}

interface Entry { name: string; packed: string; size: number; sha256: string; executable: boolean }

function entry(name: string, executable: boolean, dir: string): Entry {
  const bytes = readFileSync(join(dir, name)); // a missing file stops the build here, with its path
  const sha256 = createHash("sha256").update(bytes).digest("hex");
  return { name, packed: pack(bytes, sha256), size: bytes.length, sha256, executable };
}

/** The zstd copy of a file, cached by content (level 19 takes seconds per file on 2 cores). */
function pack(bytes: Uint8Array, sha256: string): string {
  const packed = join(PACK_DIR, `${sha256}.z${ZSTD_LEVEL}.zst`);
  if (existsSync(packed)) return packed;
  mkdirSync(PACK_DIR, { recursive: true });
  const tmp = `${packed}.${process.pid}.tmp`;
  writeFileSync(tmp, Bun.zstdCompressSync(bytes, { level: ZSTD_LEVEL }));
  renameSync(tmp, packed);
  return packed;
}

/** The source that replaces src/bundle/assets.ts in the binary. */
export function generatedAssets(target: Target = hostTarget()): { source: string; key: string; files: Entry[] } {
  const lib = targetLibDir(ROOT, target);
  const levels = LEVELS[target === "linux-arm64" ? "arm64" : "x64"];
  const libs = levels.map((l) => [l.name, entry(libraryFile(l.name), false, lib)] as const);
  // the Vulkan build exists for linux-x64 only (src/gpu)
  const vulkan = target === "linux-x64" ? entry(VULKAN_LIBRARY, false, lib) : null;
  const ffmpeg = entry("ffmpeg", true, lib);
  const extras = [entry("ffmpeg-COPYING.LGPLv2.1", false, lib)];
  const vad = entry(EMBEDDED_VAD.file, false, VAD_DIR);
  if (vad.size !== EMBEDDED_VAD.size || vad.sha256 !== EMBEDDED_VAD.sha256) {
    throw new Error(`build: ${join(VAD_DIR, EMBEDDED_VAD.file)} is not the pinned Silero model (sha256 ${vad.sha256}, expected ${EMBEDDED_VAD.sha256})`);
  }
  const vadExtras = [{ ...entry("LICENSE", false, VAD_DIR), name: "silero-vad-LICENSE" }];
  const files = [...libs.map(([, e]) => e), ...(vulkan ? [vulkan] : []), ffmpeg, ...extras, vad, ...vadExtras];
  const key = `${VERSION}-${createHash("sha256").update(files.map((f) => `${f.name}:${f.sha256}`).join("\n")).digest("hex").slice(0, 12)}`;
  const ids = new Map(files.map((f, i) => [f, `f${i}`]));
  const rec = (f: Entry) => `{ name: ${JSON.stringify(f.name)}, path: ${ids.get(f)}, size: ${f.size}, sha256: "${f.sha256}", executable: ${f.executable} }`;
  const source = [
    "// generated by scripts/build.ts",
    ...files.map((f) => `import ${ids.get(f)} from ${JSON.stringify(f.packed)} with { type: "file" };`),
    "export const MANIFEST = {",
    `  key: ${JSON.stringify(key)},`,
    `  libraries: { ${libs.map(([level, e]) => `${JSON.stringify(level)}: ${rec(e)}`).join(",\n    ")} },`,
    `  vulkan: ${vulkan ? rec(vulkan) : "null"},`,
    `  ffmpeg: ${rec(ffmpeg)},`,
    `  ffmpegExtras: [${extras.map(rec).join(", ")}],`,
    `  vad: ${rec(vad)},`,
    `  vadExtras: [${vadExtras.map(rec).join(", ")}],`,
    "};",
    "",
  ].join("\n");
  return { source, key, files };
}

function assetsPlugin(source: string): BunPlugin {
  return {
    name: "sona-embedded-assets",
    setup(build) {
      build.onLoad({ filter: /[\\/]src[\\/]bundle[\\/]assets\.ts$/ }, (args) =>
        args.path === ASSETS_MODULE ? { contents: source, loader: "ts" } : undefined,
      );
    },
  };
}

export async function build(o: Options): Promise<void> {
  const t0 = performance.now();
  if (o.native) {
    runScript("fetch-whisper.ts", o.target);
    if (o.target === "linux-x64") runScript("fetch-vulkan.ts", o.target);
    runScript("fetch-ffmpeg.ts", o.target);
  }
  const { source, key, files } = generatedAssets(o.target);
  const target = bunTarget(o.target);
  mkdirSync(join(o.outfile, ".."), { recursive: true });
  rmSync(o.outfile, { force: true });
  const sha = commit();
  const result = await Bun.build({
    entrypoints: [join(ROOT, "src/main.ts"), join(ROOT, "src/engine/worker.ts")],
    compile: { target, outfile: o.outfile, autoloadDotenv: false, autoloadBunfig: false },
    minify: true,
    bytecode: o.bytecode,
    format: "esm",
    define: { SONA_COMMIT: JSON.stringify(sha) },
    plugins: [assetsPlugin(source)],
  });
  if (!result.success) {
    for (const log of result.logs) console.error(log);
    throw new Error("build: bun build --compile failed");
  }
  const size = statSync(o.outfile).size;
  const embedded = files.reduce((n, f) => n + statSync(f.packed).size, 0);
  console.error(
    `build: ${o.outfile} ${(size / 1e6).toFixed(1)} MB (embedded ${(embedded / 1e6).toFixed(1)} MB zstd, cache key ${key}, ` +
      `commit ${sha}, ${target}${o.bytecode ? ", bytecode" : ""}) in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
  );
}

if (import.meta.main) {
  try {
    await build(parseArgs(process.argv.slice(2)));
  } catch (err) {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  }
}
