// The OpenAPI document's content. Routes read their body themselves (uploads stream to disk), so
// Elysia cannot derive schemas from them; each operation is described here instead, the form from
// the one options schema (formSchema), every error with the one error body.
import type { ElysiaOpenAPIConfig } from "@elysiajs/openapi";
import type { DocumentDecoration } from "elysia";
import { ERROR_CODES } from "../errors.ts";
import { formSchema } from "../options.ts";
import { VERSION } from "../version.ts";

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const jsonContent = (schema: unknown) => ({ "application/json": { schema } });
const str = (description: string, extra: Record<string, unknown> = {}) => ({ type: "string", description, ...extra });
const num = (description: string) => ({ type: "number", description });
const obj = (properties: Record<string, unknown>, required = Object.keys(properties)) => ({ type: "object", properties, required });

const ERROR_TEXT: Record<number, string> = {
  400: "Invalid request: a missing or malformed field (`param` names it), unreadable audio (`invalid_audio`) or a bad model file (`invalid_model`, `model_not_found`)",
  401: "`sona serve --api-key` is set and the request lacks `Authorization: Bearer <key>` (`unauthorized`)",
  403: "A Host header or browser Origin not on the allow-list: loopback, the bound address, `sona serve --allowed-host` (`forbidden`)",
  408: "The upload sent nothing for `sona serve --upload-idle-timeout` (`timeout`)",
  413: "The upload or body is larger than the limit (`too_large`, see `sona serve --max-upload`)",
  429: "Another transcription is running (`busy`); retry after `Retry-After` seconds",
  503: "No model is loaded (`no_model`; POST /v1/models/load first), or the server is shutting down (`aborted`)",
  500: "Unexpected failure (`internal_error`)",
  507: "The temp dir for uploads is full (`insufficient_storage`; free space or see `sona serve --tmp-dir`)",
};

// every route can answer 401 (with --api-key), 403 (a foreign Host or Origin) and 500; /health skips the key check
function errors(...statuses: number[]) {
  const out: Record<string, unknown> = {};
  for (const status of [...statuses, 401, 403, 500]) {
    out[status] = {
      description: ERROR_TEXT[status],
      content: jsonContent(ref("Error")),
      ...(status === 429 ? { headers: { "Retry-After": { description: "seconds to wait", schema: { type: "integer" } } } } : {}),
    };
  }
  return out;
}

function withoutAuth(responses: Record<string, unknown>) {
  const { 401: _, ...rest } = responses;
  return rest;
}

const segment = obj({
  id: { type: "integer" },
  seek: { type: "integer", description: "start of the 30-s window, in 10-ms frames" },
  start: num("seconds"),
  end: num("seconds"),
  text: str("raw segment text (usually with a leading space)"),
  tokens: { type: "array", items: { type: "integer" } },
  temperature: num("temperature decoding started from"),
  avg_logprob: num("mean log probability of the text tokens"),
  compression_ratio: num("UTF-8 bytes over zlib bytes; > 2.4 suggests a repetition loop"),
  no_speech_prob: num("probability that the window holds no speech"),
});

const schemas: Record<string, unknown> = {
  Error: obj({
    error: obj({
      code: str("Sona's error code", { enum: ERROR_CODES }),
      message: str("what went wrong and what to do"),
      type: str("OpenAI's error type", { enum: ["invalid_request_error", "server_error"] }),
      param: { type: ["string", "null"], description: "the field at fault" },
    }),
  }),
  Health: obj({ status: str("always ok", { enum: ["ok"] }) }),
  Ready: obj({ model: str("file name of the loaded model"), status: str("", { enum: ["ready"] }) }),
  NotReady: obj({ message: str("", { enum: ["no model loaded"] }), status: str("", { enum: ["not_ready"] }) }),
  LoadModelRequest: obj(
    {
      path: str("model file on the server's disk, or a model name from `sona models` / `sona pull`"),
      gpu_device: { type: ["integer", "null"], minimum: 0, description: "GPU index (default: whisper.cpp's first)" },
      no_gpu: { type: "boolean", default: false, description: "run on the CPU only" },
    },
    ["path"],
  ),
  ModelLoaded: obj({ model: str("file name of the loaded model"), status: str("", { enum: ["loaded"] }) }),
  ModelUnloaded: obj({ status: str("", { enum: ["unloaded"] }) }),
  Model: obj({
    id: str("file name of the loaded model"),
    object: str("", { enum: ["model"] }),
    created: { type: "integer", description: "unix seconds when it was loaded" },
    owned_by: str("", { enum: ["local"] }),
  }),
  ModelList: obj({ object: str("", { enum: ["list"] }), data: { type: "array", items: ref("Model"), maxItems: 1 } }),
  Transcription: obj({ text: str("the transcript") }),
  TranscriptionSegment: segment,
  TranscriptionWord: obj({ word: str("the word, no surrounding spaces"), start: num("seconds"), end: num("seconds") }),
  TranscriptionVerbose: obj(
    {
      task: str("", { enum: ["transcribe", "translate"] }),
      language: str("language name in lower case, e.g. english"),
      duration: num("seconds of audio"),
      text: str("the transcript"),
      segments: { type: "array", items: ref("TranscriptionSegment"), description: "absent when only word granularity was asked" },
      words: { type: "array", items: ref("TranscriptionWord"), description: "with timestamp_granularities[]=word or word_timestamps=true" },
      usage: obj({ type: str("", { enum: ["duration"] }), seconds: { type: "integer" } }),
    },
    ["task", "language", "duration", "text", "usage"],
  ),
  TranscriptionForm: formSchema(),
  NdjsonEvent: {
    description: "One line of the NDJSON stream: progress and segment events interleaved, then exactly one result or error. The first line is always progress 0.",
    oneOf: [
      obj({ type: str("", { enum: ["progress"] }), progress: { type: "integer", minimum: 0, maximum: 100 } }),
      obj(
        { type: str("", { enum: ["segment"] }), start: num("seconds"), end: num("seconds"), text: str("raw segment text"), id: { type: "integer" }, no_speech_prob: num(""), words: { type: "array", items: ref("TranscriptionWord") } },
        ["type", "start", "end", "text", "id", "no_speech_prob"],
      ),
      obj({ type: str("", { enum: ["result"] }), text: str("the transcript"), language: str("ISO-639-1 code"), duration: num("seconds") }),
      obj({ type: str("", { enum: ["error"] }), code: str("error code"), message: str("what went wrong") }),
    ],
  },
  SseEvent: {
    description: "The `data:` payload of each SSE event (OpenAI's transcription stream). Progress is sent as SSE comments.",
    oneOf: [
      obj({ type: str("", { enum: ["transcript.text.delta"] }), delta: str("one segment's raw text") }),
      obj({ type: str("", { enum: ["transcript.text.done"] }), text: str("the transcript") }),
      obj({ type: str("", { enum: ["error"] }), error: ref("Error") }),
    ],
  },
};

