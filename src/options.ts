// The one schema for transcription options. Each entry names a field once; from it come the CLI
// flags (src/cli/transcribe.ts), the multipart form fields (src/server) and the OpenAPI document,
// and every value, whatever its source, goes through the same parser and the same checks.
import { SonaError } from "./errors.ts";
import { LANGUAGES } from "./format/languages.ts";
import { RESPONSE_FORMATS, type ResponseFormat } from "./format/index.ts";

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
}

export type OptionGroup = "output" | "decoding" | "vad" | "advanced";

export const OPTION_SPECS: readonly OptionSpec[] = [
  { field: "response_format", kind: "enum", values: RESPONSE_FORMATS, flag: "format", alias: "f", default: "json", description: "Output format", group: "output" },
  { field: "language", kind: "string", alias: "l", description: "Spoken language as an ISO-639-1 code (en, de, ...) or 'auto'. Missing means auto-detect on multilingual models and English on .en models", group: "decoding" },
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
  { field: "timestamp_granularities[]", kind: "list", values: ["word", "segment"], flag: false, description: "OpenAI's switch for word and segment timestamps in verbose_json" },
  { field: "max_segment_len", kind: "int", min: 0, max: 10000, description: "Split segments longer than this many characters (turns on word timestamps)", group: "output" },
  { field: "enhance_audio", kind: "bool", default: false, description: "Remove long silences with ffmpeg first (timestamps then follow the shortened audio)", group: "advanced" },
  { field: "stream", kind: "bool", default: false, flag: false, description: "Stream progress, segments and the result as they come (NDJSON, or SSE for OpenAI clients)" },
  { field: "model", kind: "string", flag: false, description: "Accepted for OpenAI compatibility (e.g. whisper-1); the loaded model is used" },
];

export interface TranscribeOptions {
  responseFormat: ResponseFormat;
  /** undefined: auto-detect on multilingual models, English on .en models */
  language?: string;
  detectLanguage: boolean;
  translate: boolean;
  prompt?: string;
  temperature: number;
  noFallback: boolean;
  threads?: number;
  strategy: "greedy" | "beam_search";
  beamSize?: number;
  bestOf?: number;
  maxTextCtx?: number;
  /** word timestamps computed (word_timestamps, a word granularity, or max_segment_len) */
  wordTimestamps: boolean;
  /** words[] in verbose_json */
  words: boolean;
  /** segments[] in verbose_json */
  segments: boolean;
  maxSegmentLen?: number;
  enhanceAudio: boolean;
  stream: boolean;
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
      if (!spec.values!.includes(item)) throw bad(spec, `'${item}' is not one of ${spec.values!.join(", ")}`);
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
      return text === "" ? undefined : String(raw);
  }
}

/** Parses raw values keyed by field name (form fields, or CLI flags mapped back to fields). */
export function parseOptions(raw: Record<string, RawValue>): TranscribeOptions {
  const v: Record<string, ReturnType<typeof parseValue>> = {};
  for (const spec of OPTION_SPECS) v[spec.field] = parseValue(spec, raw[spec.field]) ?? spec.default;

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
  return {
    responseFormat: v.response_format as ResponseFormat,
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
  };
}

/** The JSON schema of the multipart body, for the OpenAPI document. */
export function formSchema(): Record<string, unknown> {
  const properties: Record<string, unknown> = {
    file: { type: "string", format: "binary", description: "Audio or video file (WAV, MP3, M4A, OGG, FLAC, WebM, MP4, ...)" },
  };
  for (const s of OPTION_SPECS) {
    const base: Record<string, unknown> = { description: s.description };
    if (s.default !== undefined) base.default = s.default;
    if (s.kind === "bool") properties[s.field] = { ...base, type: "boolean" };
    else if (s.kind === "int" || s.kind === "float") properties[s.field] = { ...base, type: s.kind === "int" ? "integer" : "number", minimum: s.min, maximum: s.max };
    else if (s.kind === "enum") properties[s.field] = { ...base, type: "string", enum: [...s.values!] };
    else if (s.kind === "list") properties[s.field] = { ...base, type: "array", items: { type: "string", enum: [...s.values!] } };
    else properties[s.field] = { ...base, type: "string" };
  }
  return { type: "object", required: ["file"], properties };
}
