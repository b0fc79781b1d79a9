// The one schema for transcription options. Each entry names a field once; from it come the CLI
// flags (src/cli/transcribe.ts), the multipart form fields (src/server) and the OpenAPI document,
// and every value, whatever its source, goes through the same parser and the same checks.
import { SonaError } from "./errors.ts";
import { LANGUAGES } from "./format/languages.ts";
import type { DecodeOptions } from "./engine/protocol.ts";
import { RESPONSE_FORMATS, type ResponseFormat } from "./format/index.ts";
import { DEFAULT_VAD_PARAMS, type VadMode, type VadParams } from "./vad/params.ts";

type Kind = "bool" | "int" | "float" | "string" | "enum" | "list";

export interface OptionSpec {
  /** form field name (the original Sona's and OpenAI's wire name) */
  field: string;
  kind: Kind;
  description: string;
  /** CLI flag name when it differs from the field (false: server only) */
  flag?: string | false;
  alias?: string;
  values?: readonly string[];
  min?: number;
  max?: number;
  default?: string | number | boolean;
  /** the section of `sona transcribe --help` it is listed in (default: advanced) */
  group?: OptionGroup;
  /** other wire names read as this field (OpenAI's SDKs send lists both with and without `[]`) */
  aliases?: readonly string[];
  /** a valid value that changes nothing, shown (and sent) by /docs "Try it out" */
  example?: string;
}

export type OptionGroup = "output" | "decoding" | "vad" | "advanced";

