// The VAD's own answer (`sona vad`, POST /v1/audio/vad): where the speech is, in seconds.
import type { SpeechSpan } from "../vad/params.ts";
import { roundMs } from "./time.ts";

export interface SpeechJson {
  /** the Silero model that ran: "silero-v6.2.0" for the embedded one, else the vad_model given */
  model: string;
  /** seconds of audio, and of speech in it */
  duration: number;
  speech_duration: number;
  spans: SpeechSpan[];
}

export function speechJson(report: { model: { name: string }; duration: number; spans: SpeechSpan[] }): SpeechJson {
  return {
    model: report.model.name,
    duration: roundMs(report.duration),
    speech_duration: roundMs(report.spans.reduce((sum, s) => sum + (s.end - s.start), 0)),
    spans: report.spans,
  };
}
