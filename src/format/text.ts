// `json` and `text`: the transcript alone. Whisper's segment texts start with a space (" Hello"),
// so the original Sona answered {"text":" Hello world"}; OpenAI trims, and clients comparing
// against OpenAI expect that, so Sona trims too.
import type { Segment, TranscriptResult } from "../engine/types.ts";
import { roundMs } from "./time.ts";
import type { TokenLogprob, TranscriptionJson, Usage } from "./wire.ts";
import { isTextToken } from "./words.ts";

/** Segment texts joined as whisper produced them, then trimmed (OpenAI's `text`). */
export function transcriptText(segments: readonly Segment[]): string {
  return segments.map((s) => s.text).join("").trim();
}

/**
 * OpenAI's usage for duration-billed models. Rounded to the millisecond first, so float noise
 * (11.000000001 s) does not bill an extra second; the Vercel AI SDK reads a json response's
 * duration from here.
 */
export function durationUsage(duration: number): Usage {
  return { type: "duration", seconds: Math.ceil(roundMs(duration)) };
}

/** OpenAI's `logprobs` (include[]=logprobs): every text token with its log probability and bytes. */
export function tokenLogprobs(segments: readonly Segment[]): TokenLogprob[] {
  const encoder = new TextEncoder();
  return segments.flatMap((s) => s.tokens.filter(isTextToken).map((t) => ({ token: t.text, logprob: t.plog, bytes: [...encoder.encode(t.text)] })));
}

export interface JsonOptions {
  /** add `logprobs` (include[]=logprobs) */
  logprobs?: boolean;
}

/** OpenAI's json format: `text`, `logprobs` when asked, `usage`. */
export function transcriptionJson(result: TranscriptResult, opts: JsonOptions = {}): TranscriptionJson {
  return {
    text: transcriptText(result.segments),
    ...(opts.logprobs ? { logprobs: tokenLogprobs(result.segments) } : {}),
    usage: durationUsage(result.duration),
  };
}

export function renderJson(result: TranscriptResult, opts: JsonOptions = {}): string {
  return JSON.stringify(transcriptionJson(result, opts));
}

/**
 * The bare text followed by one "\n", as OpenAI sends it (the original sent none); the newline
 * also keeps `curl ... -F response_format=text` from leaving the shell prompt on the same line.
 */
export function renderText(result: TranscriptResult): string {
  return `${transcriptText(result.segments)}\n`;
}
