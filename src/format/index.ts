// Output formats, looked up by name. Each format is a small pure function of the engine's
// TranscriptResult, so the CLI (--format), the native route and the OpenAI route render alike.
import type { TranscriptResult } from "../engine/types.ts";
import { renderDiarizedJson } from "./diarized.ts";
import { renderSrt, renderVtt } from "./subtitles.ts";
import { renderJson, renderText } from "./text.ts";
import { renderVerboseJson } from "./verbose.ts";

export const RESPONSE_FORMATS = ["json", "text", "verbose_json", "srt", "vtt", "diarized_json"] as const;
export type ResponseFormat = (typeof RESPONSE_FORMATS)[number];

export interface FormatOptions {
  /** verbose_json: add top-level `words` */
  words?: boolean;
  /** verbose_json: include `segments` (default true) */
  segments?: boolean;
  /** json: add the tokens' `logprobs` (include[]=logprobs) */
  logprobs?: boolean;
  /** verbose_json: `warnings` about the input, when there are any */
  warnings?: string[];
}

export interface Formatted {
  body: string;
  contentType: string;
}

const JSON_TYPE = "application/json";
// OpenAI answers text/plain for text, srt and vtt alike, and the official SDK returns any
// non-JSON body as a string; one type for all three keeps that parity (the original sent
// "text/plain" without a charset, which left non-ASCII text to the client's guess).
const TEXT_TYPE = "text/plain; charset=utf-8";

const FORMATS: Record<ResponseFormat, { contentType: string; render: (r: TranscriptResult, o: FormatOptions) => string }> = {
  json: { contentType: JSON_TYPE, render: renderJson },
  text: { contentType: TEXT_TYPE, render: renderText },
  verbose_json: { contentType: JSON_TYPE, render: renderVerboseJson },
  srt: { contentType: TEXT_TYPE, render: renderSrt },
  vtt: { contentType: TEXT_TYPE, render: renderVtt },
  diarized_json: { contentType: JSON_TYPE, render: renderDiarizedJson },
};

export function isResponseFormat(value: unknown): value is ResponseFormat {
  return typeof value === "string" && (RESPONSE_FORMATS as readonly string[]).includes(value);
}

export function formatResult(result: TranscriptResult, format: ResponseFormat, opts: FormatOptions = {}): Formatted {
  const { contentType, render } = FORMATS[format];
  return { body: render(result, opts), contentType };
}

export { LANGUAGES, languageCode, languageName, WHISPER_LANGUAGES } from "./languages.ts";
export { ndjsonEvent, sseEvent, NDJSON_CONTENT_TYPE, SSE_CONTENT_TYPE, type StreamEvent } from "./stream.ts";
export { renderSrt, renderVtt } from "./subtitles.ts";
export { durationUsage, renderJson, renderText, tokenLogprobs, transcriptionJson, transcriptText } from "./text.ts";
export { clock, seconds } from "./time.ts";
export { avgLogprob, compressionRatio, verboseTranscript, type VerboseSegment, type VerboseTranscript } from "./verbose.ts";
export { isTextToken, segmentWords, transcriptWords, type Word } from "./words.ts";
