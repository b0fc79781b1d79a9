// An engine that forwards everything to a real one except transcribe, which the caller wraps (to
// watch or delay what a live session asks of the engine).
import type { Engine } from "../../src/engine/index.ts";

export function wrapTranscribe(engine: Engine, transcribe: (next: Engine["transcribe"]) => Engine["transcribe"]): Engine {
  const inner: Engine["transcribe"] = (samples, options, hooks) => engine.transcribe(samples, options, hooks);
  return {
    get model() {
      return engine.model;
    },
    load: (path, o) => engine.load(path, o),
    unload: () => engine.unload(),
    detectSpeech: (samples, vad) => engine.detectSpeech(samples, vad),
    openSpeechStream: (path) => engine.openSpeechStream(path),
    close: () => engine.close(),
    transcribe: transcribe(inner),
  };
}
