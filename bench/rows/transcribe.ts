// Rows 1 and 2: `sona transcribe` against whisper-cli, whole process (row 1), and the server path,
// `sona serve` with its model already loaded, against whisper-cli's own transcribe time (row 2).
// One loop serves both: each iteration runs sona, whisper-cli and a request to a server on the
// same clip, in alternating order, so every ratio is of runs made side by side.
// Every run is a new process on both sides, the server included (started with its model, one
// request, stopped): on this VM a process keeps its speed for life, and processes started the
// same way ran up to 8 % apart in all of their requests (bench/ANALYSIS.md, "A process keeps its
// speed for life"), so one long-lived server measured one draw against whisper-cli's many. Row 3 measures a long-lived
// server.
// The tiny-dimension model gives the headline ratios. The same loop on the micro model, where a run
// takes a few hundred ms, measures what Sona adds in milliseconds with far less noise: on a shared
// 2-core machine the tiny runs vary by 5-10 % from one run to the next, more than the goals allow.
import type { BenchContext } from "../support/context.ts";
import { timedOk, type Timed } from "../support/proc.ts";
import { figure, type Figure, type RowResult } from "../support/report.ts";
import { ask, startSonaServer, type Reply } from "../support/servers.ts";
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

type Result = { kind: "sona"; t: Timed } | { kind: "cli"; t: Timed; timings: CliTimings } | { kind: "server"; r: Reply };

interface Case {
  name: string;
  path: string;
  model: string;
  runs: number;
  /** counts toward the verdict (tiny); the micro case is the overhead check */
  headline: boolean;
}

interface Measured {
  sonaWall: number[];
  cliWall: number[];
  cliTranscribe: number[];
  cliLoad: number[];
  inference: number[];
  requestWall: number[];
  sonaRss: number[];
  cliRss: number[];
  segments: number;
}

