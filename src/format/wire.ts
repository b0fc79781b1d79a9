// Every response body of the Sona API, declared once as TypeBox schemas: the TypeScript types
// (Static<…>) for the formatters and the client, and the OpenAPI document's components
// (WIRE_SCHEMAS), come from these declarations, so the three can no longer drift apart.
// A schema registered with `named()` becomes a component and is referenced by `$ref` elsewhere.
// src/client imports only types from here (erased at build), so it stays free of runtime code.
import { type Static, type TSchema, Type as T } from "@sinclair/typebox";
import { ERROR_CODES, type ErrorCode } from "../errors.ts";

const components: Record<string, TSchema> = {};

/** Registers `schema` as components/schemas/<name>; the result is a $ref with the same static type. */
function named<S extends TSchema>(name: string, schema: S) {
  components[name] = schema;
  return T.Unsafe<Static<S>>({ $ref: `#/components/schemas/${name}` });
}

const seconds = (description = "seconds") => T.Number({ description });
const literal = <V extends string>(value: V, description?: string) => T.Literal(value, description ? { description } : {});

export const ErrorBodySchema = named(
  "ErrorBody",
  T.Object({
    code: T.Unsafe<ErrorCode>({ type: "string", enum: ERROR_CODES, description: "Sona's error code" }),
    message: T.String({ description: "what went wrong and what to do" }),
    type: T.Union([T.Literal("invalid_request_error"), T.Literal("server_error")], { description: "OpenAI's error type" }),
    param: T.Union([T.String(), T.Null()], { description: "the field at fault" }),
  }),
);
export const ErrorSchema = named("Error", T.Object({ error: ErrorBodySchema }));

export const SlotsSchema = named(
  "Slots",
  T.Object({
    busy: T.Integer({ minimum: 0, description: "transcriptions running now" }),
    total: T.Integer({ minimum: 1, description: "transcriptions that can run at once (sona serve --parallel)" }),
    queued: T.Integer({ minimum: 0, description: "requests waiting for a slot (sona serve --queue) or for a model change" }),
  }),
);
export const HealthSchema = named("Health", T.Object({ status: literal("ok", "always ok"), slots: SlotsSchema }));
/** Where the model runs (src/gpu): on every answer that names the loaded model. */
function DeviceFields() {
  return {
    device: T.Optional(T.String({ description: "`cpu`, or the GPU (Vulkan device) the model runs on, by its driver's name" })),
    fallback_reason: T.Optional(T.String({ description: "why the model runs on the CPU although a GPU was asked for by index or failed (no Vulkan driver, a device that failed to start, out of device memory while loading)" })),
  };
}

export const ReadySchema = named(
  "Ready",
  T.Object({
    model: T.String({ description: "file name of the loaded model" }),
    status: T.Union([T.Literal("ready"), T.Literal("unloaded_idle")], { description: "unloaded_idle: the idle timer unloaded it, and the next transcription loads it again" }),
    slots: SlotsSchema,
    ...DeviceFields(),
  }),
);
export const NotReadySchema = named("NotReady", T.Object({ message: literal("no model loaded"), status: literal("not_ready") }));
export const ModelLoadedSchema = named("ModelLoaded", T.Object({ model: T.String({ description: "file name of the loaded model" }), status: literal("loaded"), ...DeviceFields() }));
export const ModelUnloadedSchema = named("ModelUnloaded", T.Object({ status: literal("unloaded") }));
export const ModelSchema = named(
  "Model",
  T.Object({
    id: T.String({ description: "file name of the loaded model" }),
    object: literal("model"),
    created: T.Integer({ description: "unix seconds when it was loaded" }),
    owned_by: literal("local"),
    slots: T.Optional(SlotsSchema),
    ...DeviceFields(),
  }),
);
export const ModelListSchema = named("ModelList", T.Object({ object: literal("list"), data: T.Array(ModelSchema, { maxItems: 1 }) }));

export const UsageSchema = named(
  "UsageDuration",
  T.Object({ type: literal("duration"), seconds: T.Integer({ description: "seconds of audio, rounded up" }) }, { description: "OpenAI's duration usage" }),
);
export const TokenLogprobSchema = named(
  "TokenLogprob",
  T.Object({
    token: T.String({ description: "the token's text" }),
    logprob: T.Number({ description: "its log probability" }),
    bytes: T.Array(T.Integer(), { description: "the token's UTF-8 bytes" }),
  }),
);

