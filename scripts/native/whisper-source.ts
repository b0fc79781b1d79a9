// The pinned whisper.cpp source tree for the native builds: the npm package named in
// .whisper.cpp-commit, checked against its sha512 (or SONA_WHISPER_SRC, a local tree), unpacked
// into a work directory with Sona's patches applied. Shared by the build scripts so that every
// native library is built from the same bytes and cached under the same source key.
import { createHash } from "node:crypto";
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { join, resolve } from "node:path";

export const ROOT = resolve(import.meta.dir, "../..");
export const PATCH_DIR = join(ROOT, "scripts/whisper");
/** Sona's patches to src/whisper.cpp, applied in this order; each says in its hunks why it exists. */
export const WHISPER_PATCHES = [
  "abort-in-graph.patch", "mel-in-place.patch", "vad-fixes.patch", "sampling-per-call.patch", "kv-cache-oom.patch", "load-oom.patch",
  "vad-batch.patch",
];

/** Copies a cache entry into lib/ unless lib/<stamp> already names its key. */
export function installCached(cached: string, libDir: string, stamp: string, key: string): void {
  mkdirSync(libDir, { recursive: true });
  const stampPath = join(libDir, stamp);
  if (existsSync(stampPath) && readFileSync(stampPath, "utf8") === key) return;
  for (const f of readdirSync(cached)) cpSync(join(cached, f), join(libDir, f));
  writeFileSync(stampPath, key);
}

export function cacheRoot(): string {
  return process.env.SONA_BUILD_CACHE
    ? resolve(process.env.SONA_BUILD_CACHE)
    : join(process.env.XDG_CACHE_HOME || join(homedir(), ".cache"), "sona-build");
}

export interface Runner {
  die(message: string): never;
  run(cmd: string[], opts?: { cwd?: string; log?: string }): string;
  toolVersion(tool: string, hint: string): string;
}

/** die/run/toolVersion that prefix their messages with the script's name. */
export function runner(name: string): Runner {
  const die = (message: string): never => {
    console.error(`${name}: ${message}`);
    process.exit(1);
  };
  const run = (cmd: string[], opts: { cwd?: string; log?: string } = {}): string => {
    const p = Bun.spawnSync(cmd, { cwd: opts.cwd, stdout: "pipe", stderr: "pipe" });
    const out = p.stdout.toString() + p.stderr.toString();
    if (opts.log) writeFileSync(opts.log, out, { flag: "a" });
    if (p.exitCode !== 0) die(`command failed (${p.exitCode}): ${cmd.join(" ")}\n${out.trim().split("\n").slice(-30).join("\n")}`);
    return out;
  };
  const toolVersion = (tool: string, hint: string): string => {
    const p = Bun.which(tool);
    if (!p) die(`${tool} not found. ${hint}`);
    return Bun.spawnSync([p!, "--version"]).stdout.toString().split("\n")[0] ?? tool;
  };
  return { die, run, toolVersion };
}

export interface Pin {
  version: string;
  pkg: string;
  integrity: string;
  localSrc?: string;
  /** what the source is, for cache keys: the pinned integrity or a hash of the local tree */
  sourceKey: string;
}

export function readPin(r: Runner): Pin {
  const [version, pkg, integrity] = readFileSync(join(ROOT, ".whisper.cpp-commit"), "utf8").trim().split(/\s+/);
  if (!version || !pkg || !integrity?.startsWith("sha512-")) r.die(".whisper.cpp-commit must read: <version> <npm-package@version> sha512-<hash>");
  const localSrc = process.env.SONA_WHISPER_SRC ? resolve(process.env.SONA_WHISPER_SRC) : undefined;
  return { version: version!, pkg: pkg!, integrity: integrity!, localSrc, sourceKey: localSrc ? `tree:${hashTree(localSrc)}` : integrity! };
}

export function hashTree(dir: string, h = createHash("sha256"), rel = ""): string {
  for (const name of readdirSync(join(dir, rel)).sort()) {
    const r = join(rel, name);
    const st = statSync(join(dir, r));
    if (st.isDirectory()) {
      if (name !== ".git" && !name.startsWith("build")) hashTree(dir, h, r);
    } else {
      h.update(r).update(readFileSync(join(dir, r)));
    }
  }
  return rel ? "" : h.digest("hex");
}

/**
 * Unpacks the pinned source into work/whisper.cpp and applies `patches` (paths, in order).
 * Returns the tree's path.
 */
export function unpackSource(r: Runner, pin: Pin, work: string, patches: string[], log: string): string {
  const src = join(work, "whisper.cpp");
  if (pin.localSrc) {
    cpSync(pin.localSrc, src, { recursive: true, filter: (p) => !/\/(\.git|build[^/]*)$/.test(p) });
  } else {
    const tgzDir = join(cacheRoot(), "npm");
    mkdirSync(tgzDir, { recursive: true });
    const tgzName = `${pin.pkg.replace(/^@/, "").replace("/", "-").replace("@", "-")}.tgz`;
    const tgz = join(tgzDir, tgzName);
    if (!existsSync(tgz)) r.run(["npm", "pack", pin.pkg, "--pack-destination", tgzDir, "--silent"], { log });
    const actual = `sha512-${createHash("sha512").update(readFileSync(tgz)).digest("base64")}`;
    if (actual !== pin.integrity) {
      rmSync(tgz);
      r.die(`${tgzName} does not match the pinned hash in .whisper.cpp-commit (got ${actual})`);
    }
    r.run(["tar", "xzf", tgz, "-C", work, "package/cpp/whisper.cpp"], { log });
    renameSync(join(work, "package/cpp/whisper.cpp"), src);
  }
  for (const p of patches) r.run(["patch", "-p1", "--forward", "--batch", "-i", p], { cwd: src, log });
  return src;
}
