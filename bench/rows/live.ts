// Row 14: live latency and headroom (issue 13), in process on the tiny-dimension model with the
// embedded Silero VAD, audio pushed at real-time pace in 100 ms chunks (espeak-ng sentences and
// silences, repeated). (a) From the chunk that holds an utterance's last speech to its final text,
// minus silence_duration_ms (the silence a turn needs to end), p50/p95 over 20+ utterances, against
// the batch inference time of the same audio + 50 ms. That inference is the one the final decode
// itself reports (the same samples, prompt and options, in the same run): a separate pass could not
// repeat the prompt (the committed text's tail), and a synthetic model's decode time swings with it. (b) From speech start to the first partial.
// (c) Headroom: fixed partial cadences from short to long. A live session never falls behind for its
// partials (a due one is skipped while the last still decodes), so what shows whether a cadence
// keeps up is the audio between consecutive partials: at a cadence the decoder keeps up with, it is
// the cadence (p50 within 25 %); the shortest such cadence is reported, and the backlog besides.
import { WhisperEngine } from "../../src/engine/index.ts";
import { wrapTranscribe } from "../../test/helpers/engine-wrap.ts";
import { DEFAULT_TURN_OPTIONS, LiveSession, type LiveEvent } from "../../src/live/index.ts";
import { parseOptions } from "../../src/options.ts";
import { VENDORED_VAD_PATH } from "../../src/vad/model.ts";
import { spokenWithGaps, THREE_UTTERANCES, type SpokenAudio } from "../../test/helpers/speech.ts";
import type { BenchContext } from "../support/context.ts";
import { figure, value, type Figure, type RowResult } from "../support/report.ts";
import { fmt, percentile, summarize } from "../support/stats.ts";

const RATE = 16000;
const CHUNK = 1600;
const decode = { ...parseOptions({ no_fallback: "true" }), vad: undefined };

interface Run {
  /** per utterance: ms from its last speech chunk to its final text, minus silence_duration_ms */
  final: number[];
  /** per utterance: ms from its first speech chunk to its first partial */
  firstPartial: number[];
  /** per utterance: the inference time its final decode reported */
  batch: number[];
  /** the most input (s) that waited while the stream played */
  maxBacklogS: number;
  /** ms of audio between consecutive partials of an utterance */
  partialGaps: number[];
}

/** Plays `repeats` copies of `block` at real-time pace through one session. */
async function play(engine: WhisperEngine, block: SpokenAudio, repeats: number, partial: { mode: "fixed" | "off"; ms?: number }): Promise<Run> {
  const pushedAt: number[] = []; // wall time of each chunk
  const run: Run = { final: [], firstPartial: [], batch: [], maxBacklogS: 0, partialGaps: [] };
  let finalNext = false; // the decode that follows a `committed` event is that utterance's final
  const timed = wrapTranscribe(engine, (next) => async (samples, options, hooks) => {
    const final = finalNext;
    finalNext = false;
    const result = await next(samples, options, hooks);
    if (final) run.batch.push(result.timings.inferenceMs);
    return result;
  });
  const starts = new Map<number, number>(); // utterance id -> its speech start (s), until its first partial
  const lastPartial = new Map<number, number>(); // utterance id -> the end (s) of its last partial
  // the wall time when the chunk holding stream time `t` (s) was pushed
  const pushed = (t: number) => pushedAt[Math.min(pushedAt.length - 1, Math.floor((t * RATE) / CHUNK))]!;
  const session = new LiveSession({
    engine: timed,
    vadModelPath: VENDORED_VAD_PATH,
    decode,
    turns: DEFAULT_TURN_OPTIONS,
    partialMode: partial.mode,
    partialIntervalMs: partial.ms,
    onEvent: (e: LiveEvent) => {
      const now = performance.now();
      if (e.type === "committed") finalNext = true;
      else if (e.type === "speech_started") starts.set(e.id, e.start);
      else if (e.type === "partial") {
        if (starts.has(e.id)) run.firstPartial.push(now - pushed(starts.get(e.id)!));
        starts.delete(e.id);
        if (lastPartial.has(e.id)) run.partialGaps.push((e.end - lastPartial.get(e.id)!) * 1000);
        lastPartial.set(e.id, e.end);
      } else if (e.type === "utterance") {
        // e.end is where the VAD heard the speech end; the turn then needs its silence to close
        run.final.push(now - pushed(e.end) - DEFAULT_TURN_OPTIONS.silenceMs);
      }
    },
  });
  const total = repeats * block.samples.length;
  const t0 = performance.now();
  for (let i = 0, n = 0; i < total; i += CHUNK, n++) {
    const due = t0 + (n * CHUNK * 1000) / RATE;
    const wait = due - performance.now();
    if (wait > 0) await Bun.sleep(wait);
    pushedAt.push(performance.now());
    session.push(streamAudio(block, i / RATE, (i + CHUNK) / RATE));
    run.maxBacklogS = Math.max(run.maxBacklogS, session.pendingSamples / RATE);
  }
  await session.finish();
  session.close();
  return run;
}

