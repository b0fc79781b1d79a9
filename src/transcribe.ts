// The shared path from a file on disk to a result: audio -> engine. The CLI and the server both
// call this after parsing their own input, so they decode, transcribe and time things alike, and
// see the same repaired segment times (src/format/timing.ts) and speaker labels in results and in
// segment events.
import { decodeAudio } from "./audio/index.ts";
import { labelStereoSpeakers } from "./diarize/stereo.ts";
import type { DecodeOptions, Engine, Segment, SpeechDetection, TranscribeHooks, TranscriptResult } from "./engine/index.ts";
import { createTimeRepairer, repairTimes } from "./format/timing.ts";
import type { TranscribeOptions, VadRequest } from "./options.ts";
import { resolveVadModel, type VadModel } from "./vad/model.ts";

export interface TranscribeFileHooks extends TranscribeHooks {
  modelReady?: Promise<unknown>;
  /** once the audio is decoded: its length, and warnings for the user (a truncated file) */
  onAudio?: (audio: { durationSec: number; warnings: string[] }) => void;
  /** longest audio to decode, in seconds (--max-audio-duration; default 12 h) */
  maxAudioDurationSec?: number;
}

/** `path` "-" is standard input. */
export async function transcribeFile(engine: Engine, path: string, options: TranscribeOptions, hooks: TranscribeFileHooks = {}): Promise<TranscriptResult> {
  // the VAD model is checked before the audio is decoded: a bad vad_model fails at once
  const vadModel = options.vad ? await resolveVadModel(options.vad.model) : undefined;
  const t0 = performance.now();
  const audio = await decodeAudio(path, {
    enhance: options.enhanceAudio,
    signal: hooks.signal,
    track: options.audioTrack,
    stereo: options.diarize,
    maxDurationSec: hooks.maxAudioDurationSec,
  });
  const decodeAudioMs = performance.now() - t0;
  hooks.onAudio?.({ durationSec: audio.durationSec, warnings: audio.warnings });
  // the CLI loads the model while the audio decodes; both must be done before inference
  await hooks.modelReady;
  const decode: DecodeOptions = { ...options, vad: options.vad && { mode: options.vad.mode, modelPath: vadModel!.path, params: options.vad.params } };
  const stereo = audio.stereo;
  const label = (segments: Segment[]) => {
    if (stereo) labelStereoSpeakers(segments, stereo);
    return segments;
  };
  const repairer = createTimeRepairer(audio.durationSec);
  const onEvent = hooks.onEvent;
  const result = await engine.transcribe(audio.samples, decode, {
    signal: hooks.signal,
    onEvent: onEvent && ((e) => onEvent(e.type === "segment" ? { ...e, segment: label([repairer.next(e.segment)])[0]! } : e)),
  });
  result.timings.decodeAudioMs = decodeAudioMs;
  const repaired = repairTimes(result);
  label(repaired.segments);
  return repaired;
}

export interface SpeechReport extends SpeechDetection {
  /** seconds of audio */
  duration: number;
  model: VadModel;
}

/** The VAD alone (`sona vad`, POST /v1/audio/vad): where the speech is. */
export async function detectSpeechInFile(
  engine: Engine,
  path: string,
  vad: Omit<VadRequest, "mode">,
  signal?: AbortSignal,
  maxAudioDurationSec?: number,
): Promise<SpeechReport> {
  const model = await resolveVadModel(vad.model);
  const audio = await decodeAudio(path, { signal, maxDurationSec: maxAudioDurationSec });
  const duration = audio.durationSec;
  const found = await engine.detectSpeech(audio.samples, { modelPath: model.path, params: vad.params });
  return { ...found, duration, model };
}
