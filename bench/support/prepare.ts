// Builds what the benchmarks need. Every step is idempotent and cached by its own script, so on a
// machine that has run `npm run setup` this costs seconds.
import { existsSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";

export interface Prepared {
  binary: string | null;
  notes: string[];
}

function script(root: string, name: string, args: string[] = []): void {
  const r = Bun.spawnSync([process.execPath, join(root, "scripts", name), ...args], { cwd: root, stdout: "inherit", stderr: "inherit" });
  if (r.exitCode !== 0) throw new Error(`scripts/${name} failed (exit ${r.exitCode})`);
}

function newestMtime(dir: string): number {
  let newest = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) newest = Math.max(newest, newestMtime(p));
    else if (/\.ts$/.test(e.name)) newest = Math.max(newest, statSync(p).mtimeMs);
  }
  return newest;
}

export function prepare(root: string, opts: { rebuild: boolean; needBinary: boolean; log: (s: string) => void }): Prepared {
  const notes: string[] = [];
  opts.log("prepare: whisper.cpp library and tools (scripts/fetch-whisper.ts)");
  script(root, "fetch-whisper.ts");
  opts.log("prepare: the Vulkan library (scripts/fetch-vulkan.ts)");
  try {
    script(root, "fetch-vulkan.ts");
  } catch (e) {
    notes.push(`scripts/fetch-vulkan.ts failed (${(e as Error).message}): row 14 has no Vulkan library.`);
  }
  opts.log("prepare: bundled ffmpeg (scripts/fetch-ffmpeg.ts)");
  script(root, "fetch-ffmpeg.ts");
  opts.log("prepare: synthetic models (scripts/make-test-model.ts)");
  script(root, "make-test-model.ts");
  const binary = join(root, "dist/sona");
  if (opts.needBinary && (opts.rebuild || !existsSync(binary))) {
    opts.log(`prepare: ${opts.rebuild ? "rebuilding" : "building"} dist/sona (scripts/build.ts)`);
    try {
      script(root, "build.ts");
    } catch (e) {
      notes.push(`scripts/build.ts failed (${(e as Error).message}): the rows that need dist/sona ran the dev entry point instead.`);
    }
  }
  if (!existsSync(binary)) return { binary: null, notes };
  if (statSync(binary).mtimeMs < newestMtime(join(root, "src"))) {
    notes.push("dist/sona is older than some file in src/: it may not match this commit (`npm run bench -- --rebuild` rebuilds it).");
  }
  return { binary, notes };
}
