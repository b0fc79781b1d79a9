#!/usr/bin/env bun
// `npm run bench`: builds what it needs, makes its audio in a temp dir, runs the nine figures of
// issue 7, the two of issue 12 (VAD) and the two of issue 17 (parallel slots) and the live latency of issue 13 against whisper-cli / whisper-server / ffmpeg, and writes
// BENCHMARKS.md.
//
//   npm run bench                       all rows, BENCH_RUNS runs each (default 5)
//   npm run bench -- --quick            smoke run: 1 run, short files; writes a temp file, not BENCHMARKS.md
//   npm run bench -- --rows 1,2,8       only these rows
//   npm run bench -- --out FILE         write the report elsewhere
//   npm run bench -- --rebuild          rebuild dist/sona even if it exists
//   npm run bench -- --keep             keep the temp dir with the generated audio
//   npm run bench -- --render           rewrite the report from the last run's results (after editing
//                                       bench/ANALYSIS.md), without measuring anything
//   npm run bench -- --rows 3 --update  rerun some rows (e.g. ones another tenant disturbed) and put
//                                       them into the last run's report (or, when that run was on
//                                       another machine, into BENCHMARKS.md as it is); the report says so
// Env: BENCH_RUNS (runs per figure), BENCH_LONG_RUNS (runs on the 5-min clip, default min(runs, 3)),
// BENCH_MEMORY_RUNS (1-hour transcriptions for row 7, default min(runs, 2)).
//
// Rows: rows/transcribe.ts (1, 2), rows/server.ts (3), rows/audio.ts (4, 5), rows/startup.ts (6),
// rows/memory.ts (7), rows/engine.ts (8, 9), rows/vad.ts (10, 11), rows/slots.ts (12, 13), rows/live.ts (14), rows/gpu.ts (15). Helpers in support/. Separate experiments, each with its
// own header: server-overhead.ts, startup.ts, process-spread.ts (ANALYSIS.md cites them).
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { defaultThreads } from "../src/engine/index.ts";
import type { BenchContext } from "./support/context.ts";
import { makeFixtures } from "./support/fixtures.ts";
import { describeMachine } from "./support/machine.ts";
import { prepare } from "./support/prepare.ts";
import { loadavg } from "./support/proc.ts";
import { fromReport, renderMarkdown, skipped, type Preamble, type RowResult } from "./support/report.ts";
import { mp3Row, wavDecodeRow } from "./rows/audio.ts";
import { flashAttnRow, threadsRow } from "./rows/engine.ts";
import { memoryRow } from "./rows/memory.ts";
import { serverRow } from "./rows/server.ts";
import { startupRow } from "./rows/startup.ts";
import { transcribeRows } from "./rows/transcribe.ts";
import { liveRow } from "./rows/live.ts";
import { slotMemoryRow, throughputRow } from "./rows/slots.ts";
import { vadEndToEndRow, vadPassRow } from "./rows/vad.ts";
import { gpuRow } from "./rows/gpu.ts";

const ROOT = resolve(import.meta.dir, "..");

interface Args {
  quick: boolean;
  rows: Set<number>;
  out: string | null;
  rebuild: boolean;
  keep: boolean;
  render: boolean;
  update: boolean;
}

