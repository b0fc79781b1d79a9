#!/usr/bin/env bun
// Builds the ffmpeg that Sona bundles: a fully static, LGPL-2.1+, audio-only ffmpeg CLI from
// Debian's pinned ffmpeg source package, and installs it as lib/ffmpeg (+ lib/ffmpeg-info.json).
//
// The source is Debian's ffmpeg 7:5.1.9-0+deb12u1 (bookworm-security), fetched with
// `apt-get source` through a private apt configuration (the system's apt sources are never
// touched), checked against the pinned .dsc hash and the .dsc's own checksums, and patched with
// Debian's patch series. Tarballs and builds are cached in $SONA_BUILD_CACHE (default
// ${XDG_CACHE_HOME:-~/.cache}/sona-build); a build is keyed by every input, so reruns are instant.
// Notes on the component choice, licensing and the runtime override: scripts/ffmpeg/README.md.
// `--target linux-arm64` cross-builds the same source and configuration with aarch64-linux-gnu-gcc
// against Debian's libc6-dev-arm64-cross into lib/linux-arm64/, and runs its checks under
// qemu-aarch64; the host target is the default and goes into lib/.
import { createHash } from "node:crypto";
import {
  closeSync, copyFileSync, existsSync, mkdirSync, openSync, readFileSync, readdirSync, renameSync,
  rmSync, statSync, writeFileSync,
} from "node:fs";
import { homedir } from "node:os";
import { join, relative, resolve } from "node:path";
import type { Subprocess } from "bun";
import { hostTarget, type Target, TARGETS, targetLibDir } from "../src/engine/library.ts";

// ---- pins -------------------------------------------------------------------------------------
const DEBIAN_VERSION = "7:5.1.9-0+deb12u1";
const SUITE = "bookworm-security";
const UPSTREAM = "5.1.9";
const DSC = "ffmpeg_5.1.9-0+deb12u1.dsc";
const DSC_SHA256 = "055f82fca9a92f1d47216be2c2488d09373c7ca154806fbc36b0127c191d5104";
const ORIG = "ffmpeg_5.1.9.orig.tar.xz";
const DEBIAN_TAR = "ffmpeg_5.1.9-0+deb12u1.debian.tar.xz";
const KEYRING = "/usr/share/keyrings/debian-archive-keyring.gpg";
const DEFAULT_SECURITY_MIRROR = "http://deb.debian.org/debian-security";

// Configure arguments. Pitfalls (see shared/reference/ffmpeg-lean-build.md): the raw PCM muxers
// are called pcm_f32le / pcm_s16le here (f32le / s16le are runtime names only); the amr demuxers
// need the amr parser, which configure does not select; --disable-iconv keeps glibc's iconv (and
// its runtime dlopen of gconv modules) out of the static binary.
const CONFIGURE = [
  "--disable-everything",
  "--disable-autodetect",
  "--disable-network",
  "--disable-doc",
  "--disable-ffplay",
  "--disable-ffprobe",
  "--enable-ffmpeg",
  "--disable-avdevice",
  "--disable-swscale",
  "--disable-postproc",
  "--disable-iconv",
  "--enable-avcodec",
  "--enable-avformat",
  "--enable-avfilter",
  "--enable-swresample",
  "--enable-static",
  "--disable-shared",
  "--extra-ldflags=-static",
  "--extra-version=0+deb12u1-sona",
  "--enable-protocol=file,pipe",
  "--enable-demuxer=wav,w64,mp3,aac,flac,ogg,matroska,mov,aiff,caf,asf,amr,amrnb,amrwb,avi,flv,mpegts,au",
  "--enable-decoder=" + [
    "pcm_*", "adpcm_ms", "adpcm_ima_wav", "adpcm_ima_qt", "adpcm_ima_oki", "adpcm_ima_dk3", "adpcm_ima_dk4",
    "adpcm_g722", "adpcm_g726", "adpcm_g726le", "adpcm_swf", "adpcm_yamaha", "mp3float", "mp3", "mp2float",
    "mp2", "aac", "aac_latm", "opus", "vorbis", "flac", "alac", "wmav1", "wmav2", "ac3", "eac3", "amrnb",
    "amrwb", "gsm", "gsm_ms",
  ].join(","),
  "--enable-parser=aac,aac_latm,mpegaudio,opus,vorbis,flac,ac3,amr,gsm",
  "--enable-filter=aresample,aformat,anull,silenceremove,amix,volume,pan,atrim,asetpts",
  "--enable-encoder=pcm_f32le,pcm_s16le",
  "--enable-muxer=pcm_f32le,pcm_s16le,wav,null",
];

