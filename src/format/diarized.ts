// OpenAI's `diarized_json` (CreateTranscriptionResponseDiarizedJson): segments with a speaker label.
// Sona's speakers are stereo channels (diarize=true): channel 0 is "A", channel 1 is "B".
import type { Segment, TranscriptResult } from "../engine/types.ts";
import { transcriptText } from "./text.ts";
import { roundMs, seconds } from "./time.ts";

export interface DiarizedSegment {
  type: "transcript.text.segment";
  id: string;
  start: number;
  end: number;
  text: string;
  speaker: string;
}

export const speakerLabel = (speaker: number | undefined) => String.fromCharCode(65 + (speaker ?? 0));

export function diarizedSegment(s: Segment): DiarizedSegment {
  return {
    type: "transcript.text.segment",
    id: `seg_${String(s.id + 1).padStart(3, "0")}`,
    start: seconds(s.t0),
    end: seconds(s.t1),
    text: s.text,
    speaker: speakerLabel(s.speaker),
  };
}

export function renderDiarizedJson(result: TranscriptResult): string {
  const duration = roundMs(result.duration);
  return JSON.stringify({
    task: "transcribe",
    duration,
    text: transcriptText(result.segments),
    segments: result.segments.map(diarizedSegment),
    usage: { type: "duration", seconds: Math.ceil(duration) },
  });
}
