// The OpenAPI document's content. Routes read their body themselves (uploads stream to disk), so
// Elysia cannot derive schemas from them; each operation is described here instead, the form from
// the one options schema (formSchema), every error with the one error body.
import type { ElysiaOpenAPIConfig } from "@elysiajs/openapi";
import type { DocumentDecoration } from "elysia";
import { SonaError } from "../errors.ts";
import { WIRE_SCHEMAS } from "../format/wire.ts";
import { formSchema, vadFormSchema } from "../options.ts";
import { VERSION } from "../version.ts";
import { busyError, noModelError } from "./respond.ts";

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const jsonContent = (schema: unknown) => ({ "application/json": { schema } });
const str = (description: string, extra: Record<string, unknown> = {}) => ({ type: "string", description, ...extra });
const obj = (properties: Record<string, unknown>, required = Object.keys(properties)) => ({ type: "object", properties, required });

const ERROR_TEXT: Record<number, string> = {
  400: "Invalid request: a missing or malformed field (`param` names it), unreadable audio (`invalid_audio`) or a bad model file (`invalid_model`, `model_not_found`)",
  401: "`sona serve --api-key` is set and the request lacks `Authorization: Bearer <key>` (`unauthorized`)",
  403: "A Host header or browser Origin not on the allow-list: loopback, the bound address, `sona serve --allowed-host` (`forbidden`)",
  408: "The upload sent nothing for `sona serve --upload-idle-timeout` (`timeout`)",
  429: "Every transcription slot is busy (`busy`; `sona serve --parallel`), and the queue, if any, is full (`--queue`) or was waited in too long (`--queue-timeout`); retry after `Retry-After` seconds",
  413: "The upload or body is larger than the limit (`too_large`, see `sona serve --max-upload`), or the audio is longer than `sona serve --max-audio-duration` (`audio_too_long`)",
  503: "No model is loaded (`no_model`; POST /v1/models/load first), or the server is shutting down (`aborted`)",
  500: "Unexpected failure (`internal_error`)",
  507: "The temp dir for uploads is full (`insufficient_storage`; free space or see `sona serve --tmp-dir`)",
};

// One real error per status, as the server sends it: Swagger UI shows these instead of a sample
// made from the schema (which would say `invalid_request` for every status).
const EXAMPLE_ERRORS: Record<number, SonaError> = {
  400: new SonaError("invalid_request", "invalid 'temperature': expected a number, got 'warm'", { param: "temperature" }),
  401: new SonaError("unauthorized", "missing or wrong API key: send Authorization: Bearer <key> (--api-key / SONA_API_KEY)"),
  403: new SonaError("forbidden", "requests from the web origin https://example.com are not allowed"),
  404: new SonaError("model_not_found", "no loaded model is called 'whisper-1' (the loaded one is ggml-base.en.bin)", { status: 404, param: "model" }),
  408: new SonaError("timeout", "the upload sent nothing for 30 s (see sona serve --upload-idle-timeout); it was dropped"),
  413: new SonaError("too_large", "uploaded file is too large (the limit is 1073741824 bytes; see sona serve --max-upload)", { param: "file" }),
  429: busyError(),
  500: new SonaError("internal_error", "internal error: whisper.cpp failed (code -6)"),
  503: noModelError(),
  507: new SonaError("insufficient_storage", "the temp dir /tmp is full (ENOSPC); free some space or point sona serve --tmp-dir elsewhere"),
};

const errorContent = (status: number) => ({ "application/json": { schema: ref("Error"), example: EXAMPLE_ERRORS[status]!.toJSON() } });

// every route can answer 401 (with --api-key), 403 (a foreign Host or Origin) and 500; /health skips the key check
function errors(...statuses: number[]) {
  const out: Record<string, unknown> = {};
  for (const status of [...statuses, 401, 403, 500]) {
    out[status] = {
      description: ERROR_TEXT[status],
      content: errorContent(status),
      ...(status === 429
        ? {
            headers: {
              "Retry-After": { description: "seconds until a running transcription is likely done", schema: { type: "integer", minimum: 1 } },
              "retry-after-ms": { description: "the same in milliseconds (the OpenAI SDKs read it first)", schema: { type: "integer", minimum: 0 } },
            },
          }
        : {}),
    };
  }
  return out;
}

function withoutAuth(responses: Record<string, unknown>) {
  const { 401: _, ...rest } = responses;
  return rest;
}