const ALL = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14];
const TITLES: Record<number, [string, string]> = {
  1: ["`sona transcribe` vs `whisper-cli`, 30 s and 5 min", "wall time ratio ≤ 1.03"],
  2: ["model loaded (server path) vs whisper-cli transcribe time", "≤ 1.01"],
  3: ["`sona serve` vs `whisper-server`, sequential requests, 10 s clip", "throughput ratio ≥ 1.0; Sona overhead (wall − inference) p50 < 10 ms"],
  4: ["WAV decode + downmix + resample, 1 h 44.1 kHz stereo s16 → 16 kHz mono f32", "faster than ffmpeg; under 3 s"],
  5: ["non-WAV input: 1 h MP3 through the bundled ffmpeg", "record it; no temp WAV is written"],
  6: ["cold start `sona serve --port 0` to the ready line; binary size", "< 150 ms without a model; ≤ 125 MB"],
  7: ["memory: peak RSS transcribing 1 h of 16 kHz (micro); server RSS after 200 vs 10 requests", "peak ≤ 1.3 × decoded samples + 150 MB; growth < 10 MB"],
  8: ["thread scaling, 1..N threads, and the default", "the default is the fastest or within 5 % of it"],
  9: ["flash attention on and off (CPU)", "the default is the faster"],
  10: ["VAD pass over 1 h of 16 kHz speech and silence", "≤ 10 s on this machine; ratio against whisper-cli --vad"],
  11: ["10 min, half silence, tiny-dimension model: `sona transcribe --vad` vs `whisper-cli --vad` and vs no VAD", "faster than whisper-cli --vad"],
  12: ["throughput, 8 concurrent 30 s requests: `--parallel 1` (all threads) vs `--parallel 2` (threads shared)", "find the best setting for this machine"],
  13: ["memory per extra slot (--parallel 2 against 1), tiny dims and large-v3 dims", "record it; far below a second process"],
  14: ["live latency (tiny dims, real-time pace): final text, first partial, cadence headroom", "final p50 ≤ 1.2 × batch inference + 50 ms"],
  15: ["Vulkan vs CPU backend, engine in process, 30 s clip", "record it (a hardware GPU: faster than the CPU)"],
};

function parseArgs(argv: string[]): Args {
  const a: Args = { quick: false, rows: new Set(ALL), out: null, rebuild: false, keep: false, render: false, update: false };
  for (let i = 0; i < argv.length; i++) {
    const x = argv[i]!;
    if (x === "--quick") a.quick = true;
    else if (x === "--rebuild") a.rebuild = true;
    else if (x === "--keep") a.keep = true;
    else if (x === "--render") a.render = true;
    else if (x === "--update") a.update = true;
    else if (x === "--out") a.out = resolve(argv[++i] ?? "");
    else if (x === "--rows") {
      const list = (argv[++i] ?? "").split(",").map(Number);
      if (!list.length || list.some((n) => !ALL.includes(n))) usage(`--rows expects numbers from 1 to 14, e.g. --rows 1,2,8`);
      a.rows = new Set(list);
    } else if (x === "--help" || x === "-h") usage();
    else usage(`unknown argument ${x}`);
  }
  return a;
}

function usage(error?: string): never {
  const lines = readFileSync(import.meta.path, "utf8").split("\n").slice(1);
  const text = lines.slice(0, lines.findIndex((l) => l.startsWith("// Rows:"))).map((l) => l.replace(/^\/\/ ?/, "")).join("\n");
  (error ? console.error : console.log)(`${error ? `bench: ${error}\n\n` : ""}${text}`);
  process.exit(error ? 2 : 0);
}

const log = (line: string) => process.stderr.write(`${line}\n`);

/** The last run's results, so that --render can rewrite the report (e.g. with a new ANALYSIS.md). */
const LAST_RUN = join(tmpdir(), "sona-bench-last-run.json");

interface Saved {
  out: string;
  preamble: Preamble;
  rows: RowResult[];
  notes: string[];
}

function write(saved: Saved, out: string): void {
  writeFileSync(out, renderMarkdown(saved.preamble, saved.rows, [...saved.notes, ...analysis(), ...REPRODUCE]));
}