const STREAM_NOTE =
  "With `stream=true` the answer is 200 with a stream; later failures arrive as an error event. " +
  "NDJSON by default; SSE when `Accept` names text/event-stream or the client is an OpenAI SDK " +
  "(`X-Stainless-*` headers or `User-Agent: OpenAI/...`); `Accept: application/x-ndjson` forces NDJSON.";

function audioOperation(summary: string, description: string, operationId: string) {
  return {
    tags: ["audio"],
    summary,
    description: `${description}\n\n${STREAM_NOTE}`,
    operationId,
    requestBody: { required: true, content: { "multipart/form-data": { schema: ref("TranscriptionForm") } } },
    responses: {
      200: {
        description: "The transcript in `response_format`, or a stream",
        headers: { "Server-Timing": { description: "decode, language and inference times (ms)", schema: { type: "string" } } },
        content: {
          "application/json": { schema: { oneOf: [ref("Transcription"), ref("TranscriptionVerbose")] } },
          "text/plain": { schema: { type: "string", description: "text, srt or vtt" } },
          "application/x-ndjson": { schema: ref("NdjsonEvent") },
          "text/event-stream": { schema: ref("SseEvent") },
        },
      },
      ...errors(400, 408, 413, 429, 503, 507),
    },
  };
}

const ok = (description: string, schema: string) => ({ 200: { description, content: jsonContent(ref(schema)) } });

// The objects are plain JSON; OpenAPI's TypeScript types want literal unions for every `type`
// field, which would only add noise here. The spec itself is checked in test/server-openapi.test.ts.
const docs = {
  health: { tags: ["runner"], summary: "Liveness", operationId: "healthCheck", responses: { ...ok("The process is alive", "Health"), ...withoutAuth(errors()) } },
  ready: {
    tags: ["runner"],
    summary: "Readiness: is a model loaded?",
    description: "Never waits for a running transcription.",
    operationId: "readyCheck",
    responses: { ...ok("A model is loaded", "Ready"), 503: { description: "No model is loaded", content: jsonContent(ref("NotReady")) }, ...errors() },
  },
  loadModel: {
    tags: ["models"],
    summary: "Load a model (replacing the current one)",
    description: "The file is checked before whisper.cpp opens it; a bad file is a 400 and the current model stays loaded. Loading the same, unchanged file with the same options again does nothing; a file replaced or changed since is loaded again. Waits for a running transcription.",
    operationId: "loadModel",
    requestBody: { required: true, content: jsonContent(ref("LoadModelRequest")) },
    responses: { ...ok("Loaded", "ModelLoaded"), ...errors(400, 413) },
  },
  unloadModel: { tags: ["models"], summary: "Unload the model (idempotent)", operationId: "unloadModel", responses: { ...ok("Unloaded", "ModelUnloaded"), ...errors() } },
  listModels: { tags: ["models"], summary: "The loaded model, OpenAI style (0 or 1 entries)", operationId: "listModels", responses: { ...ok("The list", "ModelList"), ...errors() } },
  transcriptions: audioOperation("Transcribe audio", "One transcription runs at a time; another gets 429 before its upload is read.", "createTranscription"),
  translations: audioOperation("Translate audio into English", "OpenAI's translations endpoint: a transcription with translate=true.", "createTranslation"),
};

export const DOCS = docs as unknown as Record<keyof typeof docs, DocumentDecoration>;

export const documentation = {
  info: { title: "Sona API", version: VERSION, description: "Local speech-to-text on whisper.cpp with an OpenAI-compatible API." },
  tags: [
    { name: "audio", description: "Transcription and translation (OpenAI-compatible)" },
    { name: "models", description: "The one loaded model" },
    { name: "runner", description: "Process lifecycle for the owner that spawned Sona" },
  ],
  components: { schemas, securitySchemes: { apiKey: { type: "http", scheme: "bearer", description: "only when sona serve runs with --api-key (or SONA_API_KEY)" } } },
  // {} first: the key is optional, as the server runs without one by default
  security: [{}, { apiKey: [] }],
} as unknown as NonNullable<ElysiaOpenAPIConfig["documentation"]>;