export async function transcribeRows(ctx: BenchContext): Promise<RowResult[]> {
  const { fixtures: fx, threads } = ctx;
  const cases: Case[] = [{ name: "30 s", path: fx.clip30, model: ctx.models.tiny, runs: ctx.runs, headline: true }];
  // the 5-minute clip costs about a minute per run with the synthetic model (it decodes ~150
  // tokens per encoder pass), so it gets at most 3 runs; BENCH_LONG_RUNS overrides
  if (fx.clip300) cases.push({ name: "5 min", path: fx.clip300, model: ctx.models.tiny, runs: Number(process.env.BENCH_LONG_RUNS ?? Math.min(ctx.runs, 3)), headline: true });
  cases.push({ name: "30 s, micro model", path: fx.clip30, model: ctx.models.micro, runs: ctx.quick ? ctx.runs : Math.max(10, ctx.runs), headline: false });

  const sonaArgs = (c: Case) => [...ctx.sona.cmd, "transcribe", c.model, c.path, "--no-fallback", "--threads", String(threads), "--beam-size", "1", "--best-of", "1", "-f", "json"];
  const cliArgs = (c: Case) => [ctx.whisperCli, "-m", c.model, "-f", c.path, "-t", String(threads), "-nf", "-bs", "1", "-bo", "1"];
  /** a new server with the model loaded, one request, stopped */
  const serverRun = async (c: Case, file: Blob, fields: Record<string, string> = {}): Promise<Reply> => {
    const server = await startSonaServer(ctx, c.model);
    try {
      return await ask({ ...server, fields: { ...server.fields, ...fields } }, file);
    } finally {
      await server.stop();
    }
  };

  const measured = new Map<Case, Measured>();
  for (const c of cases) {
    const file = new Blob([await Bun.file(c.path).arrayBuffer()], { type: "audio/wav" });
    // one untimed run of each warms the page cache; the server's, in verbose_json, counts the segments
    await timedOk(sonaArgs(c));
    await timedOk(cliArgs(c));
    const verbose = await serverRun(c, file, { response_format: "verbose_json" });
    const segments = (JSON.parse(verbose.text) as { segments: unknown[] }).segments.length;
    const results = await interleave<Result>(
      c.runs,
      [
        { name: "sona", run: async () => ({ kind: "sona", t: await timedOk(sonaArgs(c)) }) },
        {
          name: "cli",
          run: async () => {
            const t = await timedOk(cliArgs(c));
            return { kind: "cli", t, timings: parseCliTimings(t.stderr) };
          },
        },
        { name: "server", run: async () => ({ kind: "server", r: await serverRun(c, file) }) },
      ],
      (name, i, r) => ctx.log(`  ${c.name} #${i + 1} ${name}: ${describe(r)}`),
    );
    const sona = results.sona!.map((r) => (r as Extract<Result, { kind: "sona" }>).t);
    const cli = results.cli!.map((r) => r as Extract<Result, { kind: "cli" }>);
    const replies = results.server!.map((r) => (r as Extract<Result, { kind: "server" }>).r);
    measured.set(c, {
      sonaWall: sona.map((t) => t.ms),
      cliWall: cli.map((x) => x.t.ms),
      cliTranscribe: cli.map((x) => x.timings.totalMs - x.timings.loadMs),
      cliLoad: cli.map((x) => x.timings.loadMs),
      inference: replies.map((r) => r.inferenceMs ?? NaN),
      requestWall: replies.map((r) => r.ms),
      sonaRss: sona.map((t) => t.maxRss / 1e6),
      cliRss: cli.map((x) => x.t.maxRss / 1e6),
      segments,
    });
  }

  const row1: Figure[] = [], row2: Figure[] = [];
  const headline1: string[] = [], headline2: string[] = [];
  let worst1 = 0, worst2 = 0;
  for (const c of cases) {
    const m = measured.get(c)!;
    const ratio1 = summarize(pairRatios(m.sonaWall, m.cliWall));
    const ratio2 = summarize(pairRatios(m.inference, m.cliTranscribe));
    const extra1 = summarize(m.sonaWall.map((x, i) => x - m.cliWall[i]!));
    const extra2 = summarize(m.inference.map((x, i) => x - m.cliTranscribe[i]!));
    if (c.headline) {
      worst1 = Math.max(worst1, ratio1.median);
      worst2 = Math.max(worst2, ratio2.median);
      headline1.push(`${c.name}: ${fmt(ratio1.median, 3)}`);
      headline2.push(`${c.name}: ${fmt(ratio2.median, 3)}`);
    } else {
      headline1.push(`(micro: ${extra1.median >= 0 ? "+" : ""}${fmt(extra1.median)} ms)`);
      headline2.push(`(micro: ${extra2.median >= 0 ? "+" : ""}${fmt(extra2.median)} ms)`);
    }
    row1.push(
      figure(`${c.name}: sona transcribe wall (${ctx.sona.kind})`, summarize(m.sonaWall), "ms"),
      figure(`${c.name}: whisper-cli wall`, summarize(m.cliWall), "ms"),
      figure(`${c.name}: ratio sona / whisper-cli (per interleaved pair)`, ratio1, "", 3),
      figure(`${c.name}: sona − whisper-cli (per pair)`, extra1, "ms"),
      figure(`${c.name}: ratio of medians`, summarize([summarize(m.sonaWall).median / summarize(m.cliWall).median]), "", 3),
      figure(`${c.name}: peak RSS sona`, summarize(m.sonaRss), "MB"),
      figure(`${c.name}: peak RSS whisper-cli`, summarize(m.cliRss), "MB"),
    );
    row2.push(
      figure(`${c.name}: sona serve inference (Server-Timing, model loaded)`, summarize(m.inference), "ms"),
      figure(`${c.name}: sona serve request wall (upload, decode, inference, reply)`, summarize(m.requestWall), "ms"),
      figure(`${c.name}: whisper-cli total − load (whisper_print_timings)`, summarize(m.cliTranscribe), "ms"),
      figure(`${c.name}: ratio inference / cli transcribe (per pair)`, ratio2, "", 3),
      figure(`${c.name}: inference − cli transcribe (per pair)`, extra2, "ms"),
      figure(`${c.name}: ratio request wall / cli transcribe (per pair)`, summarize(pairRatios(m.requestWall, m.cliTranscribe)), "", 3),
    );
  }
  const spread = (c: Case) => {
    const s = summarize(measured.get(c)!.cliWall);
    return `${c.name} ${fmt((s.max / s.min - 1) * 100, 1)} %`;
  };
  const params = `${threads} threads, greedy, best-of 1, no temperature fallback (sona: --no-fallback --threads ${threads} --beam-size 1 --best-of 1 -f json; whisper-cli: -t ${threads} -nf -bs 1 -bo 1)`;
  const notes1 = [
    `Same model, clip and parameters: ${params}. The verdict is on the tiny-dimension model; the micro-model line measures Sona's fixed cost in ms (Bun start-up, worker spawn, dlopen, WAV parse; the model loads while the audio decodes).`,
    `Wall time is spawn to exit, measured by the bench; runs interleaved (order alternates each iteration) after one untimed warm-up run of each. Runs: ${cases.map((c) => `${c.name} ×${c.runs}`).join(", ")}. Run-to-run spread of whisper-cli alone (max/min − 1): ${cases.map(spread).join(", ")}.`,
    "The 16 kHz mono s16 clips are what whisper-cli reads natively: neither side resamples, and both give whisper the same samples (the parity tests check the output is identical). Peak RSS is each process's VmHWM.",
  ];
  const notes2 = [
    "Sona: a new `sona serve <model>` process for every run, as whisper-cli is a new process for every run: started with its model loaded, the clip posted once, stopped. Inference is the Server-Timing figure (whisper_full in the engine's worker, log-mel included); the request wall adds the upload, the WAV decode and the reply as the client sees them, on a first request (nothing warmed up). whisper-cli: its own whisper_print_timings total minus load, which also covers reading the WAV and a cold process's first touches of its buffers.",
    "Why a new server per run: on this VM a process keeps its speed for its whole life, and processes started the same way differ by several per cent (ANALYSIS.md, row 2); one long-lived server would be one draw against whisper-cli's many. Row 3 measures a long-lived server against whisper-server.",
    `Segments per run: ${cases.map((c) => `${c.name} ${measured.get(c)!.segments}`).join(", ")}.`,
  ];
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
  if (r.kind === "server") return `inference ${Math.round(r.r.inferenceMs ?? NaN)} ms, wall ${Math.round(r.r.ms)} ms`;
  if (r.kind === "cli") return `wall ${Math.round(r.t.ms)} ms, total−load ${Math.round(r.timings.totalMs - r.timings.loadMs)} ms`;
  return `wall ${Math.round(r.t.ms)} ms`;
}
