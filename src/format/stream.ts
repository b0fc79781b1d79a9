// Streaming encoders: one event in, one wire chunk out. Two dialects of the same events:
// - NDJSON, the original Sona's native stream (`stream=true` on the native route): field names kept
//   (progress.progress, segment.start/end/text, result.text, error.message), fields added after them.
// - SSE, OpenAI's transcription stream: `data: <json>\n\n` lines, no `event:` lines and no
//   `[DONE]`, exactly as OpenAI sends them, so the official SDKs iterate it unchanged.
import type { EngineEvent, TranscriptResult } from "../engine/types.ts";
import type { ErrorCode } from "../errors.ts";
import { diarizedSegment } from "./diarized.ts";
import { durationUsage, tokenLogprobs, transcriptText } from "./text.ts";
import { roundMs, seconds } from "./time.ts";
import type { NdjsonEvent, SegmentEvent, SseEvent } from "./wire.ts";
import { segmentWords } from "./words.ts";

/** What a stream failure carries; a SonaError fits as is. */
export interface StreamError {
  code: ErrorCode;
  message: string;
  /** OpenAI's error type; "server_error" when absent, since mid-stream failures are the server's */
  type?: "invalid_request_error" | "server_error";
  param?: string | null;
}

/** The engine's progress/segment events, then exactly one result or error; `queued` comes first while a request waits for a slot. */
export type StreamEvent =
  | EngineEvent
  | { type: "queued"; position: number }
  | { type: "result"; result: TranscriptResult }
  | { type: "error"; error: StreamError };

export interface StreamOptions {
  /** NDJSON segment events: add the segment's `words` (word timestamps asked for) */
  words?: boolean;
  /** NDJSON segment and SSE text events: add the tokens' `logprobs` (include[]=logprobs) */
  logprobs?: boolean;
  /** SSE: each delta is followed by OpenAI's transcript.text.segment (response_format=diarized_json) */
  diarized?: boolean;
}

export const NDJSON_CONTENT_TYPE = "application/x-ndjson";
export const SSE_CONTENT_TYPE = "text/event-stream";

/** whisper.cpp reports progress as a percentage; clients expect an integer in 0..100. */
function percent(progress: number): number {
  return Math.min(100, Math.max(0, Math.round(progress)));
}

/**
 * One NDJSON line ("...}\n"). Segment text stays raw (leading space) like the original, so
 * joining the segment events rebuilds the transcript; the result's text is trimmed like `json`.
 */
export function ndjsonEvent(ev: StreamEvent, opts: StreamOptions = {}): string {
  return `${JSON.stringify(ndjsonBody(ev, opts))}\n`;
}

function ndjsonBody(ev: StreamEvent, opts: StreamOptions): NdjsonEvent {
  switch (ev.type) {
    case "progress":
      return { type: "progress", progress: percent(ev.progress) };
    case "queued":
      return { type: "queued", position: ev.position };
    case "segment": {
      const s = ev.segment;
      const body: SegmentEvent = {
        type: "segment",
        start: seconds(s.t0),
        end: seconds(s.t1),
        text: s.text,
        id: s.id,
        no_speech_prob: s.noSpeechProb,
      };
      if (s.speaker !== undefined) body.speaker = s.speaker;
      if (opts.words) body.words = segmentWords(s);
      if (opts.logprobs) body.logprobs = tokenLogprobs([s]);
      return body;
    }
    case "result": {
      const r = ev.result;
      return { type: "result", text: transcriptText(r.segments), language: r.language, duration: roundMs(r.duration) };
    }
    case "error":
      // `code` as the later original sent it (Vibe reads {code?, message}).
      return { type: "error", code: ev.error.code, message: ev.error.message };
  }
}

/**
 * One SSE event. Progress has no OpenAI event, so it goes out as an SSE comment (": progress 35"):
 * every SSE parser drops comments, and they keep proxies from timing out an idle connection while
 * whisper works on a long window. Each segment is one `transcript.text.delta` with its raw text;
 * joining the deltas and trimming gives the `transcript.text.done` text.
 */
export function sseEvent(ev: StreamEvent, opts: StreamOptions = {}): string {
  switch (ev.type) {
    case "progress":
      return `: progress ${percent(ev.progress)}\n\n`;
    case "queued":
      // no OpenAI event either: a comment, which the SDKs skip and proxies see as traffic
      return `: queued ${ev.position}\n\n`;
    case "segment": {
      const { segment } = ev;
      const delta = data({ type: "transcript.text.delta", delta: segment.text, ...(opts.logprobs ? { logprobs: tokenLogprobs([segment]) } : {}) });
      // OpenAI's diarized stream: each delta is followed by its whole segment with the speaker
      return opts.diarized ? delta + data(diarizedSegment(segment)) : delta;
    }
    case "result": {
      const { result } = ev;
      // usage as in the json response: OpenAI's duration usage, what whisper-style billing reports
      const logprobs = opts.logprobs ? { logprobs: tokenLogprobs(result.segments) } : {};
      return data({ type: "transcript.text.done", text: transcriptText(result.segments), ...logprobs, usage: durationUsage(result.duration) });
    }
    case "error": {
      // openai-node throws APIError for any event whose JSON has an `error` key, reading
      // message/code/param/type from it, so the SDK user sees our code and message.
      const { code, message, type = "server_error", param = null } = ev.error;
      return data({ type: "error", error: { message, type, param, code } });
    }
  }
}

// JSON.stringify escapes "\n" and "\r" inside strings, so the payload is always one `data:` line.
function data(payload: SseEvent): string {
  return `data: ${JSON.stringify(payload)}\n\n`;
}
