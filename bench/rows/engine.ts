// Rows 8 and 9: engine settings on this machine, measured in process on the tiny-dimension model.
// Row 8: inference time for 1..N threads against the count Sona picks when none is given.
// Row 9: flash attention on and off (two engines, each with its own context) against the default.
import { DEFAULT_FLASH_ATTN, defaultThreads, type WhisperEngine } from "../../src/engine/index.ts";
import type { BenchContext } from "../support/context.ts";
import { benchOptions, loadSamples, openEngine, runEngine } from "../support/engine.ts";
import { timedOk } from "../support/proc.ts";
import { figure, type Figure, type RowResult } from "../support/report.ts";
import { fmt, interleave, pairRatios, summarize } from "../support/stats.ts";

/** 1, 2, 4, ... up to the core count, plus the core count and the default. */
export function threadCounts(cores: number, chosen: number): number[] {
  const set = new Set<number>();
  for (let t = 1; t <= cores; t *= 2) set.add(t);
  set.add(cores);
  set.add(chosen);
  return [...set].sort((a, b) => a - b);
}

export async function threadsRow(ctx: BenchContext): Promise<RowResult> {
  const cores = navigator.hardwareConcurrency;
  const chosen = defaultThreads();
  const counts = threadCounts(cores, chosen);
  const samples = await loadSamples(ctx.fixtures.clip30);
  const engine = await openEngine(ctx.models.tiny);
  let res: Record<string, number[]>;
  try {
    await runEngine(engine, samples, benchOptions(chosen));
    res = await interleave<number>(
      ctx.runs,
      counts.map((t) => ({ name: String(t), run: async () => (await runEngine(engine, samples, benchOptions(t))).inferenceMs })),
      (n, i, ms) => ctx.log(`  #${i + 1} ${n} threads: ${Math.round(ms)} ms`),
    );
  } finally {
    await engine.close();
  }
  const medians = counts.map((t) => summarize(res[String(t)]!).median);
  const best = Math.min(...medians);
  const bestThreads = counts[medians.indexOf(best)]!;
  const mine = medians[counts.indexOf(chosen)]!;
  const slower = mine / best - 1;
  const figures: Figure[] = counts.map((t) =>
    figure(`${t} thread${t > 1 ? "s" : ""}${t === chosen ? " (default)" : ""}: inferenceMs`, summarize(res[String(t)]!), "ms"),
  );
  for (const t of counts) {
    if (t === chosen) continue;
    figures.push(figure(`ratio ${t} / ${chosen} threads (per iteration)`, summarize(pairRatios(res[String(t)]!, res[String(chosen)]!)), "", 3));
  }
  return {
    id: 8,
    title: `thread scaling, 1..${cores} threads, and the default`,
    goal: "the default is the fastest or within 5 % of it",
    result: `default ${chosen} threads: ${fmt(mine)} ms; fastest ${bestThreads} threads: ${fmt(best)} ms (${slower <= 0 ? "default is fastest" : `default ${fmt(slower * 100, 1)} % slower`})`,
    verdict: slower <= 0.05 ? "pass" : "fail",
    figures,
    notes: [
      `Default: defaultThreads() in src/engine/defaults.ts = min(8, cores) = ${chosen} on this ${cores}-core machine. Engine in process, tiny-dimension model, 30 s clip, greedy, no fallback; thread counts interleaved, ${ctx.runs} runs each.`,
    ],
  };
}

interface Phases {
  /** ms per encoder pass */
  encode: number;
  /** ms per single-token decoder step */
  decode: number;
  total: number;
  /** decoder steps per encoder pass */
  tokensPerPass: number;
}

/** whisper-cli with and without -nfa: the same library's own per-phase timings. */
async function cliPhases(ctx: BenchContext, clip: string, flash: boolean): Promise<Phases> {
  const t = await timedOk([ctx.whisperCli, "-m", ctx.models.tiny, "-f", clip, "-t", String(ctx.threads), "-nf", "-bs", "1", "-bo", "1", ...(flash ? [] : ["-nfa"])]);
  const phase = (name: string) => {
    const m = new RegExp(`${name} time =\\s+([\\d.]+) ms /\\s+(\\d+) runs`).exec(t.stderr);
    return m ? { ms: Number(m[1]), runs: Math.max(1, Number(m[2])) } : { ms: NaN, runs: 1 };
  };
  const encode = phase("encode"), decode = phase("decode");
  const total = Number(/total time =\s+([\d.]+) ms/.exec(t.stderr)?.[1] ?? NaN);
  return { encode: encode.ms / encode.runs, decode: decode.ms / decode.runs, total, tokensPerPass: decode.runs / encode.runs };
}

