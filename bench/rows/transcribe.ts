// Rows 1 and 2: `sona transcribe` against whisper-cli, whole process (row 1), and the engine with
// its model already loaded against whisper-cli's own transcribe time (row 2). One loop serves both:
// each iteration runs sona, whisper-cli and the in-process engine on the same clip, in alternating
// order, so every ratio is of runs made side by side.
import type { BenchContext } from "../support/context.ts";
import { benchOptions, loadSamples, openEngine, runEngine, type EngineRun } from "../support/engine.ts";
import { timedOk, type Timed } from "../support/proc.ts";
import { figure, type Figure, type RowResult } from "../support/report.ts";
import { fmt, interleave, pairRatios, summarize } from "../support/stats.ts";

interface CliTimings {
  loadMs: number;
  totalMs: number;
}

/** whisper_print_timings on stderr: "load time = 73.92 ms", "total time = 6784.65 ms". */
export function parseCliTimings(stderr: string): CliTimings {
  const get = (name: string) => {
    const m = new RegExp(`whisper_print_timings:\\s+${name} time =\\s+([\\d.]+) ms`).exec(stderr);
    if (!m) throw new Error(`whisper-cli printed no ${name} time`);
    return Number(m[1]);
  };
  return { loadMs: get("load"), totalMs: get("total") };
}

type Result = { kind: "sona"; t: Timed } | { kind: "cli"; t: Timed; timings: CliTimings } | { kind: "engine"; r: EngineRun };

