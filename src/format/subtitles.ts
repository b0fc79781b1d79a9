// `srt` and `vtt`, byte for byte the original Sona's layouts: one cue per whisper segment (every
// segment, even one whose text is empty, so cue numbers match segment ids), text trimmed, cues
// separated by a blank line, the last cue ending in a single "\n". Cue times are the segments'
// after repairTimes (src/format/timing.ts), so every cue ends after it starts.
import type { Segment, TranscriptResult } from "../engine/types.ts";
import { clock } from "./time.ts";

function cue(segment: Segment, sep: "," | "."): string {
  return `${clock(segment.t0, sep)} --> ${clock(segment.t1, sep)}\n${segment.text.trim()}\n`;
}

export const srtCue = (segment: Segment): string => cue(segment, ",");
export const vttCue = (segment: Segment): string => cue(segment, ".");

/** SubRip: numbered cues from 1, "HH:MM:SS,mmm"; no segments gives "". */
export function renderSrt(result: TranscriptResult): string {
  return result.segments.map((s, i) => `${i + 1}\n${srtCue(s)}`).join("\n");
}

/** WebVTT: the "WEBVTT" header, unnumbered cues, "HH:MM:SS.mmm"; no segments gives "WEBVTT\n\n". */
export function renderVtt(result: TranscriptResult): string {
  return `WEBVTT\n\n${result.segments.map(vttCue).join("\n")}`;
}