// ---- helpers ----------------------------------------------------------------------------------
const root = resolve(import.meta.dir, "..");
const targetArg = process.argv.indexOf("--target");
const target = (targetArg > 0 ? process.argv[targetArg + 1] : hostTarget()) as Target;
const cross = target !== hostTarget();
const arm64 = target === "linux-arm64";
const prefix = cross ? (arm64 ? "aarch64-linux-gnu-" : "x86_64-linux-gnu-") : "";
// a cross build tells configure the target; its own checks then run nothing, and ours run the
// result under qemu-user
const CROSS = cross ? ["--enable-cross-compile", `--cross-prefix=${prefix}`, `--arch=${arm64 ? "aarch64" : "x86_64"}`, "--target-os=linux"] : [];
const libDir = targetLibDir(root, target);
const jobs = String(Math.max(1, navigator.hardwareConcurrency));
const started = performance.now();

function say(message: string): void {
  console.error(`fetch-ffmpeg: ${message}`);
}

function die(message: string): never {
  cleanup();
  say(message);
  process.exit(1);
}

function seconds(since: number): string {
  return `${((performance.now() - since) / 1000).toFixed(1)} s`;
}

function sha256(data: string | Uint8Array): string {
  return createHash("sha256").update(data).digest("hex");
}

function tail(text: string, lines = 40): string {
  return text.trimEnd().split("\n").slice(-lines).join("\n");
}

function requireTool(tool: string, pkg: string): string {
  const path = Bun.which(tool);
  if (!path) die(`${tool} not found; install it first (Debian: apt-get install ${pkg})`);
  return path;
}

function firstLine(cmd: string[]): string {
  const p = Bun.spawnSync(cmd, { stdout: "pipe", stderr: "pipe" });
  return (p.stdout.toString() || p.stderr.toString()).split("\n")[0]?.trim() ?? "";
}

/**
 * Runs a command with stdout and stderr appended to `log`; on failure prints the log's tail and exits.
 * `detail` names a file whose tail is added to the log on failure (configure's own ffbuild/config.log).
 */
async function logged(what: string, cmd: string[], cwd: string, log: string, detail?: string): Promise<void> {
  const fd = openSync(log, "a");
  writeFileSync(fd, `\n$ ${cmd.join(" ")}\n`);
  const t0 = performance.now();
  const proc = Bun.spawn(cmd, { cwd, stdin: "ignore", stdout: fd, stderr: fd });
  running = proc;
  const beat = setInterval(() => say(`  ... ${what} (${seconds(t0)})`), 30_000);
  const code = await proc.exited;
  running = undefined;
  clearInterval(beat);
  if (code !== 0 && detail && existsSync(detail)) {
    writeFileSync(fd, `\n--- last lines of ${detail} ---\n${tail(readFileSync(detail, "utf8"), 30)}\n`);
  }
  closeSync(fd);
  if (code !== 0) fail(`${what} failed (exit ${code}): ${cmd.join(" ")}`, log);
}

