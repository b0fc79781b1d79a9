// text, srt and vtt written segment by segment as the engine decodes them (the CLI prints them
// to stdout like whisper-cli does). What `push` and `end` return, joined, is byte for byte what
// the CLI prints for formatResult's body (which it ends with a newline), so a streamed and a
// buffered run agree.
import type { Segment } from "../engine/types.ts";
import { srtCue, vttCue } from "./subtitles.ts";

export type LiveFormat = "text" | "srt" | "vtt";

export interface LiveRenderer {
  /** text for one more segment */
  push(segment: Segment): string;
  /** what closes the output */
  end(): string;
}

export function isLiveFormat(format: string): format is LiveFormat {
  return format === "text" || format === "srt" || format === "vtt";
}

export function createLiveRenderer(format: LiveFormat): LiveRenderer {
  let count = 0;
  if (format === "text") {
    // renderText trims the joined text: hold back each segment's trailing whitespace until more
    // text follows, and drop the leading whitespace of the first text written
    let held = "";
    let started = false;
    return {
      push(segment) {
        let text = held + segment.text;
        if (!started) text = text.trimStart();
        const body = text.trimEnd();
        held = text.slice(body.length);
        if (body) started = true;
        return body;
      },
      end: () => "\n",
    };
  }
  return {
    push(segment) {
      const sep = count > 0 ? "\n" : format === "vtt" ? "WEBVTT\n\n" : "";
      count++;
      return sep + (format === "srt" ? `${count}\n${srtCue(segment)}` : vttCue(segment));
    },
    end: () => (count > 0 ? "" : format === "vtt" ? "WEBVTT\n\n" : "\n"),
  };
}