export async function flashAttnRow(ctx: BenchContext): Promise<RowResult> {
  const options = benchOptions(ctx.threads);
  // the 10 s clip is one window with a handful of tokens: encoder-bound, the shape of real speech
  // with a real model; the 30 s clip makes the synthetic model decode ~440 tokens: decoder-bound
  const clips = [
    { name: "10 s (encoder-bound)", path: ctx.fixtures.clip10 },
    { name: "30 s (decoder-heavy)", path: ctx.fixtures.clip30 },
  ];
  const engines: Record<string, WhisperEngine> = {};
  const figures: Figure[] = [];
  const ratios: number[] = [];
  const def = DEFAULT_FLASH_ATTN ? "on" : "off";
  try {
    engines.on = await openEngine(ctx.models.tiny, { flashAttn: true });
    engines.off = await openEngine(ctx.models.tiny, { flashAttn: false });
    for (const clip of clips) {
      const samples = await loadSamples(clip.path);
      for (const e of Object.values(engines)) await runEngine(e, samples, options);
      const res = await interleave<number>(
        ctx.runs,
        ["on", "off"].map((k) => ({ name: k, run: async () => (await runEngine(engines[k]!, samples, options)).inferenceMs })),
        (n, i, ms) => ctx.log(`  ${clip.name} #${i + 1} flash attention ${n}: ${Math.round(ms)} ms`),
      );
      const ratio = summarize(pairRatios(res.on!, res.off!));
      ratios.push(ratio.median);
      figures.push(
        figure(`${clip.name}: flash attention on, inferenceMs`, summarize(res.on!), "ms"),
        figure(`${clip.name}: flash attention off, inferenceMs`, summarize(res.off!), "ms"),
        figure(`${clip.name}: ratio on / off (per iteration)`, ratio, "", 3),
      );
    }
  } finally {
    for (const e of Object.values(engines)) await e.close();
  }
  const phases = await interleave<Phases>(ctx.runs, [
    { name: "on", run: () => cliPhases(ctx, ctx.fixtures.clip30, true) },
    { name: "off", run: () => cliPhases(ctx, ctx.fixtures.clip30, false) },
  ]);
  const enc = (k: string) => summarize(phases[k]!.map((p) => p.encode));
  const dec = (k: string) => summarize(phases[k]!.map((p) => p.decode));
  figures.push(
    figure("whisper-cli, 30 s: encoder pass, flash attention on", enc("on"), "ms"),
    figure("whisper-cli, 30 s: encoder pass, flash attention off (-nfa)", enc("off"), "ms"),
    figure("whisper-cli, 30 s: decoder step (one token), on", dec("on"), "ms", 2),
    figure("whisper-cli, 30 s: decoder step (one token), off", dec("off"), "ms", 2),
  );
  const saved = enc("off").median - enc("on").median;
  const lost = dec("on").median - dec("off").median;
  const breakEven = lost > 0 ? saved / lost : Infinity;
  const [encoderBound, decoderBound] = ratios as [number, number];
  const defaultWins = (r: number) => (DEFAULT_FLASH_ATTN ? r < 1 : r > 1);
  return {
    id: 9,
    title: "flash attention on and off (CPU)",
    goal: "the default is the faster",
    result: `on/off ${fmt(encoderBound, 3)} on the encoder-bound clip, ${fmt(decoderBound, 3)} on the decoder-bound one; default ${def}`,
    verdict: defaultWins(encoderBound) ? "pass" : "fail",
    figures,
    notes: [
      `Default: DEFAULT_FLASH_ATTN in src/engine/defaults.ts (${def}). Two engines in process (one context each), tiny-dimension model, ${ctx.threads} threads, alternating, ${ctx.runs} runs each; the per-phase times are whisper-cli's own (same library build) with and without -nfa.`,
      `Flash attention saves ${fmt(saved)} ms per encoder pass and costs ${fmt(lost, 2)} ms per decoded token, so it is faster while a 30 s window decodes fewer than ~${Number.isFinite(breakEven) ? fmt(breakEven) : "∞"} tokens per encoder pass. Real speech with a real tiny/base model decodes roughly 60–120 tokens per window, and larger models spend a larger share in the encoder; the synthetic model decodes ${fmt(summarize(phases.on!.map((p) => p.tokensPerPass)).median)} tokens per pass on the 30 s clip. The verdict is taken on the encoder-bound clip.`,
    ],
  };
}