const speaker = T.Integer({ minimum: 0, maximum: 1, description: "stereo channel carrying the segment (0 left, 1 right), with diarize=true" });

export const WordSchema = named(
  "TranscriptionWord",
  T.Object({ word: T.String({ description: "the word, no surrounding spaces" }), start: seconds(), end: seconds() }),
);

export const SegmentSchema = named(
  "TranscriptionSegment",
  T.Object({
    id: T.Integer(),
    seek: T.Integer({ description: "start of the 30-s window, in 10-ms frames" }),
    start: seconds(),
    end: seconds(),
    text: T.String({ description: "raw segment text (usually with a leading space)" }),
    tokens: T.Array(T.Integer()),
    temperature: T.Number({ description: "temperature the segment was decoded at, after any fallback" }),
    avg_logprob: T.Number({ description: "mean log probability of the text tokens" }),
    compression_ratio: T.Number({ description: "UTF-8 bytes over zlib bytes; > 2.4 suggests a repetition loop" }),
    no_speech_prob: T.Number({ description: "probability that the window holds no speech" }),
    speaker: T.Optional(speaker),
  }),
);

// OpenAI's diarized_json (speakers A and B: Sona's stereo channels, diarize=true)
export const DiarizedSegmentSchema = named(
  "TranscriptTextSegmentEvent",
  T.Object({
    type: literal("transcript.text.segment"),
    id: T.String({ description: "seg_001, seg_002, ..." }),
    start: seconds(),
    end: seconds(),
    text: T.String({ description: "raw segment text" }),
    speaker: T.String({ description: "A: the left channel, B: the right" }),
  }),
);
export const DiarizedTranscriptSchema = named(
  "TranscriptionDiarized",
  T.Object({
    task: literal("transcribe"),
    duration: seconds("seconds of audio"),
    text: T.String({ description: "the transcript" }),
    segments: T.Array(DiarizedSegmentSchema),
    usage: UsageSchema,
  }),
);

// POST /v1/audio/vad and `sona vad`
export const SpeechSpanSchema = named("SpeechSpan", T.Object({ start: seconds(), end: seconds() }));
export const SpeechSpansSchema = named(
  "SpeechSpans",
  T.Object({
    model: T.String({ description: "the Silero model that ran (silero-v6.2.0: the embedded one; else vad_model as given)" }),
    duration: seconds("seconds of audio"),
    speech_duration: seconds("seconds of speech"),
    spans: T.Array(SpeechSpanSchema),
  }),
);

export const TranscriptionSchema = named(
  "Transcription",
  T.Object({
    text: T.String({ description: "the transcript" }),
    logprobs: T.Optional(T.Array(TokenLogprobSchema, { description: "the text tokens' log probabilities, with include[]=logprobs" })),
    usage: UsageSchema,
  }),
);

export const VerboseTranscriptSchema = named(
  "TranscriptionVerbose",
  T.Object({
    task: T.Union([T.Literal("transcribe"), T.Literal("translate")]),
    language: T.String({ description: "language name in lower case, e.g. english (always english for a translation)" }),
    duration: seconds("seconds of audio"),
    text: T.String({ description: "the transcript" }),
    segments: T.Optional(T.Array(SegmentSchema, { description: "absent when only word granularity was asked" })),
    words: T.Optional(T.Array(WordSchema, { description: "with timestamp_granularities[]=word or word_timestamps=true" })),
    usage: UsageSchema,
    warnings: T.Optional(T.Array(T.String(), { description: "Sona only, when there is something to say: e.g. the WAV file is truncated" })),
  }),
);

