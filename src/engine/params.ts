// Decoding options -> whisper_full_params. Starts from whisper.cpp's own defaults for the chosen
// strategy (the same ones whisper-cli starts from) and changes only what Sona's options name.
import type { VadParams } from "../vad/params.ts";
import { asPointer, LAYOUT, ParamsStruct, type FullParamsField, type Pointer, type WhisperSymbols } from "./ffi.ts";
import type { DecodeOptions } from "./protocol.ts";

const F = LAYOUT.whisper_full_params;
const V = LAYOUT.whisper_vad_params;
const off = (f: FullParamsField) => F[f];
const FLT_MAX = 3.4028234663852886e38;

export interface CallOptions {
  language: string;
  threads: number;
  /** whisper.cpp's no_context flag: false carries the text of the previous call (the span before) */
  clearContext: boolean;
  /** the prompt goes to this call (the first span, or every span with carry_initial_prompt) */
  withPrompt: boolean;
}

export function buildParams(
  lib: WhisperSymbols,
  o: DecodeOptions,
  call: CallOptions,
  onSegment: Pointer,
  onProgress: Pointer,
): ParamsStruct {
  const strategy = o.strategy === "beam_search" ? 1 : 0;
  const p = new ParamsStruct(asPointer(lib.whisper_full_default_params_by_ref(strategy))!, F.sizeof);
  p.i32(off("n_threads"), call.threads);
  p.bool(off("translate"), o.translate);
  // whisper.cpp prints to stdout when these are on; stdout belongs to results and the ready line
  for (const f of ["print_special", "print_progress", "print_realtime", "print_timestamps"] as const) p.bool(off(f), false);
  p.bool(off("token_timestamps"), o.wordTimestamps);
  if (o.maxSegmentLen) {
    p.i32(off("max_len"), o.maxSegmentLen);
    p.bool(off("split_on_word"), true);
  }
  if (o.maxTextCtx !== undefined) p.i32(off("n_max_text_ctx"), o.maxTextCtx);
  if (o.noContext) p.i32(off("n_max_text_ctx"), 0);
  p.bool(off("no_context"), call.clearContext);
  if (o.singleSegment) p.bool(off("single_segment"), true);
  if (o.prompt && call.withPrompt) p.string(off("initial_prompt"), o.prompt);
  if (o.carryInitialPrompt !== undefined) p.bool(off("carry_initial_prompt"), o.carryInitialPrompt);
  p.string(off("language"), call.language);
  p.bool(off("detect_language"), false);
  p.f32(off("temperature"), o.temperature);
  if (o.noFallback) p.f32(off("temperature_inc"), 0);
  if (o.bestOf !== undefined) p.i32(off("greedy.best_of"), o.bestOf);
  if (o.beamSize !== undefined) p.i32(off("beam_search.beam_size"), o.beamSize);
  if (o.noSpeechThold !== undefined) p.f32(off("no_speech_thold"), o.noSpeechThold);
  if (o.logprobThold !== undefined) p.f32(off("logprob_thold"), o.logprobThold);
  if (o.entropyThold !== undefined) p.f32(off("entropy_thold"), o.entropyThold);
  if (o.suppressNst !== undefined) p.bool(off("suppress_nst"), o.suppressNst);
  if (o.suppressBlank !== undefined) p.bool(off("suppress_blank"), o.suppressBlank);
  if (o.vad?.mode === "inline") {
    p.bool(off("vad"), true);
    p.string(off("vad_model_path"), o.vad.modelPath);
    writeVadParams(p.view, off("vad_params"), o.vad.params);
  }
  p.pointerAt(off("new_segment_callback"), onSegment);
  p.pointerAt(off("progress_callback"), onProgress);
  return p;
}

/** whisper_vad_params as bytes, for sona_vad_segments (or inside whisper_full_params at `at`). */
export function writeVadParams(view: DataView, at: number, v: VadParams): void {
  view.setFloat32(at + V.threshold, v.threshold, true);
  view.setInt32(at + V.min_speech_duration_ms, v.minSpeechMs, true);
  view.setInt32(at + V.min_silence_duration_ms, v.minSilenceMs, true);
  view.setFloat32(at + V.max_speech_duration_s, Number.isFinite(v.maxSpeechS) ? v.maxSpeechS : FLT_MAX, true);
  view.setInt32(at + V.speech_pad_ms, v.speechPadMs, true);
  view.setFloat32(at + V.samples_overlap, v.samplesOverlap, true);
}

export function vadParamsBytes(v: VadParams): Uint8Array {
  const bytes = new Uint8Array(V.sizeof);
  writeVadParams(new DataView(bytes.buffer), 0, v);
  return bytes;
}
