// The shared path from a file on disk to a result: audio -> engine. The CLI and the server both
// call this after parsing their own input, so they decode, transcribe and time things alike.
import { decodeAudio } from "./audio/index.ts";
import type { Engine, TranscribeHooks, TranscriptResult } from "./engine/index.ts";
import type { TranscribeOptions } from "./options.ts";

export async function transcribeFile(
  engine: Engine,
  path: string,
  options: TranscribeOptions,
  hooks: TranscribeHooks & { modelReady?: Promise<unknown> } = {},
): Promise<TranscriptResult> {
  const t0 = performance.now();
  const audio = await decodeAudio(path, { enhance: options.enhanceAudio, signal: hooks.signal });
  const decodeAudioMs = performance.now() - t0;
  // the CLI loads the model while the audio decodes; both must be done before inference
  await hooks.modelReady;
  const result = await engine.transcribe(audio.samples, options, hooks);
  result.timings.decodeAudioMs = decodeAudioMs;
  return result;
}