export const OPTION_SPECS: readonly OptionSpec[] = [
  { field: "response_format", kind: "enum", values: RESPONSE_FORMATS, flag: "format", alias: "f", default: "json", description: "Output format", group: "output" },
  { field: "language", kind: "string", alias: "l", example: "auto", description: "Spoken language as an ISO-639-1 code (en, de, ...) or 'auto'. Missing means auto-detect on multilingual models and English on .en models", group: "decoding" },
  { field: "detect_language", kind: "bool", default: false, description: "Detect the language, transcribe in it and report it (same as language=auto)", group: "decoding" },
  { field: "translate", kind: "bool", default: false, description: "Translate the speech into English", group: "decoding" },
  { field: "prompt", kind: "string", description: "Text to condition the first window on (names, spelling, style)", group: "decoding" },
  { field: "temperature", kind: "float", min: 0, max: 1, default: 0, description: "Initial sampling temperature; whisper raises it when decoding fails unless no_fallback is set", group: "decoding" },
  { field: "no_fallback", kind: "bool", default: false, description: "Never raise the temperature on decoding failure (deterministic output)", group: "decoding" },
  { field: "n_threads", kind: "int", min: 1, max: 256, flag: "threads", alias: "t", description: "CPU threads for inference (default: all cores, at most 8)", group: "advanced" },
  { field: "sampling_strategy", kind: "enum", values: ["greedy", "beam_search"], description: "Decoding strategy (default: beam_search when beam_size > 1, else greedy)", group: "decoding" },
  { field: "beam_size", kind: "int", min: 1, max: 16, description: "Beams for beam search", group: "decoding" },
  { field: "best_of", kind: "int", min: 1, max: 16, description: "Candidates sampled at each fallback temperature (greedy)", group: "decoding" },
  { field: "max_text_ctx", kind: "int", min: 0, max: 448, description: "Most tokens of earlier text used as context", group: "decoding" },
  { field: "word_timestamps", kind: "bool", default: false, description: "Compute word-level timestamps (verbose_json gets words[])", group: "output" },
  { field: "timestamp_granularities[]", kind: "list", values: ["word", "segment"], flag: false, aliases: ["timestamp_granularities"], description: "OpenAI's switch for word and segment timestamps in verbose_json (also read without the [])" },
  { field: "max_segment_len", kind: "int", min: 0, max: 10000, description: "Split segments longer than this many characters (turns on word timestamps)", group: "output" },
  { field: "enhance_audio", kind: "bool", default: false, description: "Remove long silences with ffmpeg first (timestamps then follow the shortened audio)", group: "advanced" },
  { field: "stream", kind: "bool", default: false, flag: false, description: "Stream progress, segments and the result as they come (NDJSON, or SSE for OpenAI clients)" },
  { field: "model", kind: "string", flag: false, example: "whisper-1", description: "Accepted for OpenAI compatibility (e.g. whisper-1); the loaded model is used" },
  { field: "include[]", kind: "list", values: ["logprobs"], flag: false, aliases: ["include"], description: "OpenAI's extras: logprobs adds the text tokens' log probabilities to json and to the SSE stream's events" },
  // speech detection (src/vad): whisper.cpp's Silero VAD, with whisper.cpp's defaults
  { field: "vad", kind: "bool", default: false, group: "vad", description: "Decode only the speech (Silero VAD inside whisper.cpp: one pass, timestamps on the input's timeline)" },
  { field: "stable_timestamps", kind: "bool", default: false, group: "vad", description: "Decode each speech span on its own and shift its times by the span's start, so no timestamp falls in a silence" },
  { field: "vad_model", kind: "string", group: "vad", description: "Silero VAD model file or name (default: the embedded silero-v6.2.0)" },
  { field: "chunking_strategy", kind: "string", flag: false, group: "vad", description: 'OpenAI\'s field: "auto" turns VAD on; a server_vad object {"type":"server_vad","threshold","prefix_padding_ms","silence_duration_ms"} also sets its parameters' },
  { field: "vad_threshold", kind: "float", min: 0, max: 1, group: "vad", description: "Speech probability threshold (default 0.5)" },
  { field: "vad_min_speech_duration_ms", kind: "int", min: 0, max: 600000, group: "vad", description: "Drop speech shorter than this (default 250)" },
  { field: "vad_min_silence_duration_ms", kind: "int", min: 0, max: 600000, group: "vad", description: "Silence shorter than this does not end a span (default 100)" },
  { field: "vad_max_speech_duration_s", kind: "float", min: 1, max: 86400, group: "vad", description: "Split speech spans longer than this (default: never)" },
  { field: "vad_speech_pad_ms", kind: "int", min: 0, max: 10000, group: "vad", description: "Padding around each speech span (default 30)" },
  { field: "vad_samples_overlap", kind: "float", min: 0, max: 10, group: "vad", description: "Seconds kept past each span's end when spans are joined (vad mode; default 0.1)" },
  // hallucination controls, passed to whisper.cpp with its defaults
  { field: "no_speech_thold", kind: "float", min: 0, max: 1, default: 0.6, group: "decoding", description: "A window whose no-speech probability is above this (and log probability below logprob_thold) is treated as silence" },
  { field: "logprob_thold", kind: "float", min: -100, max: 0, default: -1, group: "decoding", description: "Average log probability below which decoding falls back to a higher temperature" },
  { field: "entropy_thold", kind: "float", min: 0, max: 100, default: 2.4, group: "decoding", description: "Token entropy above which decoding falls back (a repetition loop)" },
  { field: "suppress_nst", kind: "bool", default: false, group: "decoding", description: "Suppress non-speech tokens ([music], (laughs), ...)" },
  { field: "suppress_blank", kind: "bool", default: true, group: "decoding", description: "Suppress a blank at the start of a window" },
  { field: "carry_initial_prompt", kind: "bool", default: false, group: "decoding", description: "Keep the prompt in front of every window, not only the first" },
  { field: "no_context", kind: "bool", default: false, group: "decoding", description: "Do not condition a window on the text before it (breaks repetition loops; same as max_text_ctx=0)" },
  // media
  { field: "audio_track", kind: "int", min: 0, max: 63, group: "advanced", description: "Transcribe only this audio stream of the file (0 = the first; default: every audio stream mixed into one)" },
  { field: "diarize", kind: "bool", default: false, group: "output", description: "Label each segment speaker 0 or 1 by the stereo channel that carries its energy (two-channel recordings)" },
];

/** VAD as a request asks for it: the model is still a name (resolved by src/transcribe.ts). */
export interface VadRequest {
  mode: VadMode;
  /** vad_model as given; undefined: the embedded model */
  model?: string;
  params: VadParams;
}

export interface TranscribeOptions extends Omit<DecodeOptions, "vad"> {
  responseFormat: ResponseFormat;
  /** words[] in verbose_json */
  words: boolean;
  /** segments[] in verbose_json */
  segments: boolean;
  enhanceAudio: boolean;
  stream: boolean;
  vad?: VadRequest;
  /** one audio stream of the file; undefined: every audio stream mixed */
  audioTrack?: number;
  /** label segments by stereo channel */
  diarize: boolean;
  /** token logprobs in json and SSE events (include[]=logprobs) */
  logprobs: boolean;
}