let running: Subprocess | undefined;
let failedLogTarget = "";
function fail(message: string, log: string): never {
  let text = "";
  try {
    text = readFileSync(log, "utf8");
  } catch {
    // no log yet
  }
  if (failedLogTarget && text) {
    writeFileSync(failedLogTarget, text);
    say(`--- last lines of the log (full log: ${failedLogTarget}) ---\n${tail(text)}\n---`);
  } else if (text) {
    say(`--- last lines of ${log} ---\n${tail(text)}\n---`);
  }
  die(message);
}

let workDir = "";
function cleanup(): void {
  if (workDir) rmSync(workDir, { recursive: true, force: true });
}

// ---- tools and cache key ----------------------------------------------------------------------
if (!TARGETS.includes(target)) die(`--target must be one of ${TARGETS.join(", ")}`);
const gcc = firstLine([requireTool(`${prefix}gcc`, cross ? `gcc-${prefix.slice(0, -1).replace(/_/g, "-")}` : "gcc (or build-essential)"), "--version"]);
// nasm assembles the x86 code only; aarch64's assembly goes through the compiler
const nasm = arm64 ? "none" : firstLine([requireTool("nasm", "nasm"), "-v"]);
/** How the built binary is run for its checks: directly, or (static, so without -L) under qemu-user. */
const runner = cross ? [requireTool(arm64 ? "qemu-aarch64" : "qemu-x86_64", "qemu-user")] : [];
// The static libc.a (and libm.a) end up inside the binary, so their version is an input too.
function libcVersion(): string {
  if (!Bun.which("dpkg-query")) return firstLine(["ldd", "--version"]);
  const pkg = cross ? `libc6-dev-${arm64 ? "arm64" : "amd64"}-cross` : "libc6-dev";
  const p = Bun.spawnSync(["dpkg-query", "-W", "-f", "${Version}", pkg], { stdout: "pipe", stderr: "pipe" });
  const version = p.stdout.toString().trim();
  if (p.exitCode !== 0 || !version) die(`${pkg} (the static libc.a) is not installed; install it first (Debian: apt-get install ${pkg})`);
  return `${pkg} ${version}`;
}
const libc = libcVersion();
for (const [tool, pkg] of [["make", "make"], ["xz", "xz-utils"], ["patch", "patch"], ["tar", "tar"]] as const) requireTool(tool, pkg);

const scriptText = readFileSync(import.meta.path, "utf8");
// a cross build adds its target and configure arguments (the cross gcc and libc are in gcc and libc)
const key = sha256(JSON.stringify({ dsc: DSC_SHA256, configure: CONFIGURE, script: scriptText, gcc, nasm, libc, ...(cross ? { target, cross: CROSS } : {}) })).slice(0, 16);
const cacheRoot = process.env.SONA_BUILD_CACHE
  ? resolve(process.env.SONA_BUILD_CACHE)
  : join(process.env.XDG_CACHE_HOME || join(homedir(), ".cache"), "sona-build");
const cached = join(cacheRoot, `ffmpeg-${key}`);
const srcCache = join(cacheRoot, `ffmpeg-src-${DEBIAN_VERSION.replace(/^\d+:/, "")}`);
const INSTALLED = ["ffmpeg", "ffmpeg-info.json", "ffmpeg-COPYING.LGPLv2.1"];

/** Copies the cached build into lib/ (via a temp name, so a running lib/ffmpeg is never overwritten in place). */
function install(): void {
  mkdirSync(libDir, { recursive: true });
  for (const name of INSTALLED) {
    const tmp = join(libDir, `.${name}.${process.pid}`);
    copyFileSync(join(cached, name), tmp);
    renameSync(tmp, join(libDir, name));
  }
}

if (INSTALLED.every((name) => existsSync(join(cached, name)))) {
  install();
  say(`ffmpeg for ${target} up to date (cache ${key}) -> ${relative(root, libDir)}/ffmpeg`);
  process.exit(0);
}

// ---- 1. source --------------------------------------------------------------------------------
interface SourceFile {
  name: string;
  size: number;
  sha256: string;
}

