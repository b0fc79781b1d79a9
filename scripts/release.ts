#!/usr/bin/env bun
// `npm run release`: one single binary per target and their checksums, the files a release
// publishes (and scripts/install.sh downloads):
//   dist/sona-linux-x64  dist/sona-linux-arm64  dist/install.sh  dist/SHA256SUMS (`sha256sum -c`)
// linux-arm64's libwhisper and ffmpeg are cross-compiled (scripts/fetch-whisper.ts and
// scripts/fetch-ffmpeg.ts with --target; the cross toolchain and qemu-user come from
// scripts/system-deps.ts release); both are cached like the host's, so a rerun only re-links.
//   bun scripts/release.ts [--target linux-arm64]...   (default: every target)
import { createHash } from "node:crypto";
import { copyFileSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { basename, join, resolve } from "node:path";
import { TARGETS, type Target } from "../src/engine/library.ts";
import { build } from "./build.ts";

const ROOT = resolve(import.meta.dir, "..");
const DIST = join(ROOT, "dist");

export const artifactName = (target: Target) => `sona-${target}`;

/** The lines of a SHA256SUMS file for these files, in `sha256sum` format (two spaces: binary mode is not marked). */
export function checksumLines(files: string[]): string {
  return files.map((f) => `${createHash("sha256").update(readFileSync(f)).digest("hex")}  ${basename(f)}\n`).join("");
}

function parseTargets(argv: string[]): Target[] {
  const picked: Target[] = [];
  for (let i = 0; i < argv.length; i++) {
    const t = argv[i + 1] as Target;
    if (argv[i] !== "--target" || !TARGETS.includes(t)) throw new Error(`release: usage: bun scripts/release.ts [--target ${TARGETS.join("|")}]...`);
    picked.push(t);
    i++;
  }
  return picked.length ? picked : TARGETS;
}

if (import.meta.main) {
  try {
    const t0 = performance.now();
    const files: string[] = [];
    for (const target of parseTargets(process.argv.slice(2))) {
      const outfile = join(DIST, artifactName(target));
      await build({ outfile, target, bytecode: true, native: true });
      files.push(outfile);
    }
    const installer = join(DIST, "install.sh");
    copyFileSync(join(ROOT, "scripts/install.sh"), installer);
    files.push(installer);
    const sums = join(DIST, "SHA256SUMS");
    writeFileSync(`${sums}.tmp`, checksumLines(files));
    renameSync(`${sums}.tmp`, sums);
    console.error(`release: ${files.map((f) => basename(f)).join(", ")} and SHA256SUMS in ${DIST} (${((performance.now() - t0) / 1000).toFixed(0)} s)`);
  } catch (err) {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  }
}
