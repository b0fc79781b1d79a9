// The wire shapes of the Sona API as the client sees them. Declared here rather than imported from
// the server's modules, so the client can be bundled and shipped without any server code; the
// client's tests run against the real server, which keeps the two in step.

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

export interface HealthResponse {
  status: "ok";
}

/** unloaded_idle: the idle timer unloaded the model; the next transcription loads it again */
export type ReadyResponse = { status: "ready" | "unloaded_idle"; model: string } | { status: "not_ready"; message: string };

export interface LoadOptions {
  gpuDevice?: number;
  noGpu?: boolean;
}

export interface LoadResponse {
  status: "loaded";
  model: string;
}

export interface ModelInfo {
  id: string;
  object: "model";
  created: number;
  owned_by: string;
}

export interface ModelList {
  object: "list";
  data: ModelInfo[];
}

/** response_format=json */
export interface TranscriptionJson {
  text: string;
}

export interface Word {
  word: string;
  start: number;
  end: number;
}

export interface VerboseSegment {
  id: number;
  seek: number;
  start: number;
  end: number;
  text: string;
  tokens: number[];
  temperature: number;
  avg_logprob: number;
  compression_ratio: number;
  no_speech_prob: number;
}

/** response_format=verbose_json (OpenAI's shape) */
export interface VerboseTranscription {
  task: "transcribe" | "translate";
  language: string;
  duration: number;
  text: string;
  segments?: VerboseSegment[];
  words?: Word[];
  usage?: { type: "duration"; seconds: number };
}

export interface ProgressEvent {
  type: "progress";
  /** 0..100 */
  progress: number;
}

export interface SegmentEvent {
  type: "segment";
  start: number;
  end: number;
  /** raw whisper text (usually a leading space); joining them and trimming gives the result's text */
  text: string;
  id: number;
  no_speech_prob: number;
  /** with word timestamps */
  words?: Word[];
}

export interface ResultEvent {
  type: "result";
  text: string;
  language: string;
  duration: number;
}

/** On the wire only: the client throws it as a SonaClientError instead of yielding it. */
export interface ErrorEvent {
  type: "error";
  code: string;
  message: string;
}

/** What transcribeStream yields, in order: progress and segments interleaved, then one result. */
export type StreamEvent = ProgressEvent | SegmentEvent | ResultEvent;
