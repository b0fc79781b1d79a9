// The wire shapes of the Sona API as the client sees them. The response bodies are the types
// declared once in src/format/wire.ts (the same declarations the server's formatters and its
// OpenAPI document use); they are imported as types only, so nothing of src/format, let alone
// of the server, ends up in a bundle of the client.
import type {
  ErrorEvent,
  HealthResponse,
  LoadResponse,
  ModelInfo,
  ModelList,
  NdjsonEvent,
  ProgressEvent,
  ReadyResponse,
  ResultEvent,
  SegmentEvent,
  TranscriptionJson,
  VerboseSegment,
  VerboseTranscript,
  Word,
} from "../format/wire.ts";

export type { ErrorEvent, HealthResponse, LoadResponse, ModelInfo, ModelList, ProgressEvent, ReadyResponse, ResultEvent, SegmentEvent, TranscriptionJson, VerboseSegment, Word };

/** response_format=verbose_json (OpenAI's shape) */
export type VerboseTranscription = VerboseTranscript;

export type ResponseFormat = "json" | "text" | "verbose_json" | "srt" | "vtt";

/** A form value: booleans go as true/false, arrays as repeated fields, undefined/null are left out. */
export type FieldValue = string | number | boolean | readonly (string | number)[] | null | undefined;

export interface TranscribeOptions {
  language?: string;
  prompt?: string;
  translate?: boolean;
  wordTimestamps?: boolean;
  temperature?: number;
  /** any other form field by its wire name: n_threads, no_fallback, beam_size, "timestamp_granularities[]", … */
  fields?: Record<string, FieldValue>;
  /** aborting disconnects, which makes the server abort the transcription */
  signal?: AbortSignal;
}

export interface TranscribeFormatOptions extends TranscribeOptions {
  responseFormat?: ResponseFormat;
}

export interface LoadOptions {
  gpuDevice?: number;
  noGpu?: boolean;
}

/** A request waiting for a slot (sona serve --queue) hears its place, 1 being next, each time it changes. */
export type QueuedEvent = Extract<NdjsonEvent, { type: "queued" }>;

/** What transcribeStream yields, in order: progress 0, queued while it waits for a slot, progress and segments interleaved, then one result. */
export type StreamEvent = ProgressEvent | QueuedEvent | SegmentEvent | ResultEvent;
