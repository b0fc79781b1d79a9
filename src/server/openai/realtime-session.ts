// A Realtime transcription session's configuration: session.update's GA shape
// (RealtimeTranscriptionSessionCreateRequestGA: audio.input.{format, transcription, turn_detection,
// noise_reduction}) and the beta transcription_session.update shape (input_audio_format,
// input_audio_transcription, turn_detection), both read into one RealtimeConfig and written back.
import { SonaError } from "../../errors.ts";

export interface RealtimeConfig {
  /** the input's sample rate: 24000 (OpenAI's) or 16000 */
  rate: 24000 | 16000;
  /** what the client asked for; the loaded model transcribes whatever it says */
  model: string;
  language?: string;
  prompt?: string;
  /** null: the client commits (turn_detection: null) */
  turnDetection: { threshold: number; prefixPaddingMs: number; silenceMs: number } | null;
}

type Obj = Record<string, unknown>;

const bad = (param: string, message: string) => new SonaError("invalid_request", message, { param });

function object(v: unknown, param: string): Obj | undefined {
  if (v === undefined) return undefined;
  if (v === null || typeof v !== "object" || Array.isArray(v)) throw bad(param, `${param} must be an object`);
  return v as Obj;
}

function only(o: Obj, param: string, known: string[]): void {
  for (const k of Object.keys(o)) if (!known.includes(k)) throw bad(`${param}.${k}`, `unknown parameter ${param}.${k}`);
}

function str(v: unknown, param: string): string | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== "string") throw bad(param, `${param} must be a string`);
  return v || undefined;
}

function num(v: unknown, param: string, lo: number, hi: number, fallback: number): number {
  if (v === undefined || v === null) return fallback;
  if (typeof v !== "number" || !Number.isFinite(v) || v < lo || v > hi) throw bad(param, `${param} must be a number from ${lo} to ${hi}`);
  return v;
}

function transcription(v: unknown, param: string, c: RealtimeConfig): void {
  const t = object(v, param);
  if (!t) return;
  only(t, param, ["model", "language", "prompt"]);
  c.model = str(t.model, `${param}.model`) ?? c.model;
  if ("language" in t) c.language = str(t.language, `${param}.language`);
  if ("prompt" in t) c.prompt = str(t.prompt, `${param}.prompt`);
}

function turnDetection(v: unknown, param: string, c: RealtimeConfig): void {
  if (v === undefined) return;
  if (v === null) {
    c.turnDetection = null;
    return;
  }
  const t = object(v, param)!;
  if (t.type !== "server_vad") throw bad(`${param}.type`, `${param}.type must be server_vad (or turn_detection null for manual commits); semantic_vad is not supported`);
  only(t, param, ["type", "threshold", "prefix_padding_ms", "silence_duration_ms", "create_response", "interrupt_response", "idle_timeout_ms"]);
  const was = c.turnDetection ?? { threshold: 0.5, prefixPaddingMs: 300, silenceMs: 500 };
  c.turnDetection = {
    threshold: num(t.threshold, `${param}.threshold`, 0, 1, was.threshold),
    prefixPaddingMs: num(t.prefix_padding_ms, `${param}.prefix_padding_ms`, 0, 10_000, was.prefixPaddingMs),
    silenceMs: num(t.silence_duration_ms, `${param}.silence_duration_ms`, 32, 10_000, was.silenceMs),
  };
}

function rate(v: unknown, param: string): 24000 | 16000 {
  if (v === 24000 || v === 16000) return v;
  throw bad(param, `${param} must be 24000 (OpenAI's rate) or 16000`);
}

/** The configuration after a session update; nothing changes when it throws. */
export function parseSessionUpdate(session: unknown, current: RealtimeConfig, beta: boolean): RealtimeConfig {
  const s = object(session, "session") ?? {};
  const c: RealtimeConfig = { ...current };
  if (beta) {
    only(s, "session", ["input_audio_format", "input_audio_transcription", "turn_detection", "input_audio_noise_reduction", "include", "modalities"]);
    const f = s.input_audio_format;
    if (f !== undefined) {
      if (f === "pcm16") c.rate = 24000;
      else if (f === "pcm_s16le_16000") c.rate = 16000;
      else throw bad("session.input_audio_format", "session.input_audio_format must be pcm16 (24 kHz) or pcm_s16le_16000; g711 is not supported");
    }
    transcription(s.input_audio_transcription, "session.input_audio_transcription", c);
    turnDetection(s.turn_detection, "session.turn_detection", c);
    return c;
  }
  only(s, "session", ["type", "audio", "include", "id", "object"]);
  if (s.type !== undefined && s.type !== "transcription") throw bad("session.type", `session.type must be transcription: this route serves transcription sessions only`);
  const audio = object(s.audio, "session.audio");
  if (!audio) return c;
  only(audio, "session.audio", ["input"]);
  const input = object(audio.input, "session.audio.input");
  if (!input) return c;
  only(input, "session.audio.input", ["format", "transcription", "turn_detection", "noise_reduction"]);
  const format = object(input.format, "session.audio.input.format");
  if (format) {
    only(format, "session.audio.input.format", ["type", "rate"]);
    if (format.type !== "audio/pcm") throw bad("session.audio.input.format.type", "session.audio.input.format.type must be audio/pcm (pcm16); audio/pcmu and audio/pcma are not supported");
    c.rate = format.rate === undefined ? 24000 : rate(format.rate, "session.audio.input.format.rate");
  }
  transcription(input.transcription, "session.audio.input.transcription", c);
  turnDetection(input.turn_detection, "session.audio.input.turn_detection", c);
  return c;
}

/** The session as session.created/updated report it (or the beta shape). */
export function sessionObject(id: string, c: RealtimeConfig, beta = false): Obj {
  const transcriptionOut = { model: c.model, language: c.language ?? null, prompt: c.prompt ?? null };
  const turn = c.turnDetection && {
    type: "server_vad",
    threshold: c.turnDetection.threshold,
    prefix_padding_ms: c.turnDetection.prefixPaddingMs,
    silence_duration_ms: c.turnDetection.silenceMs,
  };
  if (beta) {
    return {
      id,
      object: "realtime.transcription_session",
      input_audio_format: c.rate === 24000 ? "pcm16" : "pcm_s16le_16000",
      input_audio_transcription: transcriptionOut,
      turn_detection: turn,
      input_audio_noise_reduction: null,
      include: [],
    };
  }
  return {
    type: "transcription",
    id,
    object: "realtime.transcription_session",
    audio: { input: { format: { type: "audio/pcm", rate: c.rate }, transcription: transcriptionOut, noise_reduction: null, turn_detection: turn } },
    include: [],
  };
}
