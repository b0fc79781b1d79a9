// Decoding options -> whisper_full_params. Starts from whisper.cpp's own defaults for the chosen
// strategy (the same ones whisper-cli starts from) and changes only what Sona's options name.
import { asPointer, LAYOUT, ParamsStruct, type FullParamsField, type Pointer, type WhisperSymbols } from "./ffi.ts";
import type { DecodeOptions } from "./protocol.ts";

const F = LAYOUT.whisper_full_params;
const off = (f: FullParamsField) => F[f];

export function buildParams(
  lib: WhisperSymbols,
  o: DecodeOptions & { language: string; threads: number },
  onSegment: Pointer,
  onProgress: Pointer,
): ParamsStruct {
  const strategy = o.strategy === "beam_search" ? 1 : 0;
  const p = new ParamsStruct(asPointer(lib.whisper_full_default_params_by_ref(strategy))!, F.sizeof);
  p.i32(off("n_threads"), o.threads);
  p.bool(off("translate"), o.translate);
  // whisper.cpp prints to stdout when these are on; stdout belongs to results and the ready line
  for (const f of ["print_special", "print_progress", "print_realtime", "print_timestamps"] as const) p.bool(off(f), false);
  p.bool(off("token_timestamps"), o.wordTimestamps);
  if (o.maxSegmentLen) {
    p.i32(off("max_len"), o.maxSegmentLen);
    p.bool(off("split_on_word"), true);
  }
  if (o.maxTextCtx !== undefined) p.i32(off("n_max_text_ctx"), o.maxTextCtx);
  if (o.prompt) p.string(off("initial_prompt"), o.prompt);
  p.string(off("language"), o.language);
  p.bool(off("detect_language"), false);
  p.f32(off("temperature"), o.temperature);
  if (o.noFallback) p.f32(off("temperature_inc"), 0);
  if (o.bestOf !== undefined) p.i32(off("greedy.best_of"), o.bestOf);
  if (o.beamSize !== undefined) p.i32(off("beam_search.beam_size"), o.beamSize);
  p.pointerAt(off("new_segment_callback"), onSegment);
  p.pointerAt(off("progress_callback"), onProgress);
  return p;
}