export type RawValue = string | boolean | number | string[] | undefined;

const TRUE = new Set(["true", "1", "yes", "on"]);
const FALSE = new Set(["false", "0", "no", "off"]);

function bad(spec: OptionSpec, why: string): SonaError {
  return new SonaError("invalid_request", `invalid '${spec.field}': ${why}`, { param: spec.field });
}

function parseValue(spec: OptionSpec, raw: RawValue): string | number | boolean | string[] | undefined {
  if (raw === undefined) return undefined;
  if (spec.kind === "list") {
    const items = (Array.isArray(raw) ? raw : String(raw).split(",")).map((s) => s.trim()).filter(Boolean);
    for (const item of items) {
      if (!spec.values!.includes(item)) throw bad(spec, `'${item.slice(0, 40)}' is not one of ${spec.values!.join(", ")}`);
    }
    return items;
  }
  if (Array.isArray(raw)) {
    if (new Set(raw).size > 1) throw bad(spec, "given more than once with different values");
    raw = raw[0];
  }
  if (typeof raw === "boolean") {
    if (spec.kind !== "bool") throw bad(spec, "expects a value");
    return raw;
  }
  const text = String(raw).trim();
  // an empty field is a field left out, as HTML forms and /docs "Try it out" send unfilled inputs
  if (text === "") return undefined;
  if (text.length > 4096 && spec.field !== "prompt") throw bad(spec, "value too long");
  switch (spec.kind) {
    case "bool": {
      const lower = text.toLowerCase();
      if (TRUE.has(lower)) return true;
      if (FALSE.has(lower)) return false;
      throw bad(spec, `expected true or false, got '${text.slice(0, 40)}'`);
    }
    case "int":
    case "float": {
      const ok = spec.kind === "int" ? /^[+-]?\d+$/.test(text) : /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i.test(text);
      const n = Number(text);
      if (!ok || !Number.isFinite(n)) throw bad(spec, `expected ${spec.kind === "int" ? "an integer" : "a number"}, got '${text.slice(0, 40)}'`);
      if ((spec.min !== undefined && n < spec.min) || (spec.max !== undefined && n > spec.max)) {
        throw bad(spec, `${n} is outside ${spec.min}..${spec.max}`);
      }
      return n;
    }
    case "enum":
      if (!spec.values!.includes(text)) throw bad(spec, `'${text.slice(0, 40)}' is not one of ${spec.values!.join(", ")}`);
      return text;
    default:
      if (spec.field === "prompt" && text.length > 100_000) throw bad(spec, "longer than 100000 characters");
      return String(raw);
  }
}

/** The field's raw value, its aliases' values appended (a list field may come under both names). */
function rawValue(spec: OptionSpec, raw: Record<string, RawValue>): RawValue {
  const given = [spec.field, ...(spec.aliases ?? [])].map((name) => raw[name]).filter((value) => value !== undefined);
  if (given.length <= 1) return given[0];
  return given.flatMap((value) => (Array.isArray(value) ? value : [String(value)]));
}

