// `json` and `text`: the transcript alone. Whisper's segment texts start with a space (" Hello"),
// so the original Sona answered {"text":" Hello world"}; OpenAI trims, and clients comparing
// against OpenAI expect that, so Sona trims too.
import type { Segment, TranscriptResult } from "../engine/types.ts";

/** Segment texts joined as whisper produced them, then trimmed (OpenAI's `text`). */
export function transcriptText(segments: readonly Segment[]): string {
  return segments.map((s) => s.text).join("").trim();
}

/** `{"text": ...}` and nothing else, as OpenAI's json format. */
export function renderJson(result: TranscriptResult): string {
  return JSON.stringify({ text: transcriptText(result.segments) });
}

/**
 * The bare text followed by one "\n", as OpenAI sends it (the original sent none); the newline
 * also keeps `curl ... -F response_format=text` from leaving the shell prompt on the same line.
 */
export function renderText(result: TranscriptResult): string {
  return `${transcriptText(result.segments)}\n`;
}
