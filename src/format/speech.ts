// The VAD's own answer (`sona vad`, POST /v1/audio/vad): where the speech is, in seconds.
import type { SpeechSpan } from "../vad/params.ts";
import { roundMs } from "./time.ts";
import type { SpeechSpans } from "./wire.ts";

export function speechJson(report: { model: { name: string }; duration: number; spans: SpeechSpan[] }): SpeechSpans {
  return {
    model: report.model.name,
    duration: roundMs(report.duration),
    speech_duration: roundMs(report.spans.reduce((sum, s) => sum + (s.end - s.start), 0)),
    spans: report.spans,
  };
}