/** The Checksums-Sha256 entries of a .dsc (a clearsigned deb822 paragraph). */
function dscChecksums(text: string): SourceFile[] {
  const files: SourceFile[] = [];
  let inField = false;
  for (const line of text.split("\n")) {
    if (/^Checksums-Sha256:/i.test(line)) {
      inField = true;
      continue;
    }
    if (!inField) continue;
    const m = /^ ([0-9a-f]{64}) (\d+) (\S+)\s*$/.exec(line);
    if (!m) break;
    files.push({ sha256: m[1]!, size: Number(m[2]), name: m[3]! });
  }
  return files;
}

/** Checks the pinned .dsc and every file it lists in `dir`; returns a problem, or null when all is well. */
function verifySource(dir: string): string | null {
  const dscPath = join(dir, DSC);
  if (!existsSync(dscPath)) return `${DSC} missing`;
  const dsc = readFileSync(dscPath);
  const dscHash = sha256(dsc);
  if (dscHash !== DSC_SHA256) return `${DSC} has sha256 ${dscHash}, expected the pinned ${DSC_SHA256}`;
  const files = dscChecksums(dsc.toString("utf8"));
  for (const needed of [ORIG, DEBIAN_TAR]) {
    if (!files.some((f) => f.name === needed)) return `${DSC} does not list ${needed}`;
  }
  for (const f of files) {
    const path = join(dir, f.name);
    if (!existsSync(path)) return `${f.name} missing`;
    if (statSync(path).size !== f.size) return `${f.name} has the wrong size`;
    const actual = sha256(readFileSync(path));
    if (actual !== f.sha256) return `${f.name} has sha256 ${actual}, but the .dsc says ${f.sha256}`;
  }
  return null;
}

