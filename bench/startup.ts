#!/usr/bin/env bun
// Start-up figures of the packaged binary (issue 4): size, `--version` on an empty cache (which
// unpacks libwhisper and ffmpeg) and warm, `--help`, and `serve --port 0` to its ready line.
// Medians of N runs, each a fresh process with only PATH and HOME set.
//
//   bun bench/startup.ts [dist/sona] [--runs 21]
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

const args = process.argv.slice(2);
const runsAt = args.indexOf("--runs");
const RUNS = runsAt >= 0 ? Number(args[runsAt + 1]) : 21;
const BIN = resolve(args.find((a, i) => !a.startsWith("--") && args[i - 1] !== "--runs") ?? "dist/sona");
const scratch = mkdtempSync(join(tmpdir(), "sona-startup-"));
const home = join(scratch, "home");
const env = { PATH: "/usr/bin:/bin", HOME: home };

function timed(argv: string[]): number {
  const t0 = performance.now();
  const r = Bun.spawnSync([BIN, ...argv], { env, stdout: "ignore", stderr: "pipe" });
  const ms = performance.now() - t0;
  if (r.exitCode !== 0) throw new Error(`${argv.join(" ")} failed: ${r.stderr.toString()}`);
  return ms;
}

async function ready(): Promise<number> {
  const t0 = performance.now();
  const p = Bun.spawn([BIN, "serve", "--port", "0"], { env, stdin: "ignore", stdout: "pipe", stderr: "ignore" });
  const reader = p.stdout.getReader();
  let text = "";
  while (!text.includes("\n")) {
    const { done, value } = await reader.read();
    if (done) throw new Error("serve exited before its ready line");
    text += new TextDecoder().decode(value);
  }
  const ms = performance.now() - t0;
  p.kill();
  await p.exited;
  return ms;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;
const series = async (f: () => number | Promise<number>) => {
  const xs: number[] = [];
  for (let i = 0; i < RUNS; i++) xs.push(await f());
  return median(xs);
};

try {
  const cold = await series(() => {
    rmSync(home, { recursive: true, force: true });
    return timed(["--version"]);
  });
  const warm = await series(() => timed(["--version"]));
  const help = await series(() => timed(["--help"]));
  const serve = await series(ready);
  const row = (k: string, v: string) => console.log(`${k.padEnd(40)} ${v}`);
  row("binary", BIN);
  row("size", `${(statSync(BIN).size / 1e6).toFixed(1)} MB (${statSync(BIN).size} bytes)`);
  row("--version, empty cache (unpacks)", `${cold.toFixed(1)} ms`);
  row("--version, warm", `${warm.toFixed(1)} ms`);
  row("first-run extraction (difference)", `${(cold - warm).toFixed(1)} ms`);
  row("--help", `${help.toFixed(1)} ms`);
  row("serve --port 0 to ready line, no model", `${serve.toFixed(1)} ms`);
  row("runs per figure (median)", String(RUNS));
} finally {
  rmSync(scratch, { recursive: true, force: true });
}