/** the stream's audio from `start` to `end` seconds (the stream is the block, repeated) */
function streamAudio(block: SpokenAudio, start: number, end: number): Float32Array {
  const out = new Float32Array(Math.max(0, Math.round((end - start) * RATE)));
  const from = Math.round(start * RATE);
  for (let i = 0; i < out.length; i++) out[i] = block.samples[(from + i) % block.samples.length]!;
  return out;
}

export async function liveRow(ctx: BenchContext): Promise<RowResult> {
  const block = await spokenWithGaps(THREE_UTTERANCES.texts, THREE_UTTERANCES.gaps);
  const engine = new WhisperEngine();
  try {
    await engine.load(ctx.models.tiny);
    // 7 blocks of 3 utterances: 21 utterances (ctx.quick: 1 block)
    const repeats = ctx.quick ? 1 : 7;
    const main = await play(engine, block, repeats, { mode: "fixed", ms: 700 });
    const batch = main.batch;
    const p50 = percentile(main.final, 50);
    const goal = 1.2 * percentile(batch, 50) + 50;
    const figures: Figure[] = [
      figure("last speech chunk → final text, minus silence_duration_ms", summarize(main.final), "ms"),
      value("final latency p50 / p95", `${fmt(p50)} / ${fmt(percentile(main.final, 95))} ms`),
      figure("inference of each final (its own decode: the batch figure)", summarize(batch), "ms"),
      figure("speech start → first partial", summarize(main.firstPartial), "ms"),
      figure("audio between partials at the 700 ms cadence", summarize(main.partialGaps), "ms"),
      value("largest backlog at the 700 ms cadence", `${fmt(main.maxBacklogS, 2)} s`),
    ];
    // headroom: the shortest fixed cadence the partials actually keep
    const cadences = ctx.quick ? [300] : [300, 500, 700, 1000, 1500];
    let shortest: number | null = null;
    for (const ms of cadences) {
      const r = ms === 700 ? main : await play(engine, block, ctx.quick ? 1 : 2, { mode: "fixed", ms });
      const gap = r.partialGaps.length ? percentile(r.partialGaps, 50) : Number.NaN;
      const keeps = gap <= 1.25 * ms;
      figures.push(value(`cadence ${ms} ms: audio between partials p50; largest backlog`, `${fmt(gap)} ms; ${fmt(r.maxBacklogS, 2)} s${keeps ? " (keeps up)" : " (the decoder sets the pace)"}`));
      if (keeps && shortest === null) shortest = ms;
    }
    return {
      id: 14,
      title: "live latency (tiny dims, real-time pace, 100 ms chunks): final text, first partial, cadence headroom",
      goal: "final p50 ≤ 1.2 × batch inference + 50 ms; record the first-partial time and the shortest cadence that keeps up",
      result: `final p50 ${fmt(p50)} ms (goal ≤ ${fmt(goal)} ms), p95 ${fmt(percentile(main.final, 95))} ms over ${main.final.length} utterances; first partial p50 ${fmt(percentile(main.firstPartial, 50))} ms; shortest cadence that keeps up: ${shortest === null ? `none of ${cadences.join("/")} ms` : `${shortest} ms`}`,
      verdict: p50 <= goal ? "pass" : "fail",
      figures,
      notes: [`In process: LiveSession over WhisperEngine, the embedded Silero VAD, default turn detection (silence ${DEFAULT_TURN_OPTIONS.silenceMs} ms), the default threads (${ctx.threads}).`],
    };
  } finally {
    await engine.close();
  }
}
