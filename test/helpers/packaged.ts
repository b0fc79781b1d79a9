// The packaged binary on a "fresh machine": dist/sona copied alone into an empty dir, run with
// only PATH and HOME in its environment, and a PATH that has neither ffmpeg nor bun.
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { syntheticSpeech, wavBytes } from "./audio.ts";

export const ROOT = join(import.meta.dir, "..", "..");
export const DIST = join(ROOT, "dist", "sona");
export const SYSTEM_FFMPEG = "/usr/bin/ffmpeg";
export const FIXTURE_SECONDS = 3;

/** Builds dist/sona when it is missing or older than its sources (native parts come from the
 *  build cache when present, so that takes seconds). */
export function ensureBuilt(): void {
  if (existsSync(DIST) && newestSource() <= statSync(DIST).mtimeMs) return;
  const r = Bun.spawnSync([process.execPath, join(ROOT, "scripts/build.ts")], { cwd: ROOT, stdout: "inherit", stderr: "inherit" });
  if (r.exitCode !== 0) throw new Error("scripts/build.ts failed");
}

function newestSource(): number {
  const files = [...new Bun.Glob("src/**/*.ts").scanSync(ROOT), "scripts/build.ts", "package.json"];
  const libs = existsSync(join(ROOT, "lib")) ? readdirSync(join(ROOT, "lib")).map((f) => `lib/${f}`) : [];
  return Math.max(...[...files, ...libs].map((f) => statSync(join(ROOT, f)).mtimeMs));
}

export interface Sandbox {
  dir: string;
  bin: string;
  /** a PATH of a few basic tools only */
  path: string;
  /** a new, empty HOME under dir */
  home(): string;
}

export function sandbox(): Sandbox {
  const dir = mkdtempSync(join(tmpdir(), "sona-binary-"));
  const app = join(dir, "app");
  const tools = join(dir, "tools");
  mkdirSync(app);
  mkdirSync(tools);
  copyFileSync(DIST, join(app, "sona"));
  for (const t of ["sh", "cat", "ls"]) {
    const p = Bun.which(t, { PATH: "/usr/bin:/bin" });
    if (p) symlinkSync(p, join(tools, t));
  }
  let homes = 0;
  return {
    dir,
    bin: join(app, "sona"),
    path: tools,
    home() {
      const h = join(dir, `home${homes++}`);
      mkdirSync(h);
      return h;
    },
  };
}

export interface Run {
  code: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
}

/** Runs the binary with exactly the given environment (as `env -i K=V ... sona args`). */
export async function run(bin: string, args: string[], env: Record<string, string>): Promise<Run> {
  const p = Bun.spawn([bin, ...args], { env, stdin: "ignore", stdout: "pipe", stderr: "pipe" });
  const [stdout, stderr] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text()]);
  await p.exited;
  return { code: p.exitCode, signal: p.signalCode === null ? null : String(p.signalCode), stdout, stderr };
}

/** `serve --port 0` until its ready line; the process is killed afterwards. */
export async function readyLine(bin: string, env: Record<string, string>): Promise<{ line: string; ms: number; health: unknown }> {
  const t0 = performance.now();
  const p = Bun.spawn([bin, "serve", "--port", "0"], { env, stdin: "ignore", stdout: "pipe", stderr: "pipe" });
  try {
    const reader = p.stdout.getReader();
    let text = "";
    while (!text.includes("\n")) {
      const { done, value } = await reader.read();
      if (done) throw new Error(`serve exited (${await p.exited}): ${await new Response(p.stderr).text()}`);
      text += new TextDecoder().decode(value);
    }
    const ms = performance.now() - t0;
    const line = text.slice(0, text.indexOf("\n"));
    const port = JSON.parse(line).port;
    const health = await (await fetch(`http://127.0.0.1:${port}/health`)).json();
    return { line, ms, health };
  } finally {
    p.kill();
    await p.exited;
  }
}

/** name -> ffmpeg output arguments; every fixture is FIXTURE_SECONDS of the same speech-like audio. */
const FORMATS: Record<string, string[]> = {
  "speech.wav": ["-ar", "44100", "-ac", "2", "-c:a", "pcm_s16le"],
  "speech.mp3": ["-ar", "44100", "-ac", "2", "-c:a", "libmp3lame", "-b:a", "96k"],
  "speech.m4a": ["-ar", "44100", "-ac", "2", "-c:a", "aac", "-b:a", "96k"],
  "speech.ogg": ["-ar", "48000", "-c:a", "libopus", "-b:a", "48k"],
  "speech.webm": ["-ar", "48000", "-ac", "2", "-c:a", "libopus", "-b:a", "48k"],
  "speech.flac": ["-ar", "48000", "-c:a", "flac"],
};

/** Writes the fixtures with the system's (Debian's) ffmpeg; returns their paths by name. */
export async function makeFixtures(dir: string): Promise<Record<string, string>> {
  const source = join(dir, "source.wav");
  writeFileSync(source, wavBytes(syntheticSpeech(FIXTURE_SECONDS)));
  const jobs: [string, string[]][] = Object.entries(FORMATS).map(([name, out]) => [name, ["-i", source, ...out]]);
  jobs.push([
    "video.mp4",
    ["-f", "lavfi", "-i", `testsrc=size=160x120:rate=10:duration=${FIXTURE_SECONDS}`, "-i", source,
      "-map", "0:v", "-map", "1:a", "-c:v", "mpeg4", "-c:a", "aac", "-ar", "44100", "-shortest"],
  ]);
  const paths: Record<string, string> = {};
  await Promise.all(
    jobs.map(async ([name, args]) => {
      const path = join(dir, name);
      const p = Bun.spawn([SYSTEM_FFMPEG, "-nostdin", "-hide_banner", "-loglevel", "error", "-y", ...args, path], { stderr: "pipe" });
      if ((await p.exited) !== 0) throw new Error(`making ${name}: ${await new Response(p.stderr).text()}`);
      paths[name] = path;
    }),
  );
  return paths;
}

export function rmsDb(x: Float32Array): number {
  let sum = 0;
  for (let i = 0; i < x.length; i++) sum += x[i]! * x[i]!;
  return 10 * Math.log10(sum / Math.max(1, x.length));
}
