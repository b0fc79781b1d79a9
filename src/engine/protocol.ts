// Messages between the engine (main thread) and its worker. One job at a time; the worker
// answers every request with exactly one final message (loaded/unloaded/done/failed).
import type { SpeechSpan, VadMode, VadParams } from "../vad/params.ts";
import type { EngineEvent, TranscriptResult } from "./types.ts";

export interface ModelDetails {
  path: string;
  multilingual: boolean;
  loadMs: number;
  /** `cpu`, or the GPU's description (src/gpu) */
  device?: string;
  /** why the model is on the CPU when a GPU could have been used */
  fallbackReason?: string;
}

export type ToWorker =
  | { type: "init"; libPath: string; logLevel: number }
  | { type: "load"; path: string; flashAttn: boolean; useGpu: boolean; gpuDevice: number; gpuLib?: string }
  | { type: "unload" }
  | { type: "run"; samples: Float32Array; options: DecodeOptions; abort: Int32Array }
  | { type: "vad"; samples: Float32Array; vad: VadRun }
  | { type: "vad-stream"; samples: Float32Array; modelPath: string; reset: boolean };

/** A VAD model file (already validated) and its tunables. */
export interface VadRun {
  modelPath: string;
  params: VadParams;
}

/** What whisper.cpp sees of a transcription's options. */
export interface DecodeOptions {
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
  maxSegmentLen?: number;
  // hallucination controls; undefined: whisper.cpp's defaults
  noSpeechThold?: number;
  logprobThold?: number;
  entropyThold?: number;
  suppressNst?: boolean;
  suppressBlank?: boolean;
  carryInitialPrompt?: boolean;
  /** no conditioning on earlier text, within the request too */
  noContext?: boolean;
  vad?: VadRun & { mode: VadMode };
}

export type FromWorker =
  | { type: "ready"; whisperVersion: string; systemInfo: string }
  | { type: "loaded"; model: ModelDetails }
  | { type: "unloaded" }
  | { type: "event"; event: EngineEvent }
  | { type: "done"; result: TranscriptResult }
  | { type: "spans"; spans: SpeechSpan[]; vadMs: number }
  | { type: "probs"; probs: Float32Array }
  | { type: "failed"; code: "invalid_model" | "invalid_request" | "aborted" | "gpu_out_of_memory" | "internal_error"; message: string };