/** Parses raw values keyed by field name (form fields, or CLI flags mapped back to fields). */
export function parseOptions(raw: Record<string, RawValue>): TranscribeOptions {
  const v: Record<string, ReturnType<typeof parseValue>> = {};
  for (const spec of OPTION_SPECS) v[spec.field] = parseValue(spec, rawValue(spec, raw)) ?? spec.default;

  let language = v.language as string | undefined;
  if (language !== undefined) {
    language = language.toLowerCase();
    if (language === "auto") language = undefined;
    else if (!(language in LANGUAGES)) {
      throw new SonaError("invalid_request", `invalid 'language': unknown language '${language.slice(0, 40)}' (use an ISO-639-1 code such as en, de, fr, or auto)`, { param: "language" });
    }
  }
  const granularities = v["timestamp_granularities[]"] as string[] | undefined;
  const words = granularities?.includes("word") ?? false;
  const maxSegmentLen = v.max_segment_len as number | undefined;
  const beamSize = v.beam_size as number | undefined;
  const strategy = (v.sampling_strategy as TranscribeOptions["strategy"] | undefined) ?? (beamSize && beamSize > 1 ? "beam_search" : "greedy");
  const wordTimestamps = (v.word_timestamps as boolean) || words || (maxSegmentLen ?? 0) > 0;
  const responseFormat = v.response_format as ResponseFormat;
  if (v.stream && (responseFormat === "srt" || responseFormat === "vtt")) {
    // a stream is events (NDJSON or SSE), never subtitles; saying so beats ignoring the format
    throw new SonaError("invalid_request", `invalid 'response_format': stream=true sends events, not ${responseFormat}; use stream=false for subtitles`, { param: "response_format" });
  }
  const logprobs = (v["include[]"] as string[] | undefined)?.includes("logprobs") ?? false;
  if (logprobs && !v.stream && responseFormat !== "json") {
    // as OpenAI's: only json (and the stream's events) have a place for them
    throw new SonaError("invalid_request", `invalid 'include[]': logprobs come with response_format=json or stream=true, not ${responseFormat}`, { param: "include[]" });
  }
  return {
    responseFormat,
    language,
    detectLanguage: v.detect_language as boolean,
    translate: v.translate as boolean,
    prompt: v.prompt as string | undefined,
    temperature: v.temperature as number,
    noFallback: v.no_fallback as boolean,
    threads: v.n_threads as number | undefined,
    strategy,
    beamSize,
    bestOf: v.best_of as number | undefined,
    maxTextCtx: v.max_text_ctx as number | undefined,
    wordTimestamps,
    words: words || (v.word_timestamps as boolean),
    segments: granularities === undefined || granularities.includes("segment") || !words,
    maxSegmentLen,
    enhanceAudio: v.enhance_audio as boolean,
    stream: v.stream as boolean,
    noSpeechThold: v.no_speech_thold as number,
    logprobThold: v.logprob_thold as number,
    entropyThold: v.entropy_thold as number,
    suppressNst: v.suppress_nst as boolean,
    suppressBlank: v.suppress_blank as boolean,
    carryInitialPrompt: v.carry_initial_prompt as boolean,
    noContext: v.no_context as boolean,
    vad: vadRequest(v, raw),
    audioTrack: v.audio_track as number | undefined,
    // OpenAI's diarized_json has a speaker on every segment: asking for it asks for the labels
    diarize: (v.diarize as boolean) || v.response_format === "diarized_json",
    logprobs,
  };
}

const VAD_TUNABLES = {
  vad_threshold: "threshold",
  vad_min_speech_duration_ms: "minSpeechMs",
  vad_min_silence_duration_ms: "minSilenceMs",
  vad_max_speech_duration_s: "maxSpeechS",
  vad_speech_pad_ms: "speechPadMs",
  vad_samples_overlap: "samplesOverlap",
} as const satisfies Record<string, keyof VadParams>;

/** The VAD fields of a request (also the whole request of POST /v1/audio/vad and `sona vad`). */
export function parseVadParams(raw: Record<string, RawValue>): { params: VadParams; model?: string; given: string[] } {
  const params: VadParams = { ...DEFAULT_VAD_PARAMS };
  const given: string[] = [];
  for (const [field, key] of Object.entries(VAD_TUNABLES)) {
    const value = parseValue(specOf(field), raw[field]) as number | undefined;
    if (value === undefined) continue;
    params[key] = value;
    given.push(field);
  }
  const model = parseValue(specOf("vad_model"), raw.vad_model) as string | undefined;
  if (model !== undefined) given.push("vad_model");
  return { params, model, given };
}

function vadRequest(v: Record<string, unknown>, raw: Record<string, RawValue>): VadRequest | undefined {
  const { params, model, given } = parseVadParams(raw);
  const chunking = chunkingStrategy(raw);
  if (chunking && chunking !== "auto") {
    const clash = given.find((f) => f !== "vad_model");
    if (clash) throw bad(specOf(clash), "give the VAD parameters either as chunking_strategy or as vad_* fields, not both");
    Object.assign(params, chunking);
  }
  const mode: VadMode | undefined = v.stable_timestamps ? "spans" : v.vad || chunking ? "inline" : undefined;
  if (!mode) {
    if (given.length) throw bad(specOf(given[0]!), "needs vad or stable_timestamps turned on");
    return undefined;
  }
  return { mode, model, params };
}

