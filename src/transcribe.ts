// The shared path from a file on disk to a result: audio -> engine. The CLI and the server both
// call this after parsing their own input, so they decode, transcribe and time things alike.
import { decodeAudio } from "./audio/index.ts";
import { labelStereoSpeakers } from "./diarize/stereo.ts";
import type { DecodeOptions, Engine, SpeechDetection, TranscribeHooks, TranscriptResult } from "./engine/index.ts";
import type { TranscribeOptions, VadRequest } from "./options.ts";
import { resolveVadModel, type VadModel } from "./vad/model.ts";

export async function transcribeFile(
  engine: Engine,
  path: string,
  options: TranscribeOptions,
  hooks: TranscribeHooks & { modelReady?: Promise<unknown> } = {},
): Promise<TranscriptResult> {
  // the VAD model is checked before the audio is decoded: a bad vad_model fails at once
  const vadModel = options.vad ? await resolveVadModel(options.vad.model) : undefined;
  const t0 = performance.now();
  const audio = await decodeAudio(path, { enhance: options.enhanceAudio, signal: hooks.signal, track: options.audioTrack, stereo: options.diarize });
  const decodeAudioMs = performance.now() - t0;
  // the CLI loads the model while the audio decodes; both must be done before inference
  await hooks.modelReady;
  const decode: DecodeOptions = { ...options, vad: options.vad && { mode: options.vad.mode, modelPath: vadModel!.path, params: options.vad.params } };
  const stereo = audio.stereo;
  const onEvent: TranscribeHooks["onEvent"] = stereo
    ? (e) => {
        if (e.type === "segment") labelStereoSpeakers([e.segment], stereo);
        hooks.onEvent?.(e);
      }
    : hooks.onEvent;
  const result = await engine.transcribe(audio.samples, decode, { ...hooks, onEvent });
  if (stereo) labelStereoSpeakers(result.segments, stereo);
  result.timings.decodeAudioMs = decodeAudioMs;
  return result;
}

export interface SpeechReport extends SpeechDetection {
  /** seconds of audio */
  duration: number;
  model: VadModel;
}

/** The VAD alone (`sona vad`, POST /v1/audio/vad): where the speech is. */
export async function detectSpeechInFile(engine: Engine, path: string, vad: Omit<VadRequest, "mode">, signal?: AbortSignal): Promise<SpeechReport> {
  const model = await resolveVadModel(vad.model);
  const audio = await decodeAudio(path, { signal });
  const duration = audio.durationSec;
  const found = await engine.detectSpeech(audio.samples, { modelPath: model.path, params: vad.params });
  return { ...found, duration, model };
}