// Response bodies come from src/format/wire.ts (the one declaration of every wire shape); the
// request bodies are declared here (the form from the one options schema).
const schemas: Record<string, unknown> = {
  ...WIRE_SCHEMAS,
  LoadModelRequest: obj(
    {
      path: str("model file on the server's disk, or a model name from `sona models` / `sona pull`"),
      gpu_device: { type: ["integer", "null"], minimum: 0, description: "the Vulkan device to load on, an index from `sona devices` (default: the first hardware GPU; a software device only when named)" },
      no_gpu: { type: "boolean", default: false, description: "run on the CPU even when a GPU is usable" },
    },
    ["path"],
  ),
  TranscriptionForm: formSchema(),
  VadForm: vadFormSchema(),
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
        headers: {
          "Server-Timing": { description: "decode, language and inference times (ms)", schema: { type: "string" } },
          "X-Sona-Warning": { description: "a warning about the input (e.g. a truncated WAV file), when there is one", schema: { type: "string" } },
        },
        content: {
          // anyOf, not oneOf: every verbose_json body also has json's fields, so it matches both
          "application/json": { schema: { anyOf: [ref("Transcription"), ref("TranscriptionVerbose"), ref("TranscriptionDiarized")] } },
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
  // security: [] - never asks for the key, so Swagger UI shows no lock
  health: { tags: ["runner"], summary: "Liveness", operationId: "healthCheck", security: [], responses: { ...ok("The process is alive", "Health"), ...withoutAuth(errors()) } },
  ready: {
    tags: ["runner"],
    summary: "Readiness: is a model loaded?",
    description: "Never waits for a running transcription.",
    operationId: "readyCheck",
    responses: { ...ok("A model is loaded, or was unloaded while idle and loads again on the next transcription", "Ready"), 503: { description: "No model is loaded", content: jsonContent(ref("NotReady")) }, ...errors() },
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
  retrieveModel: {
    tags: ["models"],
    summary: "The loaded model by its id (OpenAI's models.retrieve)",
    description: "404 `model_not_found` unless `id` is the loaded model's file name, as `GET /v1/models` lists it.",
    operationId: "retrieveModel",
    parameters: [{ name: "id", in: "path", required: true, description: "the model's id from GET /v1/models", schema: { type: "string" } }],
    responses: { ...ok("The model", "Model"), 404: { description: "No loaded model has this id (`model_not_found`)", content: errorContent(404) }, ...errors() },
  },
  skill: {
    tags: ["runner"],
    summary: "This API in one markdown page, for AI agents",
    description: "What the server is, how to call it, its routes and transcription fields, generated from the routes and the options schema.",
    operationId: "skill",
    responses: { 200: { description: "The page", content: { "text/markdown": { schema: { type: "string" } } } }, ...errors() },
  },
  transcriptions: audioOperation("Transcribe audio", "One transcription runs at a time (`sona serve --parallel N`: N); another gets 429 before its upload is read, or waits in line with `--queue`.", "createTranscription"),
  vad: {
    tags: ["audio"],
    summary: "Find the speech (Silero VAD)",
    description: "The VAD alone: speech spans in seconds. Needs no whisper model, but takes the one transcription slot (429 while one runs).",
    operationId: "detectSpeech",
    requestBody: { required: true, content: { "multipart/form-data": { schema: ref("VadForm") } } },
    responses: { ...ok("The speech spans", "SpeechSpans"), ...errors(400, 408, 413, 429, 507) },
  },
  translations: audioOperation("Translate audio into English", "OpenAI's translations endpoint: a transcription with translate=true.", "createTranslation"),
};

export const DOCS = docs as unknown as Record<keyof typeof docs, DocumentDecoration>;

export const documentation = {
  // relative: the document describes the server that serves it, whatever address it was bound to
  servers: [{ url: "/", description: "this Sona server" }],
  info: { title: "Sona API", version: VERSION, license: { name: "MIT", identifier: "MIT" }, description: "Local speech-to-text on whisper.cpp with an OpenAI-compatible API." },
  tags: [
    { name: "audio", description: "Transcription and translation (OpenAI-compatible)" },
    { name: "models", description: "The one loaded model" },
    { name: "runner", description: "Process lifecycle for the owner that spawned Sona" },
  ],
  components: { schemas, securitySchemes: { apiKey: { type: "http", scheme: "bearer", description: "only when sona serve runs with --api-key (or SONA_API_KEY)" } } },
  // {} first: the key is optional, as the server runs without one by default
  security: [{}, { apiKey: [] }],
} as unknown as NonNullable<ElysiaOpenAPIConfig["documentation"]>;