// OpenAI's chunking_strategy: "auto", or {"type":"server_vad", threshold, prefix_padding_ms,
// silence_duration_ms} sent as a JSON string or, as the official SDKs send objects in a form, as
// chunking_strategy[type]=server_vad&chunking_strategy[threshold]=0.4...
const SERVER_VAD = { threshold: "threshold", prefix_padding_ms: "speechPadMs", silence_duration_ms: "minSilenceMs" } as const;

function chunkingStrategy(raw: Record<string, RawValue>): "auto" | Partial<VadParams> | undefined {
  const spec = specOf("chunking_strategy");
  let value: unknown = parseValue(spec, raw.chunking_strategy);
  const bracketed = Object.keys(raw).filter((k) => k.startsWith("chunking_strategy["));
  if (bracketed.length) {
    if (value !== undefined) throw bad(spec, "given both as a value and as chunking_strategy[...] fields");
    value = Object.fromEntries(bracketed.map((k) => [k.slice("chunking_strategy[".length, -1), parseValue(spec, raw[k])]));
  } else if (typeof value === "string" && value.trim().startsWith("{")) {
    try {
      value = JSON.parse(value);
    } catch {
      throw bad(spec, "not valid JSON");
    }
  }
  if (value === undefined) return undefined;
  if (value === "auto") return "auto";
  if (typeof value !== "object" || value === null || Array.isArray(value)) throw bad(spec, `expected "auto" or a server_vad object`);
  const { type, ...rest } = value as Record<string, unknown>;
  if (type !== "server_vad") throw bad(spec, `type must be "server_vad"`);
  const out: Partial<VadParams> = {};
  for (const [name, x] of Object.entries(rest)) {
    const key = SERVER_VAD[name as keyof typeof SERVER_VAD];
    if (!key) throw bad(spec, `unknown key '${name.slice(0, 40)}' (threshold, prefix_padding_ms, silence_duration_ms)`);
    const n = typeof x === "number" ? x : Number(String(x).trim());
    const max = key === "threshold" ? 1 : 600000;
    if (!Number.isFinite(n) || n < 0 || n > max || String(x).trim() === "") throw bad(spec, `${name} must be a number in 0..${max}`);
    out[key] = n;
  }
  return out;
}

function specOf(field: string): OptionSpec {
  return OPTION_SPECS.find((s) => s.field === field)!;
}

/** The multipart body of POST /v1/audio/vad: the file and the VAD's own fields. */
export function vadFormSchema(): Record<string, unknown> {
  return formSchema((s) => s.field.startsWith("vad_"));
}

/** The JSON schema of the multipart body, for the OpenAPI document. */
export function formSchema(pick: (spec: OptionSpec) => boolean = () => true): Record<string, unknown> {
  const properties: Record<string, unknown> = {
    file: { type: "string", format: "binary", description: "Audio or video file (WAV, MP3, M4A, OGG, FLAC, WebM, MP4, ...)" },
  };
  for (const s of OPTION_SPECS.filter(pick)) {
    const base: Record<string, unknown> = { description: s.description };
    if (s.default !== undefined) base.default = s.default;
    let schema: Record<string, unknown>;
    if (s.kind === "bool") schema = { type: "boolean" };
    else if (s.kind === "int" || s.kind === "float") schema = { type: s.kind === "int" ? "integer" : "number", minimum: s.min, maximum: s.max };
    else if (s.kind === "enum") schema = { type: "string", enum: [...s.values!] };
    else if (s.kind === "list") schema = { type: "array", items: { type: "string", enum: [...s.values!] } };
    else schema = { type: "string" };
    // Swagger UI's "Try it out" fills every field with its example, else its default, else a made-up
    // sample ("string", the minimum, the first enum value) and sends each one that is not empty. A
    // field without a default gets a valid value that changes nothing, or an empty one, which is not
    // sent (and which the parser reads as not given, so the schema admits it)
    if (s.default === undefined) {
      const example = s.example ?? (s.kind === "list" ? [] : "");
      if (example === "" && (schema.type !== "string" || schema.enum)) schema = { anyOf: [schema, { const: "", description: "empty: not given" }] };
      schema.examples = [example];
    }
    properties[s.field] = { ...base, ...schema };
  }
  return { type: "object", required: ["file"], properties };
}