/** The bookworm-security URI this machine's apt already uses (same host), else deb.debian.org. */
function securityMirror(): string {
  const override = process.env.SONA_DEBIAN_SECURITY_MIRROR;
  if (override) return override.replace(/\/+$/, "");
  const files: string[] = [];
  if (existsSync("/etc/apt/sources.list")) files.push("/etc/apt/sources.list");
  const dir = "/etc/apt/sources.list.d";
  if (existsSync(dir)) {
    for (const f of readdirSync(dir).sort()) if (/\.(list|sources)$/.test(f)) files.push(join(dir, f));
  }
  for (const file of files) {
    const text = readFileSync(file, "utf8");
    if (file.endsWith(".sources")) {
      for (const stanza of text.split(/\n\s*\n/)) {
        const field = (name: string): string[] =>
          new RegExp(`^${name}:[ \\t]*(.*)$`, "mi").exec(stanza)?.[1]?.trim().split(/\s+/) ?? [];
        if (field("Enabled")[0]?.toLowerCase() === "no") continue;
        const uri = field("URIs")[0];
        if (uri && field("Suites").includes(SUITE)) return uri.replace(/\/+$/, "");
      }
    } else {
      for (const raw of text.split("\n")) {
        const line = raw.replace(/#.*/, "").replace(/\[[^\]]*\]/, " ").trim().split(/\s+/);
        if ((line[0] === "deb" || line[0] === "deb-src") && line[2] === SUITE && line[1]) return line[1].replace(/\/+$/, "");
      }
    }
  }
  return DEFAULT_SECURITY_MIRROR;
}

async function download(log: string): Promise<void> {
  if (!Bun.which("apt-get")) {
    die(`apt-get not found. Put ${DSC}, ${ORIG} and ${DEBIAN_TAR} (from snapshot.debian.org) into ${srcCache} by hand and rerun.`);
  }
  if (!existsSync(KEYRING)) die(`${KEYRING} not found (Debian: apt-get install debian-archive-keyring)`);
  const mirror = securityMirror();
  const apt = join(cacheRoot, "apt");
  for (const d of ["lists/partial", "cache/archives/partial"]) mkdirSync(join(apt, d), { recursive: true });
  writeFileSync(join(apt, "sources.list"), `deb-src [signed-by=${KEYRING}] ${mirror} ${SUITE} main\n`);
  const opts = [
    "-o", `Dir::Etc::SourceList=${join(apt, "sources.list")}`,
    "-o", "Dir::Etc::SourceParts=/dev/null",
    "-o", `Dir::State::Lists=${join(apt, "lists")}`,
    "-o", `Dir::Cache=${join(apt, "cache")}`,
    // apt hands downloads to the unprivileged _apt user, who cannot write into a private cache
    // under $HOME; it would fall back to root with a warning anyway. The files are hash-checked below.
    ...(process.getuid?.() === 0 ? ["-o", "APT::Sandbox::User=root"] : []),
  ];
  say(`downloading Debian ffmpeg ${DEBIAN_VERSION} source from ${mirror} (${SUITE})`);
  const t0 = performance.now();
  await logged("apt-get update", ["apt-get", ...opts, "-q", "update"], cacheRoot, log);
  const dl = join(cacheRoot, `ffmpeg-src.download-${process.pid}`);
  rmSync(dl, { recursive: true, force: true });
  mkdirSync(dl, { recursive: true });
  const getCmd = ["apt-get", ...opts, "-q", "source", "--download-only", "--only-source", `ffmpeg=${DEBIAN_VERSION}`];
  const get = Bun.spawnSync(getCmd, { cwd: dl, stdout: "pipe", stderr: "pipe" });
  const out = get.stdout.toString() + get.stderr.toString();
  writeFileSync(log, `\n$ ${getCmd.join(" ")}\n${out}`, { flag: "a" });
  if (get.exitCode !== 0) {
    rmSync(dl, { recursive: true, force: true });
    const gone = /Can not find version|Unable to find a source package/i.test(out)
      ? `\nThe pinned ${DEBIAN_VERSION} is probably no longer in ${SUITE} (the security archive keeps only the newest).` +
        ` Either move the pin (DEBIAN_VERSION, file names and DSC_SHA256 in this script) to the new version, or put` +
        ` ${DSC}, ${ORIG} and ${DEBIAN_TAR} from snapshot.debian.org into ${srcCache}.`
      : "";
    say(`--- apt-get output ---\n${tail(out)}\n---`);
    die(`apt-get source failed (exit ${get.exitCode})${gone}`);
  }
  const problem = verifySource(dl);
  if (problem) {
    rmSync(dl, { recursive: true, force: true });
    die(`downloaded source failed verification: ${problem}`);
  }
  rmSync(srcCache, { recursive: true, force: true });
  renameSync(dl, srcCache);
  say(`downloaded and verified in ${seconds(t0)} -> ${srcCache}`);
}

mkdirSync(cacheRoot, { recursive: true });
// Leftovers of runs that were killed: work and download dirs whose process is gone.
for (const name of readdirSync(cacheRoot)) {
  const pid = Number(/^ffmpeg-(?:[0-9a-f]{16}\.work|src\.download)-(\d+)$/.exec(name)?.[1]);
  if (!pid || pid === process.pid) continue;
  try {
    process.kill(pid, 0);
  } catch {
    rmSync(join(cacheRoot, name), { recursive: true, force: true });
  }
}
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.on(signal, () => {
    running?.kill(signal);
    cleanup();
    process.exit(signal === "SIGINT" ? 130 : 143);
  });
}
workDir = join(cacheRoot, `ffmpeg-${key}.work-${process.pid}`);
rmSync(workDir, { recursive: true, force: true });
mkdirSync(workDir, { recursive: true });
const log = join(workDir, "build.log");
failedLogTarget = join(cacheRoot, `ffmpeg-${key}.failed.log`);
say(`building ffmpeg ${UPSTREAM} for ${target} (cache key ${key}; ${gcc}; ${nasm}; ${libc})`);

