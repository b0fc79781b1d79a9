// OpenAI's `diarized_json` (CreateTranscriptionResponseDiarizedJson): segments with a speaker label.
// Sona's speakers are stereo channels (diarize=true): channel 0 is "A", channel 1 is "B".
import type { Segment, TranscriptResult } from "../engine/types.ts";
import { durationUsage, transcriptText } from "./text.ts";
import { roundMs, seconds } from "./time.ts";
import type { DiarizedSegment, DiarizedTranscript } from "./wire.ts";

export type { DiarizedSegment };

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
  const body: DiarizedTranscript = {
    task: "transcribe",
    duration: roundMs(result.duration),
    text: transcriptText(result.segments),
    segments: result.segments.map(diarizedSegment),
    usage: durationUsage(result.duration),
  };
  return JSON.stringify(body);
}
