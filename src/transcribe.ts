// The shared path from a file on disk to a result: audio -> engine. The CLI and the server both
// call this after parsing their own input, so they decode, transcribe and time things alike, and
// see the same repaired segment times (src/format/timing.ts) in results and in segment events.
import { decodeAudio } from "./audio/index.ts";
import type { Engine, TranscribeHooks, TranscriptResult } from "./engine/index.ts";
import { createTimeRepairer, repairTimes } from "./format/timing.ts";
import type { TranscribeOptions } from "./options.ts";

export interface TranscribeFileHooks extends TranscribeHooks {
  modelReady?: Promise<unknown>;
  /** once the audio is decoded: its length, and warnings for the user (a truncated file) */
  onAudio?: (audio: { durationSec: number; warnings: string[] }) => void;
}

/** `path` "-" is standard input. */
export async function transcribeFile(engine: Engine, path: string, options: TranscribeOptions, hooks: TranscribeFileHooks = {}): Promise<TranscriptResult> {
  const t0 = performance.now();
  const audio = await decodeAudio(path, { enhance: options.enhanceAudio, signal: hooks.signal });
  const decodeAudioMs = performance.now() - t0;
  hooks.onAudio?.({ durationSec: audio.durationSec, warnings: audio.warnings });
  // the CLI loads the model while the audio decodes; both must be done before inference
  await hooks.modelReady;
  const repairer = createTimeRepairer(audio.durationSec);
  const onEvent = hooks.onEvent;
  const result = await engine.transcribe(audio.samples, options, {
    signal: hooks.signal,
    onEvent: onEvent && ((e) => onEvent(e.type === "segment" ? { ...e, segment: repairer.next(e.segment) } : e)),
  });
  result.timings.decodeAudioMs = decodeAudioMs;
  return repairTimes(result);
}