const cachedProblem = existsSync(srcCache) ? verifySource(srcCache) : "not downloaded yet";
if (cachedProblem) {
  if (existsSync(srcCache)) say(`cached source rejected (${cachedProblem}); downloading again`);
  await download(log);
} else {
  say(`using cached, verified source in ${srcCache}`);
}

// ---- 2. extract and patch ---------------------------------------------------------------------
let t0 = performance.now();
await logged("extract", ["tar", "-xJf", join(srcCache, ORIG), "-C", workDir], workDir, log);
const src = join(workDir, `ffmpeg-${UPSTREAM}`);
if (!existsSync(join(src, "configure"))) fail(`${ORIG} did not unpack to ffmpeg-${UPSTREAM}/`, log);
await logged("extract", ["tar", "-xJf", join(srcCache, DEBIAN_TAR), "-C", src], workDir, log);
const seriesPath = join(src, "debian/patches/series");
const series = existsSync(seriesPath)
  ? readFileSync(seriesPath, "utf8").split("\n").map((l) => l.replace(/#.*/, "").trim()).filter(Boolean)
  : [];
for (const entry of series) {
  const [name, ...flags] = entry.split(/\s+/);
  const strip = flags.find((f) => /^-p\d+$/.test(f)) ?? "-p1";
  await logged(`patch ${name}`, ["patch", strip, "--forward", "--batch", "-i", join(src, "debian/patches", name!)], src, log);
}
say(`unpacked and applied ${series.length} Debian patch(es) in ${seconds(t0)}`);

// ---- 3. configure and build -------------------------------------------------------------------
t0 = performance.now();
say("configuring (10-30 s on 2 cores)");
await logged("configure", ["./configure", ...CONFIGURE, ...CROSS], src, log, join(src, "ffbuild/config.log"));
const configureTime = seconds(t0);
say(`configured in ${configureTime}`);
t0 = performance.now();
say(`building with make -j${jobs} (1-2 min on 2 cores)`);
await logged("make", ["make", `-j${jobs}`, "ffmpeg"], src, log);
const buildTime = seconds(t0);
say(`built in ${buildTime}`);

// ---- 4. check what came out -------------------------------------------------------------------
const binary = join(src, "ffmpeg");
if (!existsSync(binary)) fail("make finished but ffmpeg was not produced", log);

/**
 * True for an ELF executable for the target's machine with neither an interpreter nor a dynamic
 * section (what ldd calls "not a dynamic executable").
 */
function isStaticElf(path: string): boolean {
  const b = readFileSync(path);
  if (b.length < 64 || b.readUInt32BE(0) !== 0x7f454c46 || b[4] !== 2 || b[5] !== 1) return false; // ELF64, little-endian
  if (b.readUInt16LE(0x12) !== (arm64 ? 0xb7 /* EM_AARCH64 */ : 0x3e /* EM_X86_64 */)) return false;
  const phoff = Number(b.readBigUInt64LE(0x20));
  const phentsize = b.readUInt16LE(0x36);
  const phnum = b.readUInt16LE(0x38);
  for (let i = 0; i < phnum; i++) {
    const type = b.readUInt32LE(phoff + i * phentsize);
    if (type === 2 /* PT_DYNAMIC */ || type === 3 /* PT_INTERP */) return false;
  }
  return true;
}
if (!isStaticElf(binary)) fail(`the built ffmpeg is not a static ELF64 executable for ${target}`, log);

const versionOut = Bun.spawnSync([...runner, binary, "-hide_banner", "-version"], { stdout: "pipe", stderr: "pipe" }).stdout.toString();
const version = /^ffmpeg version (\S+)/.exec(versionOut)?.[1];
if (!version) fail(`cannot read the version from ${binary} -version:\n${versionOut}`, log);
if (/--enable-(gpl|nonfree|version3)\b/.test(versionOut)) fail("the build is not plain LGPL-2.1+", log);
const licenseOut = Bun.spawnSync([...runner, binary, "-hide_banner", "-L"], { stdout: "pipe", stderr: "pipe" }).stdout.toString();
if (!/GNU Lesser General Public\s+License/.test(licenseOut) || !/version 2\.1 of the License/.test(licenseOut)) {
  fail(`ffmpeg -L does not report LGPL-2.1+:\n${licenseOut}`, log);
}

// Smoke test: 1 s of 44.1 kHz stereo s16 WAV -> 16 kHz mono f32le must give exactly 16000 samples.
const rate = 44100;
const wav = Buffer.alloc(44 + rate * 4);
wav.write("RIFF", 0);
wav.writeUInt32LE(36 + rate * 4, 4);
wav.write("WAVEfmt ", 8);
wav.writeUInt32LE(16, 16);
wav.writeUInt16LE(1, 20); // PCM
wav.writeUInt16LE(2, 22); // channels
wav.writeUInt32LE(rate, 24);
wav.writeUInt32LE(rate * 4, 28);
wav.writeUInt16LE(4, 32);
wav.writeUInt16LE(16, 34);
wav.write("data", 36);
wav.writeUInt32LE(rate * 4, 40);
for (let i = 0; i < rate; i++) {
  const s = Math.round(8000 * Math.sin((2 * Math.PI * 440 * i) / rate));
  wav.writeInt16LE(s, 44 + i * 4);
  wav.writeInt16LE(s, 46 + i * 4);
}
const smokeIn = join(workDir, "smoke.wav");
writeFileSync(smokeIn, wav);
const smoke = Bun.spawnSync(
  [...runner, binary, "-nostdin", "-hide_banner", "-loglevel", "error", "-i", smokeIn, "-af", "volume=1.0,asetpts=N/SR/TB", "-ac", "1", "-ar", "16000", "-f", "f32le", "-"],
  { stdout: "pipe", stderr: "pipe" },
);
if (smoke.exitCode !== 0 || smoke.stdout.length !== 16000 * 4) {
  fail(`smoke test failed (exit ${smoke.exitCode}, ${smoke.stdout.length} bytes, expected 64000): ${smoke.stderr.toString()}`, log);
}

// ---- 5. publish into the cache (atomically) and install ---------------------------------------
const out = join(workDir, "out");
mkdirSync(out);
copyFileSync(binary, join(out, "ffmpeg"));
copyFileSync(join(src, "COPYING.LGPLv2.1"), join(out, "ffmpeg-COPYING.LGPLv2.1"));
const dscFiles = dscChecksums(readFileSync(join(srcCache, DSC), "utf8"));
writeFileSync(join(out, "ffmpeg-info.json"), JSON.stringify({
  version,
  license: "LGPL-2.1-or-later",
  source: `Debian ffmpeg ${DEBIAN_VERSION}`,
  sourceFiles: [{ name: DSC, sha256: DSC_SHA256 }, ...dscFiles.map((f) => ({ name: f.name, sha256: f.sha256 }))],
  debianPatches: series,
  target,
  configure: [...CONFIGURE, ...CROSS],
  compiler: gcc,
  assembler: nasm,
  libc,
  sha256: sha256(readFileSync(binary)),
  key,
}, null, 2) + "\n");

const complete = (): boolean => INSTALLED.every((name) => existsSync(join(cached, name)));
if (existsSync(cached) && !complete()) rmSync(cached, { recursive: true, force: true }); // incomplete leftover
try {
  renameSync(out, cached); // a cache entry is complete or absent
} catch (err) {
  // Another run may have published the same key in the meantime; its entry is as good as ours.
  if (!complete()) throw err;
}
cleanup();
rmSync(failedLogTarget, { force: true });
install();
const size = statSync(join(libDir, "ffmpeg")).size;
say(`done in ${seconds(started)}: ${relative(root, libDir)}/ffmpeg ${version}, ${(size / 1e6).toFixed(2)} MB, static (configure ${configureTime}, make ${buildTime}; cache ${cached})`);