export async function transcribeRows(ctx: BenchContext): Promise<RowResult[]> {
  const { fixtures: fx, threads } = ctx;
  const model = ctx.models.tiny;
  const clips: { name: string; path: string; runs: number }[] = [{ name: "30 s", path: fx.clip30, runs: ctx.runs }];
  // the 5-minute clip costs minutes per run with the synthetic model (it decodes ~450 tokens per
  // window), so it gets fewer runs; BENCH_LONG_RUNS overrides
  if (fx.clip300) clips.push({ name: "5 min", path: fx.clip300, runs: Number(process.env.BENCH_LONG_RUNS ?? Math.min(ctx.runs, 3)) });

  const sonaArgs = (clip: string) => [...ctx.sona.cmd, "transcribe", model, clip, "--no-fallback", "--threads", String(threads), "--beam-size", "1", "--best-of", "1", "-f", "json"];
  const cliArgs = (clip: string) => [ctx.whisperCli, "-m", model, "-f", clip, "-t", String(threads), "-nf", "-bs", "1", "-bo", "1"];
  const options = benchOptions(threads);
  const engine = await openEngine(model);

  const row1: Figure[] = [], row2: Figure[] = [];
  const notes1: string[] = [], notes2: string[] = [];
  let worst1 = 0, worst2 = 0;
  const headline1: string[] = [], headline2: string[] = [];
  try {
    for (const clip of clips) {
      const samples = await loadSamples(clip.path);
      // one untimed run of each warms the page cache and the engine's first-run allocations
      await timedOk(sonaArgs(clip.path));
      await timedOk(cliArgs(clip.path));
      await runEngine(engine, samples, options);
      const results = await interleave<Result>(
        clip.runs,
        [
          { name: "sona", run: async () => ({ kind: "sona", t: await timedOk(sonaArgs(clip.path)) }) },
          {
            name: "cli",
            run: async () => {
              const t = await timedOk(cliArgs(clip.path));
              return { kind: "cli", t, timings: parseCliTimings(t.stderr) };
            },
          },
          { name: "engine", run: async () => ({ kind: "engine", r: await runEngine(engine, samples, options) }) },
        ],
        (name, i, r) => ctx.log(`  ${clip.name} #${i + 1} ${name}: ${describe(r)}`),
      );
      const sona = results.sona!.map((r) => (r as Extract<Result, { kind: "sona" }>).t);
      const cli = results.cli!.map((r) => r as Extract<Result, { kind: "cli" }>);
      const eng = results.engine!.map((r) => (r as Extract<Result, { kind: "engine" }>).r);

      const sonaWall = sona.map((t) => t.ms), cliWall = cli.map((c) => c.t.ms);
      const ratio1 = summarize(pairRatios(sonaWall, cliWall));
      worst1 = Math.max(worst1, ratio1.median);
      headline1.push(`${clip.name}: ${fmt(ratio1.median, 3)}`);
      row1.push(
        figure(`${clip.name}: sona transcribe wall (${ctx.sona.kind})`, summarize(sonaWall), "ms"),
        figure(`${clip.name}: whisper-cli wall`, summarize(cliWall), "ms"),
        figure(`${clip.name}: ratio sona / whisper-cli (per interleaved pair)`, ratio1, "", 3),
        figure(`${clip.name}: ratio of medians`, summarize([summarize(sonaWall).median / summarize(cliWall).median]), "", 3),
        figure(`${clip.name}: sona peak RSS`, summarize(sona.map((t) => t.maxRss / 1e6)), "MB"),
        figure(`${clip.name}: whisper-cli peak RSS`, summarize(cli.map((c) => c.t.maxRss / 1e6)), "MB"),
      );

      const cliTranscribe = cli.map((c) => c.timings.totalMs - c.timings.loadMs);
      const inference = eng.map((e) => e.inferenceMs), engineWall = eng.map((e) => e.wallMs);
      const ratio2 = summarize(pairRatios(inference, cliTranscribe));
      const ratio2wall = summarize(pairRatios(engineWall, cliTranscribe));
      worst2 = Math.max(worst2, ratio2.median);
      headline2.push(`${clip.name}: ${fmt(ratio2.median, 3)}`);
      row2.push(
        figure(`${clip.name}: Sona engine inferenceMs (model loaded)`, summarize(inference), "ms"),
        figure(`${clip.name}: Sona engine.transcribe() wall, main thread`, summarize(engineWall), "ms"),
        figure(`${clip.name}: whisper-cli total − load (whisper_print_timings)`, summarize(cliTranscribe), "ms"),
        figure(`${clip.name}: whisper-cli load time`, summarize(cli.map((c) => c.timings.loadMs)), "ms"),
        figure(`${clip.name}: ratio inferenceMs / cli transcribe (per pair)`, ratio2, "", 3),
        figure(`${clip.name}: ratio engine.transcribe() wall / cli transcribe (per pair)`, ratio2wall, "", 3),
      );
      notes2.push(`${clip.name}: ${eng[0]?.segments ?? 0} segments per run.`);
    }
  } finally {
    await engine.close();
  }
  const params = `tiny-dimension synthetic model, ${threads} threads, greedy, best-of 1, no temperature fallback (sona: --no-fallback --threads ${threads} --beam-size 1 --best-of 1 -f json; whisper-cli: -t ${threads} -nf -bs 1 -bo 1)`;
  notes1.push(`Same model, clip and parameters: ${params}.`);
  notes1.push(`Wall time is spawn to exit, measured by the bench; runs interleaved (order alternates each iteration) after one untimed warm-up run of each. Runs: ${clips.map((c) => `${c.name} ×${c.runs}`).join(", ")}.`);
  notes1.push("The 16 kHz mono s16 clips are what whisper-cli reads natively: neither side resamples, and both give whisper the same samples (the parity tests check the output is identical).");
  notes2.push("Sona: the engine in the bench process, model loaded once, timings.inferenceMs (whisper_full in the worker, log-mel included). whisper-cli: its own whisper_print_timings total minus load, which also includes reading the WAV. The engine.transcribe() wall adds the hand-over to the worker and the result coming back.");
  return [
    {
      id: 1,
      title: "`sona transcribe` vs `whisper-cli`, 30 s and 5 min",
      goal: "wall time ratio ≤ 1.03",
      result: `ratio ${headline1.join(", ")}`,
      verdict: worst1 <= 1.03 ? "pass" : "fail",
      figures: row1,
      notes: notes1,
    },
    {
      id: 2,
      title: "model loaded (server path) vs whisper-cli transcribe time",
      goal: "≤ 1.01",
      result: `ratio ${headline2.join(", ")}`,
      verdict: worst2 <= 1.01 ? "pass" : "fail",
      figures: row2,
      notes: notes2,
    },
  ];
}

function describe(r: Result): string {
  if (r.kind === "engine") return `inference ${Math.round(r.r.inferenceMs)} ms, wall ${Math.round(r.r.wallMs)} ms`;
  if (r.kind === "cli") return `wall ${Math.round(r.t.ms)} ms, total−load ${Math.round(r.timings.totalMs - r.timings.loadMs)} ms`;
  return `wall ${Math.round(r.t.ms)} ms`;
}
