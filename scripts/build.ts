#!/usr/bin/env bun
// `npm run build`: the one-file `dist/sona` for linux-x64, with every CPU-level libwhisper build,
// the lean ffmpeg and the Silero VAD model (vendor/silero-vad, checked against its pinned sha256)
// embedded. Builds the native parts first (cached, so usually instant).
//
//   bun scripts/build.ts [--outfile dist/sona] [--no-bytecode] [--skip-native]
//   env SONA_BUN_TARGET: the Bun runtime to build on (default bun-linux-x64-baseline)
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
import { CPU_LEVELS } from "../src/engine/cpu.ts";
import { libraryFile } from "../src/engine/library.ts";
import { VULKAN_LIBRARY } from "../src/gpu/library.ts";
import { EMBEDDED_VAD, VENDORED_VAD_PATH } from "../src/vad/model.ts";
import { VERSION } from "../src/version.ts";

const ROOT = resolve(import.meta.dir, "..");
const LIB = join(ROOT, "lib");
const ASSETS_MODULE = join(ROOT, "src/bundle/assets.ts");
const VAD_DIR = dirname(VENDORED_VAD_PATH);
const ZSTD_LEVEL = 19;
// The baseline runtime runs on any x86-64 CPU: shipping an x86-64 libwhisper level would be
// pointless inside a runtime that itself needs AVX2 (Bun fetches it from npm once, ~107 MB).
const TARGET = (process.env.SONA_BUN_TARGET ?? "bun-linux-x64-baseline") as Bun.Build.CompileTarget;
const PACK_DIR = join(
  process.env.SONA_BUILD_CACHE ? resolve(process.env.SONA_BUILD_CACHE) : join(process.env.XDG_CACHE_HOME || join(homedir(), ".cache"), "sona-build"),
  "embed",
);

interface Options { outfile: string; bytecode: boolean; native: boolean }

function parseArgs(argv: string[]): Options {
  const o: Options = { outfile: join(ROOT, "dist/sona"), bytecode: true, native: true };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === "--outfile" && argv[i + 1]) o.outfile = resolve(argv[++i]!);
    else if (a === "--no-bytecode") o.bytecode = false;
    else if (a === "--skip-native") o.native = false;
    else throw new Error(`build: unknown argument ${a}`);
  }
  return o;
}

function runScript(script: string): void {
  const r = Bun.spawnSync([process.execPath, join(ROOT, "scripts", script)], { cwd: ROOT, stdout: "inherit", stderr: "inherit" });
  if (r.exitCode !== 0) throw new Error(`build: scripts/${script} failed (exit ${r.exitCode})`);
}

function commit(): string {
  const r = Bun.spawnSync(["git", "rev-parse", "--short=8", "HEAD"], { cwd: ROOT, stderr: "ignore" });
  return r.exitCode === 0 ? r.stdout.toString().trim() : "dev";
}

interface Entry { name: string; packed: string; size: number; sha256: string; executable: boolean }

function entry(name: string, executable: boolean, dir = LIB): Entry {
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
export function generatedAssets(): { source: string; key: string; files: Entry[] } {
  const libs = CPU_LEVELS.map((l) => [l.name, entry(libraryFile(l.name), false)] as const);
  const vulkan = entry(VULKAN_LIBRARY, false);
  const ffmpeg = entry("ffmpeg", true);
  const extras = [entry("ffmpeg-COPYING.LGPLv2.1", false)];
  const vad = entry(EMBEDDED_VAD.file, false, VAD_DIR);
  if (vad.size !== EMBEDDED_VAD.size || vad.sha256 !== EMBEDDED_VAD.sha256) {
    throw new Error(`build: ${join(VAD_DIR, EMBEDDED_VAD.file)} is not the pinned Silero model (sha256 ${vad.sha256}, expected ${EMBEDDED_VAD.sha256})`);
  }
  const vadExtras = [{ ...entry("LICENSE", false, VAD_DIR), name: "silero-vad-LICENSE" }];
  const files = [...libs.map(([, e]) => e), vulkan, ffmpeg, ...extras, vad, ...vadExtras];
  const key = `${VERSION}-${createHash("sha256").update(files.map((f) => `${f.name}:${f.sha256}`).join("\n")).digest("hex").slice(0, 12)}`;
  const ids = new Map(files.map((f, i) => [f, `f${i}`]));
  const rec = (f: Entry) => `{ name: ${JSON.stringify(f.name)}, path: ${ids.get(f)}, size: ${f.size}, sha256: "${f.sha256}", executable: ${f.executable} }`;
  const source = [
    "// generated by scripts/build.ts",
    ...files.map((f) => `import ${ids.get(f)} from ${JSON.stringify(f.packed)} with { type: "file" };`),
    "export const MANIFEST = {",
    `  key: ${JSON.stringify(key)},`,
    `  libraries: { ${libs.map(([level, e]) => `${JSON.stringify(level)}: ${rec(e)}`).join(",\n    ")} },`,
    `  vulkan: ${rec(vulkan)},`,
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
    runScript("fetch-whisper.ts");
    runScript("fetch-vulkan.ts");
    runScript("fetch-ffmpeg.ts");
  }
  const { source, key, files } = generatedAssets();
  mkdirSync(join(o.outfile, ".."), { recursive: true });
  rmSync(o.outfile, { force: true });
  const sha = commit();
  const result = await Bun.build({
    entrypoints: [join(ROOT, "src/main.ts"), join(ROOT, "src/engine/worker.ts")],
    compile: { target: TARGET, outfile: o.outfile, autoloadDotenv: false, autoloadBunfig: false },
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
      `commit ${sha}, ${TARGET}${o.bytecode ? ", bytecode" : ""}) in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
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