const REPRODUCE = [
  "## Reproduce",
  "",
  "`npm run bench` (BENCH_RUNS=3 npm run bench for a shorter run; `npm run bench -- --rows 3,6` for some rows). It builds the library, tools, models and dist/sona if missing, writes its audio to a temp dir (about 0.8 GB, deleted afterwards) and needs espeak-ng, sox and Debian's ffmpeg (with libmp3lame) for the audio, strace for row 5's check.",
];

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  if (args.render) {
    if (!existsSync(LAST_RUN)) usage(`--render: no saved run at ${LAST_RUN}`);
    const saved = JSON.parse(readFileSync(LAST_RUN, "utf8")) as Saved;
    const out = args.out ?? saved.out;
    write(saved, out);
    log(`bench: rewrote ${out} from ${LAST_RUN}`);
    return;
  }
  const runs = Number(process.env.BENCH_RUNS ?? (args.quick ? 1 : 5));
  if (!Number.isInteger(runs) || runs < 1) usage(`BENCH_RUNS must be a positive integer, not ${process.env.BENCH_RUNS}`);
  if (args.update && !existsSync(LAST_RUN) && !existsSync(args.out ?? join(ROOT, "BENCHMARKS.md"))) usage(`--update: no saved run at ${LAST_RUN} and no report to update`);
  if (args.update && args.quick) usage("--update and --quick do not mix: a smoke run's rows would replace real ones");
  const out = args.out ?? (args.quick ? join(tmpdir(), "sona-BENCHMARKS.quick.md") : join(ROOT, "BENCHMARKS.md"));
  const started = new Date();
  const t0 = performance.now();

  const prepared = prepare(ROOT, { rebuild: args.rebuild, needBinary: [1, 3, 6, 7, 11, 12, 13].some((r) => args.rows.has(r)), log });
  const machineStart = describeMachine(ROOT);
  const dir = mkdtempSync(join(tmpdir(), "sona-bench-"));
  const cleanup = () => {
    if (!args.keep) rmSync(dir, { recursive: true, force: true });
  };
  process.on("SIGINT", () => {
    cleanup();
    process.exit(130);
  });

  const rows: RowResult[] = [];
  let ctx: BenchContext | undefined;
  try {
    log(`bench: making audio in ${dir}`);
    // the hour-long files (about 0.8 GB) only for the rows that read them
    const hourSeconds = args.quick || ![4, 5, 7].some((r) => args.rows.has(r)) ? 300 : 3600;
    const fixtures = makeFixtures(dir, { hourSeconds, longClip: !args.quick && (args.rows.has(1) || args.rows.has(2)) });
    const dev = { cmd: [process.execPath, join(ROOT, "src/main.ts")], kind: "bun src/main.ts (dev)", compiled: false };
    const sona = prepared.binary ? { cmd: [prepared.binary], kind: "dist/sona (compiled)", compiled: true } : dev;
    ctx = {
      root: ROOT,
      runs,
      quick: args.quick,
      threads: defaultThreads(),
      fixtures,
      sona,
      sonaDev: dev,
      binary: prepared.binary,
      models: { tiny: join(ROOT, "models/synth-tiny.en.bin"), micro: join(ROOT, "models/synth-micro.en.bin") },
      whisperCli: join(ROOT, "lib/whisper-cli"),
      whisperServer: join(ROOT, "lib/whisper-server"),
      ffmpegBundled: join(ROOT, "lib/ffmpeg"),
      log,
    };
    const groups: [number[], (c: BenchContext) => Promise<RowResult | RowResult[]>][] = [
      [[6], startupRow],
      [[4], wavDecodeRow],
      [[5], mp3Row],
      [[3], serverRow],
      [[7], memoryRow],
      [[8], threadsRow],
      [[9], flashAttnRow],
      [[1, 2], transcribeRows],
      [[10], vadPassRow],
      [[11], vadEndToEndRow],
      [[12], throughputRow],
      [[13], slotMemoryRow],
      [[14], liveRow],
      [[15], gpuRow],
    ];
    for (const [ids, fn] of groups) {
      if (!ids.some((id) => args.rows.has(id))) continue;
      log(`bench: row${ids.length > 1 ? "s" : ""} ${ids.join(", ")} (load ${loadavg()})`);
      const before = loadavg();
      const rt0 = performance.now();
      try {
        const got = [await fn(ctx)].flat();
        for (const r of got) {
          if (!args.rows.has(r.id)) continue;
          r.load = { before, after: loadavg() };
          r.seconds = (performance.now() - rt0) / 1000;
          rows.push(r);
          log(`bench: ${r.id}. ${r.result} → ${r.verdict}`);
        }
      } catch (e) {
        log(`bench: rows ${ids.join(", ")} failed: ${(e as Error).stack ?? e}`);
        for (const id of ids) {
          if (args.rows.has(id)) rows.push(skipped(id, TITLES[id]![0], TITLES[id]![1], `error: ${(e as Error).message}`));
        }
      }
    }
  } finally {
    cleanup();
  }

  const m = machineStart;
  const seconds = (performance.now() - t0) / 1000;
  const fx = ctx!.fixtures;
  const preamble: Preamble = {
    title: "Sona benchmarks",
    intro: [
      `Written by \`npm run bench\`${args.quick ? " --quick (SMOKE RUN: one run, short files; not a result)" : ""} on ${started.toISOString().replace(/\.\d+Z$/, "Z")}. Do not edit by hand: rerun it.`,
      "",
      "Models are synthetic (`scripts/make-test-model.ts`): random weights in the real file format. `synth-tiny.en.bin` has the real tiny.en dimensions, so compute per token and per window is the real model's; `synth-micro.en.bin` is a minimal model for measuring overhead. Their transcripts are meaningless tokens (and, being random, they decode about 150 tokens per encoder pass where a real model decodes tens per 30 s window), so absolute times are not those of real speech with real weights; the comparisons are fair because both sides run the same model on the same samples with the same parameters.",
      "",
      "Every comparison is a ratio of runs made side by side: contenders alternate within each iteration (A B, then B A) and ratios are taken pair by pair. Figures are median (min–max) over the runs given. The machine is shared: the load average is recorded for every row.",
    ],
    lines: [
      ["machine", `${m.cpu}, ${m.cores} cores${m.hypervisor ? " (virtual machine)" : ""}, ${m.memGiB.toFixed(1)} GiB RAM, ${m.kernel}`],
      ["CPU flags (SIMD)", m.simd.join(" ") || "none found"],
      ["libwhisper build chosen", m.library],
      ["commit", `${m.commit}${m.dirty ? " (with uncommitted changes)" : ""}`],
      ["whisper.cpp", `${m.whisper}; ${m.whisperBuild}`],
      ["Bun", m.bun],
      ["ffmpeg", `bundled: ${m.ffmpegBundled || "missing"}; Debian: ${m.ffmpegSystem || "missing"}`],
      ["sona under test", `${ctx!.sona.kind}`],
      ["runs", `BENCH_RUNS=${runs}${args.quick ? " (--quick)" : ""}; threads ${ctx!.threads} (Sona's default here) on both sides`],
      ["audio", fx.source],
      ["load average (1/5/15 min)", `${m.load} at start, ${loadavg()} at end`],
      ["duration", `${Math.round(seconds)} s`],
    ],
  };
  const notes = prepared.notes.length || fx.notes.length ? ["## Build notes", "", ...[...prepared.notes, ...fx.notes].map((n) => `- ${n}`), ""] : [];
  let saved: Saved = { out, preamble, rows, notes };
  if (args.update) {
    // the saved run, or (on another machine) the report on disk, its rows carried word for word
    const last: Saved = existsSync(LAST_RUN) ? JSON.parse(readFileSync(LAST_RUN, "utf8")) : { out, notes: [], ...fromReport(readFileSync(out, "utf8")) };
    const ids = rows.map((r) => r.id);
    const when = `${started.toISOString().replace(/\.\d+Z$/, "Z")} (commit ${m.commit}${m.dirty ? " with uncommitted changes" : ""}; load ${m.load} at start)`;
    for (const r of rows) r.notes.push(`Rerun with \`--rows ${ids.join(",")} --update\` on ${when}, after the main run.`);
    saved = { ...last, out: args.out ?? last.out, rows: [...last.rows.filter((r) => !ids.includes(r.id)), ...rows] };
    const line = saved.preamble.lines.find(([k]) => k === "rerun rows");
    const text = `${ids.join(", ")} on ${when}`;
    if (line) line[1] += `; ${text}`;
    else saved.preamble.lines.push(["rerun rows", text]);
  }
  if (!args.quick) writeFileSync(LAST_RUN, JSON.stringify(saved)); // a smoke run never replaces a real one
  write(saved, saved.out);
  log(`bench: wrote ${saved.out} in ${Math.round(seconds)} s`);
}

/** bench/ANALYSIS.md, hand-written about a full run, is carried into the report when present. */
function analysis(): string[] {
  const p = join(ROOT, "bench/ANALYSIS.md");
  if (!existsSync(p)) return [];
  return [readFileSync(p, "utf8").trim(), ""];
}

await main();