// NDJSON, Sona's native stream: the original's field names first, later additions after them.
export const ProgressEventSchema = named("ProgressEvent", T.Object({ type: literal("progress"), progress: T.Integer({ minimum: 0, maximum: 100 }) }));
export const QueuedEventSchema = named(
  "QueuedEvent",
  T.Object({ type: literal("queued"), position: T.Integer({ minimum: 1, description: "place in the wait queue (sona serve --queue); 1 is next" }) }),
);
export const SegmentEventSchema = named(
  "SegmentEvent",
  T.Object({
    type: literal("segment"),
    start: seconds(),
    end: seconds(),
    text: T.String({ description: "raw segment text; joining them and trimming gives the result's text" }),
    id: T.Integer(),
    no_speech_prob: T.Number(),
    speaker: T.Optional(speaker),
    words: T.Optional(T.Array(WordSchema, { description: "with word timestamps" })),
    logprobs: T.Optional(T.Array(TokenLogprobSchema, { description: "with include[]=logprobs" })),
  }),
);
export const ResultEventSchema = named(
  "ResultEvent",
  T.Object({ type: literal("result"), text: T.String({ description: "the transcript" }), language: T.String({ description: "ISO-639-1 code" }), duration: seconds() }),
);
export const ErrorEventSchema = named("ErrorEvent", T.Object({ type: literal("error"), code: T.String({ description: "error code" }), message: T.String() }));
export const NdjsonEventSchema = named(
  "NdjsonEvent",
  T.Union([ProgressEventSchema, QueuedEventSchema, SegmentEventSchema, ResultEventSchema, ErrorEventSchema], {
    description:
      "One line of the NDJSON stream: progress and segment events interleaved, then exactly one result or error. The first line is always progress 0; a request waiting for a slot (sona serve --queue) then gets a queued event each time its place changes.",
  }),
);

// SSE, OpenAI's transcription stream (the `data:` payloads).
const logprobs = T.Optional(T.Array(TokenLogprobSchema, { description: "with include[]=logprobs" }));
export const TextDeltaEventSchema = named(
  "TranscriptTextDeltaEvent",
  T.Object({ type: literal("transcript.text.delta"), delta: T.String({ description: "one segment's raw text" }), logprobs }),
);
export const TextDoneEventSchema = named(
  "TranscriptTextDoneEvent",
  T.Object({ type: literal("transcript.text.done"), text: T.String({ description: "the transcript" }), logprobs, usage: UsageSchema }),
);
export const SseErrorEventSchema = named("SseErrorEvent", T.Object({ type: literal("error"), error: ErrorBodySchema }));
export const SseEventSchema = named(
  "SseEvent",
  T.Union([TextDeltaEventSchema, DiarizedSegmentSchema, TextDoneEventSchema, SseErrorEventSchema], {
    description: "The `data:` payload of each SSE event (OpenAI's transcription stream). Progress is sent as SSE comments; transcript.text.segment follows each delta with response_format=diarized_json.",
  }),
);

/** The OpenAPI document's components/schemas, plain JSON. */
export const WIRE_SCHEMAS: Readonly<Record<string, unknown>> = JSON.parse(JSON.stringify(components));

export type ErrorBody = Static<typeof ErrorBodySchema>;
export type HealthResponse = Static<typeof HealthSchema>;
export type SlotsInfo = Static<typeof SlotsSchema>;
export type ReadyResponse = Static<typeof ReadySchema> | Static<typeof NotReadySchema>;
export type LoadResponse = Static<typeof ModelLoadedSchema>;
export type ModelInfo = Static<typeof ModelSchema>;
export type ModelList = Static<typeof ModelListSchema>;
export type Usage = Static<typeof UsageSchema>;
export type TokenLogprob = Static<typeof TokenLogprobSchema>;
export type Word = Static<typeof WordSchema>;
export type VerboseSegment = Static<typeof SegmentSchema>;
export type TranscriptionJson = Static<typeof TranscriptionSchema>;
export type VerboseTranscript = Static<typeof VerboseTranscriptSchema>;
export type ProgressEvent = Static<typeof ProgressEventSchema>;
export type SegmentEvent = Static<typeof SegmentEventSchema>;
export type ResultEvent = Static<typeof ResultEventSchema>;
export type ErrorEvent = Static<typeof ErrorEventSchema>;
export type NdjsonEvent = Static<typeof NdjsonEventSchema>;
export type SseEvent = Static<typeof SseEventSchema>;
export type DiarizedSegment = Static<typeof DiarizedSegmentSchema>;
export type DiarizedTranscript = Static<typeof DiarizedTranscriptSchema>;
export type SpeechSpans = Static<typeof SpeechSpansSchema>;
