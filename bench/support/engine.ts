// The engine in this process, as the server holds it: model loaded once, samples handed over per run.
import { decodeAudio } from "../../src/audio/index.ts";
import { WhisperEngine } from "../../src/engine/index.ts";
import { parseOptions, type TranscribeOptions } from "../../src/options.ts";

export interface EngineRun {
  /** whisper_full in the worker (Sona's timings.inferenceMs) */
  inferenceMs: number;
  /** engine.transcribe() as the caller sees it: hand-over, inference, events, result */
  wallMs: number;
  segments: number;
}

/** Greedy, one candidate, no temperature fallback: the parameters every comparison uses. */
export function benchOptions(threads: number): TranscribeOptions {
  return parseOptions({ no_fallback: "true", n_threads: String(threads), beam_size: "1", best_of: "1", response_format: "json" });
}

export async function openEngine(model: string, opts: { flashAttn?: boolean } = {}): Promise<WhisperEngine> {
  const engine = new WhisperEngine(opts.flashAttn === undefined ? {} : { flashAttn: opts.flashAttn });
  await engine.load(model);
  return engine;
}

export async function loadSamples(path: string): Promise<Float32Array> {
  return (await decodeAudio(path)).samples;
}

export async function runEngine(engine: WhisperEngine, samples: Float32Array, options: Omit<TranscribeOptions, "vad">): Promise<EngineRun> {
  const copy = samples.slice(); // the engine takes ownership of (transfers) the buffer it is given
  const t0 = performance.now();
  const r = await engine.transcribe(copy, options);
  return { inferenceMs: r.timings.inferenceMs, wallMs: performance.now() - t0, segments: r.segments.length };
}
